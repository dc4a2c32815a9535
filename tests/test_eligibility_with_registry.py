"""Eligibility reading the registry over HTTP: one family's evaluation, and a region's entitlements."""

from __future__ import annotations

import httpx
import orjson
import pytest

from tefu_common.testing import bearer, mint_token

from .families import id_number, register

pytestmark = pytest.mark.processes


def _register(suite, clerk: str, region: str, serial: int, *, child_died: str, mother_birth: str = "1965-03-02") -> dict:
    body = {
        "region_code": region, "hukou_type": "rural", "address": "测试地址 1 号",
        "honor_certificate": {"number": f"GRZ-E{serial}", "issued_on": "1991-01-05"},
        "mother": {"name": "李秀英", "id_number": id_number(region, mother_birth, serial * 2 + 2),
                   "in_resident_pension": True, "monthly_basic_pension": "150.00"},
        "father": {"name": "王建国", "id_number": id_number(region, "1963-07-09", serial * 2 + 1)},
        "child": {"name": "王小明", "birth_date": "1990-05-01"},
        "events": [{"kind": "child_died", "occurred_on": child_died}],
    }
    return register(suite.url("registry"), clerk, body)


def test_family_evaluation_and_bulk_entitlements_from_the_registry(suite):
    clerk = mint_token(suite.signing_key, role="clerk", region="370306")
    auth = bearer(clerk)
    first = _register(suite, clerk, "370306", 11, child_died="2019-03-10")
    second = _register(suite, clerk, "370306", 21, child_died="2020-06-02", mother_birth="1975-01-01")

    evaluation = httpx.get(f"{suite.url('eligibility')}/v1/families/{first['id']}/evaluation",
                           params={"as_of": "2020-06-15"}, headers=auth)
    assert evaluation.status_code == 200, evaluation.text
    body = evaluation.json()
    assert body["family_id"] == first["id"] and body["special_family"] is True
    special = next(b for b in body["benefits"] if b["code"] == "special_assistance")
    assert special["amount"] == "610.00" and {d["member_id"] for d in special["recipient_details"]} == {
        m["id"] for m in first["members"] if m["role"] in ("mother", "father")}

    # A clerk of another county learns nothing: the registry answers 404 for the forwarded token.
    other = mint_token(suite.signing_key, role="clerk", region="420102")
    hidden = httpx.get(f"{suite.url('eligibility')}/v1/families/{first['id']}/evaluation",
                       params={"as_of": "2020-06-15"}, headers=bearer(other))
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "family-not-found"

    with httpx.stream("POST", f"{suite.url('eligibility')}/v1/entitlements", headers=auth, timeout=60,
                      json={"region": "370306", "month": "2020-06"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        lines = [orjson.loads(line) for line in response.iter_lines() if line]
    mine = [l for l in lines if l["family_id"] in (first["id"], second["id"])]
    by_family = {(l["family_id"], l["benefit"], l["role"]): l for l in mine}
    assert by_family[(first["id"], "special_assistance", "mother")]["amount"] == "610.00"
    assert by_family[(first["id"], "special_assistance", "father")]["amount"] == "610.00"
    # The second family lost its child on 2020-06-02: the condolence payment arises in June 2020;
    # the mother (born 1975) is under 49, so no special assistance yet.
    assert by_family[(second["id"], "one_time_condolence", "household")]["due_on"] == "2020-06-02"
    assert (second["id"], "special_assistance", "mother") not in by_family
    assert all(l["month"] == "2020-06" for l in lines)


def test_a_range_of_months_in_one_pass(suite):
    clerk = mint_token(suite.signing_key, role="clerk", region="370306")
    family = _register(suite, clerk, "370306", 31, child_died="2019-11-20")
    with httpx.stream("POST", f"{suite.url('eligibility')}/v1/entitlements", timeout=60,
                      headers=bearer(clerk),
                      json={"region": "370306", "month": "2020-02", "from_month": "2019-10",
                            "benefits": ["special_assistance"]}) as response:
        assert response.status_code == 200
        lines = [orjson.loads(line) for line in response.iter_lines() if line]
    months = sorted({l["month"] for l in lines if l["family_id"] == family["id"] and l["role"] == "mother"})
    assert months == ["2019-11", "2019-12", "2020-01", "2020-02"]  # due from the month of the death
