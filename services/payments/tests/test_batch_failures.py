"""Building a batch fails cleanly when another service cannot answer: 503, and nothing kept."""

from __future__ import annotations

import pytest

BODY = {"region_code": "370306", "benefits": ["special_assistance"], "period": "2020-06", "agency_id": "ABC-X"}


@pytest.fixture
async def agency(cut_off, auth):
    response = await cut_off.post("/v1/agencies", json={"id": "ABC-X", "name": "测试银行", "region_code": "370306"},
                                  headers=auth(role="admin", region="000000"))
    assert response.status_code == 201


async def test_eligibility_down_is_a_503_and_leaves_no_batch(cut_off, auth, agency):
    clerk = auth(role="clerk", region="370306", subject="clerk-x")
    response = await cut_off.post("/v1/batches", json=BODY, headers={**clerk, "Idempotency-Key": "k-1",
                                                                     "Accept-Language": "en"})
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "upstream-unavailable"
    assert "eligibility" in response.json()["detail"]
    assert response.headers["retry-after"]
    assert (await cut_off.get("/v1/batches", headers=clerk)).json() == {"items": [], "next_cursor": None}


async def test_the_503_is_in_chinese_by_default(cut_off, auth, agency):
    response = await cut_off.post("/v1/batches", json=BODY, headers=auth(role="clerk", region="370306"))
    assert response.status_code == 503
    assert "资格服务" in response.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [({"period": "2020-13"}, "body.period", "period-format"),
     ({"agency_id": "NOPE"}, "body.agency_id", "agency-not-found"),
     ({"region_code": "999999"}, "body.region_code", "region-code-unknown")],
)
async def test_a_bad_request_names_the_field(cut_off, auth, change, field, code):
    response = await cut_off.post("/v1/batches", json={**BODY, **change}, headers=auth(role="clerk", region="370306"))
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)]


async def test_a_clerk_prepares_only_in_their_region(cut_off, auth):
    response = await cut_off.post("/v1/batches", json={**BODY, "region_code": "420102"},
                                  headers=auth(role="clerk", region="370306"))
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("region-outside-scope", "body.region_code")


async def test_approvers_do_not_prepare(cut_off, auth):
    response = await cut_off.post("/v1/batches", json=BODY, headers=auth(role="approver", region="370306"))
    assert response.status_code == 403


def _months_ahead(months: int) -> str:
    from tefu_common.calendar import today

    index = today().year * 12 + today().month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@pytest.mark.parametrize(
    ("period", "code"),
    [("9999-12", "period-too-late"), ("0000-01", "period-format"), ("2006-12", "period-before-programme"),
     (_months_ahead(2), "period-too-late"), (str(int(_months_ahead(0)[:4]) + 2), "period-too-late")],
)
async def test_a_batch_is_for_a_period_that_has_come(cut_off, auth, period, code):
    """No batch for 9999-12 (nor its 'arrears'), none before the programme, at most one period ahead."""
    response = await cut_off.post("/v1/batches", json={**BODY, "period": period},
                                  headers=auth(role="clerk", region="370306"))
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("body.period", code)]


async def test_the_next_month_may_be_paid_ahead_but_goes_on_to_eligibility(cut_off, auth, agency):
    response = await cut_off.post("/v1/batches", json={**BODY, "period": _months_ahead(1)},
                                  headers=auth(role="clerk", region="370306"))
    assert response.status_code == 503  # accepted as a period: it is the (cut-off) eligibility service that fails
