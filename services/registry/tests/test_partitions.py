"""On PostgreSQL the change feed and the access log are partitioned by month (China's calendar):
rows land in their month's partition, the feed and a family's history read straight across a
partition boundary in commit order, and the coming months' partitions are made at start-up."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text, update

from tefu_common.db import Database
from tefu_common.partitions import ahead, ensure_monthly_partitions, is_partition, partition_name
from tefu_common.testing import bearer
from tefu_registry.changes.models import FamilyChange

from .builders import family_body

CHINA = timezone(timedelta(hours=8))


def test_partition_names_and_the_months_kept_ahead():
    assert partition_name("family_change", date(2026, 12, 1)) == "family_change_p202612"
    assert is_partition("family_change_p202612") and is_partition("access_log_pdefault")
    assert not is_partition("family_change") and not is_partition("member_name_gram")
    months = ahead(date(2026, 10, 5), on=date(2026, 12, 3), months_ahead=2)
    assert months == [date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)]


@pytest.fixture
def postgresql_only(settings):
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("partitions are PostgreSQL's; the embedded default keeps plain tables")


async def test_the_feed_reads_across_a_month_boundary_in_commit_order(client, token, settings, postgresql_only):
    clerk = bearer(token(role="clerk"))
    first = (await client.post("/v1/families", json=family_body(), headers=clerk)).json()
    second = (await client.post("/v1/families", json=family_body(), headers=clerk)).json()
    third = (await client.post("/v1/families", json=family_body(), headers=clerk)).json()
    this_month = datetime.now(CHINA).date().replace(day=1)
    next_month = (this_month + timedelta(days=32)).replace(day=1)
    database = Database(settings.database_url)
    try:
        # The first change made on the last evening of this month (China), the second at midnight
        # starting the next; the third long before the register was partitioned.
        async with database.sessionmaker() as session, session.begin():
            for family, at in ((first, datetime.combine(next_month, datetime.min.time(), CHINA) - timedelta(minutes=1)),
                               (second, datetime.combine(next_month, datetime.min.time(), CHINA)),
                               (third, datetime(2020, 1, 1, tzinfo=CHINA))):
                await session.execute(update(FamilyChange).where(FamilyChange.family_id == family["id"])
                                      .values(occurred_at=at))
        async with database.engine.connect() as connection:
            placed = dict((await connection.execute(text(
                "SELECT family_id, tableoid::regclass::text FROM family_change"))).all())
    finally:
        await database.dispose()
    assert placed == {first["id"]: partition_name("family_change", this_month),
                      second["id"]: partition_name("family_change", next_month),
                      third["id"]: "family_change_pdefault"}  # a month with no partition never fails a write
    feed = (await client.get("/v1/changes", params={"after": 0}, headers=bearer(token(role="service",
                                                                                      region="000000")))).json()
    assert [item["family_id"] for item in feed["items"]] == [first["id"], second["id"], third["id"]]
    history = (await client.get(f"/v1/families/{first['id']}/history", headers=clerk)).json()
    assert [h["kind"] for h in history["items"]] == ["family_registered"]


async def test_the_coming_months_partitions_are_made_and_reads_are_logged_into_them(client, token, settings,
                                                                                      postgresql_only):
    database = Database(settings.database_url)
    try:
        made = await ensure_monthly_partitions(database.engine, ["family_change", "access_log", "family"],
                                               on=date(2028, 5, 20), months_ahead=1)
        async with database.engine.connect() as connection:
            names = set((await connection.scalars(text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'access_log'"))).all())
    finally:
        await database.dispose()
    assert made == 2 * 3  # May and June 2028 and the default, for the two partitioned tables only
    assert {"access_log_p202805", "access_log_p202806", "access_log_pdefault"} <= names
    clerk = bearer(token(role="clerk"))
    family = (await client.post("/v1/families", json=family_body(), headers=clerk)).json()
    assert (await client.get(f"/v1/families/{family['id']}", headers=clerk)).status_code == 200
    database = Database(settings.database_url)
    try:
        async with database.engine.connect() as connection:
            month = datetime.now(CHINA).date().replace(day=1)
            where = (await connection.scalars(text("SELECT DISTINCT tableoid::regclass::text FROM access_log"))).all()
    finally:
        await database.dispose()
    assert where == [partition_name("access_log", month)]
