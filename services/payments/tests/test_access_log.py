"""GET /v1/access-log: auditors and admins of a region, filters by time, reader, person, batch and
action, pages by cursor."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.auth import Institution, Principal, Role, scopes_for
from tefu_common.db import create_engine
from tefu_payments.access_log import service as access_log
from tefu_payments.access_log.models import AccessLogEntry
from tefu_payments.agencies.models import Agency
from tefu_payments.batches.models import Batch, LedgerLine

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def reader(subject: str, role: Role = Role.clerk, agency: str | None = None) -> Principal:
    return Principal(subject=subject, role=role, scopes=scopes_for(role), region="370000",
                     institution=Institution("agency", agency) if agency else None, client_id=None, token_id=subject,
                     expires_at=NOW)


def batch(batch_id: int, region: str) -> Batch:
    return Batch(id=batch_id, region_code=region, benefits=["special_assistance"], period="2020-06", frequency="monthly",
                 period_start=date(2020, 6, 1), period_end=date(2020, 6, 30), agency_id="ABC-L", status="exported",
                 prepared_by="clerk-a", request_hash="h", line_count=1, total=Decimal("610.00"), created_at=NOW,
                 updated_at=NOW)


@pytest.fixture(scope="module")
def seeded(database_url):
    """Reads in Zhoucun (370306, batch 1) and Zichuan (370302, batch 2); member 70 has a line in batch 1."""
    asyncio.run(_seed(database_url))


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
        bank, clerk = reader("bank-zb", Role.agency, "ABC-L"), reader("clerk-zc")
        pull = dict(action="file_pull", shown="names, ID numbers and bank accounts in full", line_count=1, sha256="ab" * 32)
        await access_log.record(session, bank, access_log.Read(endpoint="GET /v1/batches/1/file", region_code="370306",
                                                               batch_id=1, **pull))
        await access_log.record(session, bank, access_log.Read(endpoint="GET /v1/batches/2/file", region_code="370302",
                                                               batch_id=2, **pull))
        await access_log.record(session, clerk, access_log.Read(
            action="batch_lines", endpoint="GET /v1/batches/1/lines", region_code="370306", batch_id=1, line_count=3,
            members=[71, 70, 72], shown="names and bank accounts masked"))
        await access_log.record(session, clerk, access_log.Read(
            action="payment_history", endpoint="GET /v1/people/70/payments", region_code="370306", line_count=1,
            members=[70], shown="amounts"))
        # The first pull happened an hour earlier than the rest.
        await session.execute(update(AccessLogEntry).where(AccessLogEntry.id == 1).values(at=NOW - timedelta(hours=1)))
        await session.execute(update(AccessLogEntry).where(AccessLogEntry.id > 1).values(at=NOW))
        await session.commit()
    await engine.dispose()


async def log(client, token: str, **params) -> list[dict]:
    response = await client.get("/v1/access-log", params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_auditors_see_the_reads_of_their_region(client, token, seeded):
    zhoucun = token(role="auditor", region="370306")
    assert [e["endpoint"] for e in await log(client, zhoucun)] == [
        "GET /v1/batches/1/file", "GET /v1/batches/1/lines", "GET /v1/people/70/payments"]
    assert [e["region_code"] for e in await log(client, token(role="auditor", region="370300"))] == \
        ["370306", "370302", "370306", "370306"]
    assert await log(client, token(role="admin", region="420000")) == []
    first = (await log(client, zhoucun))[0]
    assert (first["subject"], first["role"], first["institution"], first["sha256"]) == ("bank-zb", "agency", "ABC-L", "ab" * 32)
    for role in ("clerk", "approver", "agency", "service"):
        extra = {"agency": "ABC-L"} if role == "agency" else {}
        response = await client.get("/v1/access-log", headers=bearer(token(role=role, region="370306", **extra)))
        assert response.status_code == 403, role
    narrowed = token(role="auditor", region="370306", scopes={"batches:read"})
    assert (await client.get("/v1/access-log", headers=bearer(narrowed))).status_code == 403


async def test_filters_by_person_reader_batch_action_and_time(client, token, seeded):
    auditor = token(role="auditor", region="370300")
    # Member 70: named on the page and in the history, and in the file of batch 1 (not batch 2's).
    by_person = await log(client, auditor, member_id=70)
    assert [e["endpoint"] for e in by_person] == ["GET /v1/batches/1/file", "GET /v1/batches/1/lines",
                                                  "GET /v1/people/70/payments"]
    assert by_person[1]["member_ids"] == [70, 71, 72] and by_person[0]["member_ids"] == []
    assert [e["endpoint"] for e in await log(client, auditor, member_id=72)] == ["GET /v1/batches/1/lines"]
    assert {e["subject"] for e in await log(client, auditor, subject="clerk-zc")} == {"clerk-zc"}
    assert [e["batch_id"] for e in await log(client, auditor, batch_id=2)] == [2]
    assert len(await log(client, auditor, action="file_pull")) == 2
    assert len(await log(client, auditor, since=NOW.isoformat())) == 3
    assert len(await log(client, auditor, until=NOW.isoformat())) == 1
    bad = await client.get("/v1/access-log", params={"action": "peek"}, headers=bearer(auditor))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].endswith("action")


async def test_pages_follow_the_cursor(client, token, seeded):
    auditor = bearer(token(role="auditor", region="370300"))
    seen, cursor = [], 0
    while cursor is not None:
        page = (await client.get("/v1/access-log", params={"limit": 3, "cursor": cursor}, headers=auditor)).json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
    assert seen == [1, 2, 3, 4]
