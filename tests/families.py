"""Families for tests that cross services: valid ID numbers, registered over HTTP."""

from __future__ import annotations

import httpx

from tefu_common.resident_id import check_character


def id_number(region: str, birth: str, serial: int) -> str:
    """A valid 18-character ID number of ``region`` for a birth date YYYY-MM-DD."""
    first17 = f"{region}{birth.replace('-', '')}{serial:03d}"
    return first17 + check_character(first17)


def register(registry_url: str, clerk_token: str, body: dict) -> dict:
    response = httpx.post(f"{registry_url}/v1/families", json=body, headers={"Authorization": f"Bearer {clerk_token}"})
    assert response.status_code == 201, response.text
    return response.json()


def bereaved_family(region: str, mother: str, father: str, *, bank: str, account: str,
                    child_died: str = "2018-03-10") -> dict:
    """A registration body: an urban couple in their sixties whose only child died, the mother with a
    bank account (so she is paid special assistance), the father without one."""
    return {
        "region_code": region, "hukou_type": "urban", "address": f"{region} 某街道 5 号",
        "honor_certificate": {"number": f"GRZ-{region}", "issued_on": "1990-01-05"},
        "mother": {"name": mother, "id_number": id_number(region, "1961-04-10", 4),
                   "bank_account": {"bank": bank, "account_number": account, "holder": mother}},
        "father": {"name": father, "id_number": id_number(region, "1959-09-01", 3)},
        "child": {"name": f"{father[0]}小军", "birth_date": "1986-02-01"},
        "events": [{"kind": "child_died", "occurred_on": child_died}],
    }
