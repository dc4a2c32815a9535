"""GET /v1/access-log: auditors and admins of a region, filters by time, reader, person, batch and
action, pages by cursor."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.access_log import Reader
from tefu_common.db import create_engine
from tefu_payments.access_log.models import AccessLogEntry
from tefu_payments.access_log.reads import record_read
from tefu_payments.agencies.models import Agency
from tefu_payments.batches.models import Batch, LedgerLine

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


def batch(batch_id: int, region: str) -> Batch:
    return Batch(id=batch_id, region_code=region, benefits=["special_assistance"], period="2020-06", frequency="monthly",
                 period_start=date(2020, 6, 1), period_end=date(2020, 6, 30), agency_id="ABC-L", status="exported",
                 prepared_by="clerk-a", request_hash="h", line_count=1, total=Decimal("610.00"), created_at=NOW,
                 updated_at=NOW)


@pytest.fixture
async def seeded(database_url):
    """Reads in Zhoucun (370306, batch 1) and Zichuan (370302, batch 2); member 70 has a line in batch 1."""
    await _seed(database_url)


async def _seed(database_url: str) -> None:
    engine = create_engine(database_url)
    async with AsyncSession(engine) as session:
        session.add(Agency(id="ABC-L", name="a", region_code="370300", file_format="csv", encoding="utf-8", columns=[],
                           header_row=True, summary="trailer", active=True, created_at=NOW, updated_at=NOW))
        await session.flush()
        session.add_all([batch(1, "370306"), batch(2, "370302")])
        await session.flush()
        session.add(LedgerLine(batch_id=1, reference="R1", family_id=7, member_id=70, role="mother", payee_key="m70",
                               benefit="special_assistance", benefit_name="特扶金", period_key="2020-06", month="2020-06",
                               amount=Decimal("610.00"), status="pending", rule_id="r", citation="c", created_at=NOW))
        pull = Reader("bank-zb", "agency", "ABC-L", "GET /v1/batches/{batch_id}/file")
        shown = dict(action="file_pull", shown="names, ID numbers and bank accounts in full", line_count=1, sha256="ab" * 32)
        await record_read(session, pull, region_code="370306", batch_id=1, **shown)
        await record_read(session, pull, region_code="370302", batch_id=2, **shown)
        await record_read(session, Reader("clerk-zc", "clerk", None, "GET /v1/batches/{batch_id}/lines"),
                          action="batch_lines", region_code="370306", batch_id=1, line_count=3, members=[71, 70, 72],
                          shown="names and bank accounts masked")
        await record_read(session, Reader("clerk-zc", "clerk", None, "GET /v1/people/{member_id}/payments"),
                          action="payment_history", region_code="370306", line_count=1, members=[70], shown="amounts")
        # The first pull happened an hour earlier than the rest.
        await session.execute(update(AccessLogEntry).where(AccessLogEntry.id == 1).values(at=NOW - timedelta(hours=1)))
        await session.execute(update(AccessLogEntry).where(AccessLogEntry.id > 1).values(at=NOW))
        await session.commit()
    await engine.dispose()


async def log(client, headers: dict[str, str], **params) -> list[dict]:
    response = await client.get("/v1/access-log", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_auditors_see_the_reads_of_their_region(client, auth, seeded):
    zhoucun = auth(role="auditor", region="370306")
    assert [(e["endpoint"], e["batch_id"]) for e in await log(client, zhoucun)] == [
        ("GET /v1/batches/{batch_id}/file", 1), ("GET /v1/batches/{batch_id}/lines", 1),
        ("GET /v1/people/{member_id}/payments", None)]
    assert [e["region_code"] for e in await log(client, auth(role="auditor", region="370300"))] == \
        ["370306", "370302", "370306", "370306"]
    assert await log(client, auth(role="admin", region="420000")) == []
    first = (await log(client, zhoucun))[0]
    assert (first["subject"], first["role"], first["institution"], first["sha256"]) == ("bank-zb", "agency", "ABC-L", "ab" * 32)


@pytest.mark.parametrize("role", ["clerk", "approver", "agency", "service"])
async def test_only_auditors_and_admins_read_the_log(client, auth, role):
    extra = {"agency": "ABC-L"} if role == "agency" else {}
    response = await client.get("/v1/access-log", headers=auth(role=role, region="370306", **extra))
    assert response.status_code == 403


async def test_an_auditor_token_without_audit_read_is_refused(client, auth):
    narrowed = auth(role="auditor", region="370306", scopes={"batches:read"})
    assert (await client.get("/v1/access-log", headers=narrowed)).status_code == 403


async def test_filters_by_person_reader_batch_action_and_time(client, auth, seeded):
    auditor = auth(role="auditor", region="370300")
    # Member 70: named on the page and in the history, and in the file of batch 1 (not batch 2's).
    by_person = await log(client, auditor, member_id=70)
    assert [e["action"] for e in by_person] == ["file_pull", "batch_lines", "payment_history"]
    assert by_person[1]["member_ids"] == [70, 71, 72] and by_person[0]["member_ids"] == []
    assert [e["action"] for e in await log(client, auditor, member_id=72)] == ["batch_lines"]
    assert {e["subject"] for e in await log(client, auditor, subject="clerk-zc")} == {"clerk-zc"}
    assert [e["batch_id"] for e in await log(client, auditor, batch_id=2)] == [2]
    assert len(await log(client, auditor, action="file_pull")) == 2
    assert len(await log(client, auditor, since=NOW.isoformat())) == 3
    assert len(await log(client, auditor, until=NOW.isoformat())) == 1
    bad = await client.get("/v1/access-log", params={"action": "peek"}, headers=auditor)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.action"


async def test_pages_follow_the_cursor(client, auth, seeded):
    auditor = auth(role="auditor", region="370300")
    seen, params = [], {"limit": 3}
    while True:
        page = (await client.get("/v1/access-log", params=params, headers=auditor)).json()
        seen += [e["id"] for e in page["items"]]
        if page["next_cursor"] is None:
            break
        params = {"limit": 3, "cursor": page["next_cursor"]}
    assert seen == [1, 2, 3, 4]
