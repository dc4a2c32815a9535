"""What a batch's build left out stays with the batch: counted on every answer, listed with why and
what to do, scoped like the batch; and its history speaks the reader's language."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import httpx
import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.app import configure_encryption
from tefu_common.db import create_engine
from tefu_payments.agencies.models import Agency
from tefu_payments.batches import building
from tefu_payments.batches.building import BuildReport
from tefu_payments.batches.models import Batch, BatchSkip

REGION = "420106"
BODY = {"region_code": REGION, "benefits": ["special_assistance"], "period": "2020-06", "agency_id": "ICBC-WC"}
NO_STANDARD = "本地区的地方标准尚未配置"
NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


@pytest.fixture
def fakes(fakes):
    """The fakes, with eligibility leaving the amount of ``no_amount``'s members unknown."""
    fakes.no_amount = set()
    answer = fakes.eligibility

    async def eligibility(request: httpx.Request) -> httpx.Response:
        response = await answer(request)
        if response.status_code != 200:
            return response
        lines = [orjson.loads(line) for line in response.content.splitlines() if line]
        for line in lines:
            if line["member_id"] in fakes.no_amount:
                line.update(amount=None, amount_status="unknown", amount_reason=NO_STANDARD)
        return httpx.Response(200, content=b"".join(orjson.dumps(line) + b"\n" for line in lines),
                              headers={"content-type": "application/x-ndjson"})

    fakes.eligibility = eligibility
    return fakes


@pytest.fixture
async def agency(served, auth):
    created = await served.post("/v1/agencies", headers=auth(role="admin", region="420000"),
                                json={"id": "ICBC-WC", "name": "中国工商银行武昌支行", "region_code": "420000"})
    assert created.status_code == 201, created.text


@pytest.fixture
def clerk(auth):
    return auth(role="clerk", region=REGION, subject="clerk-wang")


async def every(client, url: str, headers: dict, limit: int = 1000, **params) -> tuple[list[dict], int]:
    items, query, pages = [], {"limit": limit, **params}, 0
    while True:
        page = await client.get(url, headers=headers, params=query)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        pages += 1
        if page.json()["next_cursor"] is None:
            return items, pages
        query = {**query, "cursor": page.json()["next_cursor"]}


async def test_each_reason_is_kept_with_the_batch_and_said_on_every_answer(served, fakes, agency, clerk):
    fakes.without_account, fakes.no_amount = {71}, {72}
    created = await served.post("/v1/batches", json=BODY, headers=clerk)
    assert created.status_code == 201, created.text
    batch = created.json()
    counts = {"no_amount": 13, "no_bank_account": 13, "already_in_ledger": 0, "already_in_ledger_earlier": 0,
              "under_review": 0}
    assert (batch["line_count"], batch["skipped"]) == (13, counts)
    # Not only in the answer that built it: a clerk opening the batch later reads the same.
    assert (await served.get(f"/v1/batches/{batch['id']}", headers=clerk)).json()["skipped"] == counts
    assert (await served.get("/v1/batches", headers=clerk)).json()["items"][0]["skipped"] == counts

    items, _ = await every(served, f"/v1/batches/{batch['id']}/skipped", clerk)
    assert len(items) == 26
    without = [i for i in items if i["reason"] == "no_bank_account"]
    assert {(i["member_id"], i["family_id"], i["role"]) for i in without} == {(71, 710, "mother")}
    assert sorted(i["month"] for i in without) == [f"2019-{m:02d}" for m in range(6, 13)] + [
        f"2020-{m:02d}" for m in range(1, 7)]
    assert without[0]["reason_text"] == "登记中没有该成员的银行账户"
    assert "补录银行账户" in without[0]["what_to_do"] and "欠发补发" in without[0]["what_to_do"]
    assert without[0]["benefit_name"] == "计划生育家庭特别扶助金"
    unknown = [i for i in items if i["reason"] == "no_amount"]
    assert {(i["member_id"], i["amount_status"], i["amount_reason"]) for i in unknown} == {(72, "unknown", NO_STANDARD)}
    assert unknown[0]["reason_text"] == f"金额未定：政策规定由地方确定的金额尚未配置（{NO_STANDARD}）"
    assert "地方标准" in unknown[0]["what_to_do"]
    # No one's name or account is kept or shown: ids only.
    assert not {"payee_name", "name", "bank_account", "id_number"} & set(items[0])

    english, _ = await every(served, f"/v1/batches/{batch['id']}/skipped", {**clerk, "Accept-Language": "en"},
                             reason="no_bank_account")
    assert english[0]["reason_text"] == "the register has no bank account for the member"


async def test_an_entitlement_another_batch_holds_names_that_batch_and_line(served, fakes, agency, clerk, auth):
    first = (await served.post("/v1/batches", json=BODY, headers=clerk)).json()
    june = {line["member_id"]: line["reference"] for line in (await every(
        served, f"/v1/batches/{first['id']}/lines", clerk))[0] if line["month"] == "2020-06"}
    # A batch of the city over the same families, with one more family registered since.
    fakes.members = [70, 71, 72, 73]
    city = auth(role="clerk", region="420100", subject="clerk-city")
    second = await served.post("/v1/batches", json={**BODY, "region_code": "420100"}, headers=city)
    assert second.status_code == 201, second.text
    batch = second.json()
    assert batch["line_count"] == 13  # the new family's June and its arrears
    # The 36 earlier months the first batch holds are arrears paid there: counted, not listed.
    assert batch["skipped"] == {"no_amount": 0, "no_bank_account": 0, "already_in_ledger": 39,
                                "already_in_ledger_earlier": 36, "under_review": 0}
    held, _ = await every(served, f"/v1/batches/{batch['id']}/skipped", city, reason="already_in_ledger")
    assert {(i["member_id"], i["month"], i["held_batch_id"], i["held_reference"]) for i in held} == {
        (member, "2020-06", first["id"], reference) for member, reference in june.items()}
    assert held[0]["reason_text"] == f"已在批次 {first['id']}（流水号 {held[0]['held_reference']}）中，不重复发放"
    assert held[0]["what_to_do"].startswith("无需处理")
    assert (await every(served, f"/v1/batches/{batch['id']}/skipped", city, reason="no_amount"))[0] == []


async def test_the_items_come_in_pages_each_page_logged(served, fakes, agency, clerk, auth):
    fakes.without_account, fakes.no_amount = {70}, {71}
    batch = (await served.post("/v1/batches", json=BODY, headers=clerk)).json()
    url = f"/v1/batches/{batch['id']}/skipped"
    items, pages = await every(served, url, clerk, limit=5)
    assert (len(items), pages) == (26, 6)
    # By reason, then in the order found; every item once.
    assert [i["reason"] for i in items] == ["no_amount"] * 13 + ["no_bank_account"] * 13
    assert len({(i["member_id"], i["month"]) for i in items}) == 26
    only, pages = await every(served, url, clerk, limit=5, reason="no_bank_account")
    assert (pages, {i["member_id"] for i in only}) == (3, {70})
    assert only == [i for i in items if i["reason"] == "no_bank_account"]
    bad = await served.get(url, headers=clerk, params={"reason": "no_reason"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.reason"
    log = (await served.get("/v1/access-log", params={"batch_id": batch["id"], "action": "batch_skipped"},
                            headers=auth(role="auditor", region=REGION))).json()["items"]
    assert [entry["line_count"] for entry in log] == [5, 5, 5, 5, 5, 1, 5, 5, 3]
    assert log[0]["endpoint"] == "GET /v1/batches/{batch_id}/skipped"
    assert {member for entry in log for member in entry["member_ids"]} == {70, 71}


async def test_the_items_are_scoped_like_the_batch(served, fakes, agency, clerk, auth):
    fakes.without_account = {71}
    batch = (await served.post("/v1/batches", json=BODY, headers=clerk)).json()
    url = f"/v1/batches/{batch['id']}/skipped"
    for elsewhere in (auth(role="clerk", region="370306"), auth(role="agency", region="420000", agency="BOC-WC")):
        assert (await served.get(f"/v1/batches/{batch['id']}", headers=elsewhere)).status_code == 404
        refused = await served.get(url, headers=elsewhere)
        assert (refused.status_code, refused.json()["code"]) == (404, "batch-not-found")
    assert (await served.get("/v1/batches/999999/skipped", headers=clerk)).status_code == 404
    # The province above sees it, as it sees the batch.
    province, _ = await every(served, url, auth(role="auditor", region="420000"))
    assert len(province) == 13


async def test_the_history_says_in_chinese_what_the_service_did(served, agency, clerk, auth):
    batch = (await served.post("/v1/batches", json=BODY, headers=clerk)).json()
    url = f"/v1/batches/{batch['id']}"
    await served.post(f"{url}/submit", headers=clerk)
    await served.post(f"{url}/approve", json={"note": "已核对"}, headers=auth(role="approver", region=REGION,
                                                                           subject="chief-li"))
    steps, _ = await every(served, f"{url}/transitions", clerk)
    assert [(s["event"], s["note"]) for s in steps] == [
        ("built", "共 39 笔，其中 36 笔为以前月份的补发"), (None, None), (None, "已核对")]
    assert steps[0]["facts"] == {"lines": 39, "arrears": 36}
    english, _ = await every(served, f"{url}/transitions", {**clerk, "Accept-Language": "en"})
    assert [s["note"] for s in english] == ["39 lines, 36 of earlier months", None, "已核对"]


@pytest.fixture
async def session(database_url, settings):
    configure_encryption(settings)
    engine = create_engine(database_url)
    session = AsyncSession(engine)
    await session.begin()
    session.add(Agency(id="A1", name="a", region_code="440600", file_format="csv", encoding="utf-8", columns=[],
                       header_row=True, summary="trailer", active=True, created_at=NOW, updated_at=NOW))
    await session.flush()
    for batch_id in (1, 2):
        session.add(Batch(id=batch_id, region_code="440604", benefits=["special_assistance"], period="2024-01",
                          frequency="monthly", period_start=date(2024, 1, 1), period_end=date(2024, 1, 31),
                          agency_id="A1", status="draft", prepared_by="clerk-a", request_hash="h", line_count=0,
                          total=Decimal("0"), created_at=NOW, updated_at=NOW))
    await session.flush()
    yield session
    await session.rollback()
    await session.close()
    await engine.dispose()


def entitlement(member: int, month: str = "2024-01") -> dict:
    return {"family_id": member * 10, "member_id": member, "role": "mother", "benefit": "special_assistance",
            "benefit_name": "计划生育家庭特别扶助金", "month": month, "period": month, "due_on": None, "amount": "340.00",
            "rule_id": "r", "citation": "c", "catalogue_version": "0123456789abcdef", "amount_status": "local"}


def payee(member: int) -> dict:
    return {"member_id": member, "name": "王秀英", "id_number": "440604196503021029",
            "account_number": f"6228{member:015d}", "holder": "王秀英", "bank": "中国农业银行佛山禅城支行"}


async def test_a_line_taken_by_another_build_meanwhile_is_kept_as_held_by_it(session):
    """Two builds of overlapping regions check the same entitlement before either writes it: the
    one that writes second keeps it as left out, naming the line of the first."""
    first, second = await session.get(Batch, 1), await session.get(Batch, 2)
    await building._write(session, first, [entitlement(3)], [], {3: payee(3)}, "2024-01", BuildReport())
    report = BuildReport()
    await building._write(session, second, [entitlement(3), entitlement(4), entitlement(3, "2023-12")], [],
                          {3: payee(3), 4: payee(4)}, "2024-01", report)
    assert (report.inserted, report.already_in_ledger, report.already_in_ledger_earlier) == (2, 1, 0)
    skips = (await session.scalars(select(BatchSkip).where(BatchSkip.batch_id == 2))).all()
    assert [(s.reason, s.member_id, s.month, s.held_batch_id, s.held_reference) for s in skips] == [
        ("already_in_ledger", 3, "2024-01", 1, "0000010000001")]
