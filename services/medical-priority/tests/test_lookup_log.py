"""The lookup log: every concurrent lookup has its row; a lookup that cannot be logged is not answered."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from tefu_common.db import Database
from tefu_medical_priority.access_log.models import LookupLogEntry
from tefu_medical_priority.access_log.writer import LookupLog
from tefu_common.errors import ServiceUnavailable


async def test_two_hundred_concurrent_lookups_leave_two_hundred_rows(client, issue_card, hospital, desk, database_url):
    await hospital()
    card_no = await issue_card("420102")
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            before = await connection.scalar(select(func.count()).select_from(LookupLogEntry))
        answers = await asyncio.gather(*(client.get(f"/v1/cards/{card_no}", headers=desk()) for _ in range(200)))
        assert {a.status_code for a in answers} == {200}
        async with database.engine.connect() as connection:
            after = await connection.scalar(select(func.count()).select_from(LookupLogEntry))
    finally:
        await database.dispose()
    assert after - before == 200


async def test_a_row_that_cannot_be_written_fails_its_lookup(tmp_path):
    unreachable = Database(f"sqlite+aiosqlite:///{tmp_path}/no-such-table.db")  # no migrations: no table
    writer = LookupLog(unreachable)
    writer.start()
    try:
        raised = None
        try:
            await writer.record(subject="his", role="hospital", institution="H1", endpoint="GET /v1/cards/{card_no}",
                                how="card_no", card_id=1, region_code="420102", outcome="valid")
        except ServiceUnavailable as exc:
            raised = exc
        assert raised is not None and raised.headers["Retry-After"]
    finally:
        await writer.stop()
        await unreachable.dispose()
