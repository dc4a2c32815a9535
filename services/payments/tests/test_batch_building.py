"""Building batches against in-process fakes of the eligibility service and the registry: the
lines, the identities each call is made with, pages of lines, the states, and concurrency."""

from __future__ import annotations

import asyncio
import os

import pytest

REGION = "420106"
BODY = {"region_code": REGION, "benefits": ["special_assistance"], "period": "2020-06", "agency_id": "ICBC-WC"}


@pytest.fixture
async def agency(served, auth):
    created = await served.post("/v1/agencies", headers=auth(role="admin", region="420000"),
                                json={"id": "ICBC-WC", "name": "中国工商银行武昌支行", "region_code": "420000"})
    assert created.status_code == 201, created.text


@pytest.fixture
def clerk(auth):
    return auth(role="clerk", region=REGION, subject="clerk-wang")


async def every(client, url: str, headers: dict, limit: int) -> tuple[list[dict], int]:
    items, params, pages = [], {"limit": limit}, 0
    while True:
        page = await client.get(url, headers=headers, params=params)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        pages += 1
        if page.json()["next_cursor"] is None:
            return items, pages
        params = {"limit": limit, "cursor": page.json()["next_cursor"]}


async def test_a_batch_holds_every_line_due_and_arrears(served, fakes, agency, clerk):
    created = await served.post("/v1/batches", json=BODY, headers=clerk)
    assert created.status_code == 201, created.text
    batch = created.json()
    assert (batch["line_count"], batch["arrears_lines"], batch["total"]) == (39, 36, f"{39 * 340}.00")
    # Entitlements with the clerk's own token; bank details with the service's.
    assert fakes.entitlement_tokens == [clerk["Authorization"]]
    assert set(fakes.payee_tokens) == {"Bearer payments-service-token"}


async def test_each_line_keeps_what_its_amount_was_computed_from(served, fakes, agency, clerk):
    fakes.at_national_minimum = {71}
    batch = (await served.post("/v1/batches", json=BODY, headers=clerk)).json()
    # The clerk sees how many lines are paid at the national floor, and why.
    assert batch["national_minimum_lines"] == 13
    assert batch["notices"] == ["13 项按国家最低标准发放，因为本地区的地方标准尚未配置"]
    english = (await served.get(f"/v1/batches/{batch['id']}", headers={**clerk, "Accept-Language": "en"})).json()
    assert english["national_minimum_lines"] == 13
    assert english["notices"] == ["13 lines are paid at the national minimum because the local standard is not configured"]

    lines, _ = await every(served, f"/v1/batches/{batch['id']}/lines", clerk, limit=100)
    assert {(line["rule_id"], line["catalogue_version"]) for line in lines} == {
        ("sa-urban-death", fakes.CATALOGUE_VERSION)}
    assert {(line["member_id"], line["amount_status"]) for line in lines} == {
        (70, "local"), (71, "national_minimum"), (72, "local")}
    history, _ = await every(served, "/v1/people/71/payments", clerk, limit=100)
    assert len(history) == 13
    assert {(h["rule_id"], h["catalogue_version"], h["amount_status"]) for h in history} == {
        ("sa-urban-death", fakes.CATALOGUE_VERSION, "national_minimum")}


async def test_a_batch_at_local_standards_has_no_notice(served, agency, clerk):
    batch = (await served.post("/v1/batches", json=BODY, headers=clerk)).json()
    assert (batch["national_minimum_lines"], batch["notices"]) == (0, [])


async def test_the_same_idempotency_key_returns_the_same_batch(served, agency, clerk):
    headers = {**clerk, "Idempotency-Key": "wc-2020-06"}
    first = await served.post("/v1/batches", json=BODY, headers=headers)
    assert first.status_code == 201
    again = await served.post("/v1/batches", json=BODY, headers=headers)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    other = await served.post("/v1/batches", json={**BODY, "period": "2020-07"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["field"] == "header.Idempotency-Key"


async def test_nothing_left_to_pay_is_a_conflict(served, agency, clerk):
    assert (await served.post("/v1/batches", json=BODY, headers=clerk)).status_code == 201
    again = await served.post("/v1/batches", json=BODY, headers={**clerk, "Accept-Language": "en"})
    assert again.status_code == 409
    assert again.json()["code"] == "nothing-due"
    assert "39 lines already held" in again.json()["detail"]


async def test_payees_without_an_account_are_skipped(served, fakes, agency, clerk):
    fakes.without_account = {71}
    batch = (await served.post("/v1/batches", json=BODY, headers=clerk)).json()
    assert (batch["line_count"], batch["skipped"]["no_bank_account"]) == (26, 13)


async def test_an_upstream_422_reaches_the_clerk_as_a_422(served, fakes, agency, clerk):
    fakes.refuse = {"type": "https://tefu.example.cn/problems/validation-error", "title": "请求内容有误", "status": 422,
                    "code": "region-outside-scope", "detail": "…",
                    "errors": [{"field": "body.region", "code": "region-outside-scope",
                                "detail": "420106 不在你的辖区 420100 之内"}]}
    response = await served.post("/v1/batches", json=BODY, headers=clerk)
    assert response.status_code == 422
    assert response.json()["errors"] == fakes.refuse["errors"]
    assert (await served.get("/v1/batches", headers=clerk)).json()["items"] == []


async def test_lines_come_in_pages_each_page_logged(served, agency, clerk, auth):
    batch = (await served.post("/v1/batches", json=BODY, headers=clerk)).json()
    lines, pages = await every(served, f"/v1/batches/{batch['id']}/lines", clerk, limit=10)
    assert pages == 4
    assert [line["reference"] for line in lines] == sorted(line["reference"] for line in lines)
    assert len({line["reference"] for line in lines}) == 39
    assert all("*" in line["payee_name"] for line in lines)
    log = (await served.get("/v1/access-log", params={"batch_id": batch["id"], "action": "batch_lines"},
                            headers=auth(role="auditor", region=REGION))).json()["items"]
    assert [entry["line_count"] for entry in log] == [10, 10, 10, 9]
    assert log[0]["endpoint"] == "GET /v1/batches/{batch_id}/lines"
    assert log[0]["member_ids"] == [70]


async def test_maker_checker_and_transitions(served, agency, clerk, auth):
    batch = (await served.post("/v1/batches", json=BODY, headers=clerk)).json()
    url = f"/v1/batches/{batch['id']}"
    assert (await served.post(f"{url}/submit", headers=clerk)).json()["status"] == "submitted"
    self_approval = await served.post(f"{url}/approve", headers=auth(role="approver", region=REGION, subject="clerk-wang"))
    assert self_approval.status_code == 403
    assert self_approval.json()["code"] == "maker-checker"
    approver = auth(role="approver", region=REGION, subject="chief-li")
    assert (await served.post(f"{url}/approve", headers=approver)).status_code == 200
    twice = await served.post(f"{url}/approve", headers=approver)
    assert twice.status_code == 409
    assert twice.json()["code"] == "batch-not-submitted"
    no_reason = await served.post(f"{url}/cancel", json={}, headers=clerk)
    assert no_reason.status_code == 409  # approved: past cancelling, whatever the note
    steps, _ = await every(served, f"{url}/transitions", clerk, limit=2)
    assert [(s["from_status"], s["to_status"]) for s in steps] == [(None, "draft"), ("draft", "submitted"),
                                                                   ("submitted", "approved")]


async def test_a_rejection_needs_a_reason(served, agency, clerk, auth):
    batch = (await served.post("/v1/batches", json=BODY, headers=clerk)).json()
    url = f"/v1/batches/{batch['id']}"
    await served.post(f"{url}/submit", headers=clerk)
    refused = await served.post(f"{url}/reject", json={}, headers=auth(role="approver", region=REGION))
    assert refused.status_code == 422
    assert (refused.json()["code"], refused.json()["field"]) == ("note-required", "body.note")


async def test_batches_of_another_region_are_not_found(served, agency, clerk, auth):
    batch = (await served.post("/v1/batches", json=BODY, headers=clerk)).json()
    response = await served.get(f"/v1/batches/{batch['id']}", headers=auth(role="clerk", region="370306"))
    assert response.status_code == 404
    assert response.json()["code"] == "batch-not-found"


async def test_a_persons_payments_come_in_pages_and_are_logged(served, agency, clerk, auth):
    await served.post("/v1/batches", json=BODY, headers=clerk)
    history, pages = await every(served, "/v1/people/70/payments", clerk, limit=5)
    assert (len(history), pages) == (13, 3)
    assert [h["month"] for h in history] == sorted(h["month"] for h in history)
    log = (await served.get("/v1/access-log", params={"member_id": 70, "action": "payment_history"},
                            headers=auth(role="auditor", region=REGION))).json()["items"]
    assert [entry["line_count"] for entry in log] == [5, 5, 3]


async def test_twenty_parallel_builds_give_one_batch_and_nineteen_conflicts(served, served_app, fakes, agency, clerk):
    if os.environ.get("TEFU_TEST_DB", "postgresql") != "postgresql":
        pytest.skip("concurrent batch building is shown on PostgreSQL")
    # A slow stream: every other request arrives while the first build holds the region. Were
    # they to wait for it, each would hold a pooled connection meanwhile: the pool ran dry, the
    # database monitor's probe timed out, and requests were answered 503 database-unavailable.
    fakes.delay = 3.0
    monitor = served_app.state.database_monitor
    down: list[str | None] = []

    async def watch() -> None:
        while True:
            if not monitor.available:
                down.append(monitor.last_error)
            await asyncio.sleep(0.2)

    watcher = asyncio.create_task(watch())
    try:
        answers = await asyncio.gather(*(served.post("/v1/batches", json=BODY, headers=clerk) for _ in range(20)))
    finally:
        watcher.cancel()
    assert sorted(a.status_code for a in answers) == [201] + [409] * 19
    assert down == []
    assert {a.json()["code"] for a in answers if a.status_code == 409} <= {"batch-being-built", "nothing-due"}
    listed = (await served.get("/v1/batches", headers=clerk)).json()["items"]
    assert len(listed) == 1


async def test_the_disbursement_rate_counts_what_is_in_a_batch(served, agency, clerk):
    params = {"region": REGION, "period": "2020-06", "benefits": ["special_assistance"]}
    before = (await served.get("/v1/reports/disbursement-rate", params=params, headers=clerk)).json()
    assert [(r["due"], r["in_batch"], r["rate_percent"]) for r in before] == [(3, 0, "0.00")]
    await served.post("/v1/batches", json=BODY, headers=clerk)
    after = (await served.get("/v1/reports/disbursement-rate", params=params, headers=clerk)).json()
    assert [(r["due"], r["in_batch"], r["outstanding"]) for r in after] == [(3, 3, 3)]


async def test_a_bad_report_request_names_each_field(served, clerk):
    response = await served.get("/v1/reports/disbursement-rate", params={"region": "999999", "period": "2020-13"},
                                headers=clerk)
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("query.period", "period-format"), ("query.region", "region-code-unknown")]


async def test_a_report_of_another_region_is_refused(served, clerk):
    response = await served.get("/v1/reports/disbursement-rate", params={"region": "370306", "period": "2020-06"},
                                headers=clerk)
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("region-outside-scope", "query.region")
