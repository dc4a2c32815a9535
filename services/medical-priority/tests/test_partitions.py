"""On PostgreSQL the lookup log is partitioned by month (China's calendar): lookups on either side
of midnight ending a month land in their months' partitions and an auditor reads them back as one
log, the default partition stays empty, and the coming months' partitions are made at start-up."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text, update

from tefu_common.db import Database
from tefu_common.partitions import ensure_monthly_partitions, partition_name
from tefu_medical_priority.access_log.models import LookupLogEntry
from tefu_medical_priority.main import PARTITIONED

CHINA = timezone(timedelta(hours=8))


@pytest.fixture
def postgresql_only(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("partitions are PostgreSQL's; the embedded default keeps a plain table")


async def test_lookups_either_side_of_a_month_boundary_are_one_log(client, issue_card, hospital, desk, auth,
                                                                   database_url, postgresql_only):
    await hospital()
    card_no = await issue_card("420102")
    for _ in range(2):
        assert (await client.get(f"/v1/cards/{card_no}", headers=desk())).status_code == 200
    this_month = datetime.now(CHINA).date().replace(day=1)
    next_month = (this_month + timedelta(days=32)).replace(day=1)
    midnight = datetime.combine(next_month, datetime.min.time(), CHINA)
    database = Database(database_url)
    try:
        async with database.sessionmaker() as session, session.begin():
            ids = (await session.scalars(text("SELECT id FROM lookup_log WHERE endpoint = 'GET /v1/cards/{card_no}' "
                                              "ORDER BY id"))).all()
            # The first lookup a second before midnight (China) ending this month, the second at midnight.
            for row_id, at in zip(ids, (midnight - timedelta(seconds=1), midnight)):
                await session.execute(update(LookupLogEntry).where(LookupLogEntry.id == row_id).values(at=at))
        async with database.engine.connect() as connection:
            placed = dict((await connection.execute(text(
                "SELECT id, tableoid::regclass::text FROM lookup_log WHERE id = ANY(:ids)"), {"ids": list(ids)})).all())
            in_default = await connection.scalar(text("SELECT count(*) FROM lookup_log_pdefault"))
    finally:
        await database.dispose()
    assert placed == {ids[0]: partition_name("lookup_log", this_month), ids[1]: partition_name("lookup_log", next_month)}
    assert in_default == 0
    log = (await client.get("/v1/access-log", params={"card_no": card_no},
                            headers=auth(role="auditor", region="420102"))).json()["items"]
    lookups = {e["id"]: e for e in log if e["endpoint"] == "GET /v1/cards/{card_no}"}
    assert set(lookups) == set(ids)
    assert datetime.fromisoformat(lookups[ids[0]]["at"]) == midnight - timedelta(seconds=1)
    assert datetime.fromisoformat(lookups[ids[1]]["at"]) == midnight


async def test_the_coming_months_partitions_are_made_ahead(client, database_url, postgresql_only):
    database = Database(database_url)
    try:
        made = await ensure_monthly_partitions(database.engine, [*PARTITIONED, "card"], on=date(2029, 2, 10),
                                               months_ahead=1)
        async with database.engine.connect() as connection:
            names = set((await connection.scalars(text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'lookup_log'"))).all())
    finally:
        await database.dispose()
    assert made == 3  # February and March 2029 and the default, of the one partitioned table
    # Made at start-up: this month and the twelve after it.
    this_month = datetime.now(CHINA).date().replace(day=1)
    a_year_on = this_month.replace(year=this_month.year + 1)
    assert {"lookup_log_p202902", "lookup_log_p202903", "lookup_log_pdefault",
            partition_name("lookup_log", this_month), partition_name("lookup_log", a_year_on)} <= names
