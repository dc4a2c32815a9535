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
