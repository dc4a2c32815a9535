"""Building a batch fails cleanly when another service cannot answer: 503, and nothing kept."""

from __future__ import annotations

import pytest


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_eligibility_down_is_a_503_and_leaves_no_batch(cut_off, token):
    admin = bearer(token(role="admin", region="000000"))
    agency = await cut_off.post("/v1/agencies", json={"id": "ABC-X", "name": "测试银行", "region_code": "370306"},
                                headers=admin)
    assert agency.status_code == 201
    clerk = bearer(token(role="clerk", region="370306", subject="clerk-x"))
    body = {"region_code": "370306", "benefits": ["special_assistance"], "period": "2020-06", "agency_id": "ABC-X"}
    response = await cut_off.post("/v1/batches", json=body, headers={**clerk, "Idempotency-Key": "k-1"})
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "eligibility" in response.json()["detail"] and response.headers["retry-after"]
    assert (await cut_off.get("/v1/batches", headers=clerk)).json() == []


@pytest.mark.parametrize(
    ("change", "field"),
    [({"period": "2020-13"}, "period"), ({"agency_id": "NOPE"}, "agency_id"), ({"region_code": "999999"}, "region_code")],
)
async def test_a_bad_request_names_the_field(cut_off, token, change, field):
    clerk = bearer(token(role="clerk", region="370306"))
    body = {"region_code": "370306", "benefits": ["special_assistance"], "period": "2020-06", "agency_id": "ABC-X", **change}
    response = await cut_off.post("/v1/batches", json=body, headers=clerk)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_only_clerks_prepare_and_only_in_their_region(cut_off, token):
    body = {"region_code": "420102", "benefits": ["special_assistance"], "period": "2020-06", "agency_id": "ABC-X"}
    assert (await cut_off.post("/v1/batches", json=body, headers=bearer(token(role="clerk", region="370306")))).status_code == 403
    approver = bearer(token(role="approver", region="370306"))
    assert (await cut_off.post("/v1/batches", json={**body, "region_code": "370306"}, headers=approver)).status_code == 403
