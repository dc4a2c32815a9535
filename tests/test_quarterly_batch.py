"""A region that pays quarterly, across real processes: the batch is for a quarter, never a month."""

from __future__ import annotations

import httpx
import pytest

from tefu_common.testing import bearer, mint_token

from .families import bereaved_family, register

pytestmark = pytest.mark.processes

REGION = "420111"  # 洪山区: no other test registers families here or sets its schedule


def test_a_quarterly_region_is_paid_by_the_quarter(suite):
    clerk_token = mint_token(suite.signing_key, role="clerk", region=REGION, subject="clerk-hs")
    register(suite.url("registry"), clerk_token,
             bereaved_family(REGION, "胡秀兰", "方国强", bank="中国工商银行洪山支行", account="6222021000000000011"))
    payments = suite.url("payments")
    admin = bearer(mint_token(suite.signing_key, role="admin", region="420000"))
    schedule = httpx.put(f"{payments}/v1/payment-schedules/{REGION}", headers=admin,
                         json={"frequency": "quarterly", "basis": "洪政发〔2020〕1号"})
    assert schedule.status_code == 200, schedule.text
    assert httpx.post(f"{payments}/v1/agencies", headers=admin,
                      json={"id": "ICBC-HS", "name": "中国工商银行洪山支行", "region_code": REGION}).status_code == 201
    clerk = bearer(clerk_token)
    body = {"region_code": REGION, "benefits": ["special_assistance"], "period": "2020-06", "agency_id": "ICBC-HS"}

    month = httpx.post(f"{payments}/v1/batches", json=body, headers=clerk, timeout=60)
    assert month.status_code == 422
    assert month.json()["errors"] == [{"field": "body.period", "code": "period-frequency",
                                       "detail": "420111 按季发放：应为 2020-Q2，而不是 2020-06"}]
    english = httpx.post(f"{payments}/v1/batches", json=body, headers={**clerk, "Accept-Language": "en"}, timeout=60)
    assert english.json()["errors"][0]["detail"] == "420111 pays quarterly: ask for 2020-Q2, not 2020-06"

    quarter = httpx.post(f"{payments}/v1/batches", json={**body, "period": "2020-Q2"}, headers=clerk, timeout=60)
    assert quarter.status_code == 201, quarter.text
    batch = quarter.json()
    # The mother: April to June 2020, and the twelve months before April (arrears).
    assert (batch["frequency"], batch["period_start"], batch["period_end"]) == ("quarterly", "2020-04-01", "2020-06-30")
    assert (batch["line_count"], batch["arrears_lines"]) == (15, 12)
    lines = httpx.get(f"{payments}/v1/batches/{batch['id']}/lines", headers=clerk).json()["items"]
    assert [l["month"] for l in lines][-3:] == ["2020-04", "2020-05", "2020-06"]
    assert httpx.get(f"{payments}/v1/batches/{batch['id']}", headers=clerk).json()["frequency"] == "quarterly"
