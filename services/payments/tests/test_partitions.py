"""On PostgreSQL the ledger is partitioned by pay period (a year a partition) and the access log by
month (China's calendar): a batch whose arrears cross from one year into the next is read back
whole, a line carried again stays with the failed line it names in that line's period, the keys
that make a second payment impossible hold across partitions, reads either side of midnight ending
a month are one log, the default partitions stay empty, and the coming partitions are made at
start-up."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError

from tefu_common.db import Database
from tefu_common.partitions import ensure_monthly_partitions, ensure_period_partitions, partition_name
from tefu_payments.access_log.models import AccessLogEntry
from tefu_payments.main import BY_MONTH, BY_PERIOD

CHINA = timezone(timedelta(hours=8))


@pytest.fixture
def postgresql_only(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("partitions are PostgreSQL's; the embedded default keeps plain tables")


async def _rows(database_url: str, sql: str, **params) -> list[tuple]:
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(text(sql), params)]
    finally:
        await database.dispose()


async def _all_lines(served, batch_id: int, headers: dict[str, str]) -> list[dict]:
    lines, params = [], {"limit": 10}
    while True:
        page = (await served.get(f"/v1/batches/{batch_id}/lines", params=params, headers=headers)).json()
        lines += page["items"]
        if page["next_cursor"] is None:
            return lines
        params = {"limit": 10, "cursor": page["next_cursor"]}


async def test_a_batch_and_its_arrears_across_a_year_read_back_whole(served, approved, auth, database_url,
                                                                     postgresql_only):
    # The batch of 2020-06 with its twelve months of arrears: 2019-06 … 2020-06, three mothers.
    placed = dict(await _rows(database_url, "SELECT substr(period_key, 1, 4), count(*) FROM ledger_line "
                              "WHERE batch_id = :batch GROUP BY 1", batch=approved))
    where = await _rows(database_url, "SELECT DISTINCT substr(period_key, 1, 4), tableoid::regclass::text "
                        "FROM ledger_line WHERE batch_id = :batch", batch=approved)
    assert placed == {"2019": 3 * 7, "2020": 3 * 6}
    assert sorted(where) == [("2019", "ledger_line_p2019"), ("2020", "ledger_line_p2020")]
    assert await _rows(database_url, "SELECT count(*) FROM ledger_line_pdefault") == [(0,)]
    lines = await _all_lines(served, approved, auth(role="clerk", region="420106"))
    assert [line["reference"] for line in lines] == sorted(line["reference"] for line in lines)
    assert len(lines) == 39 and {line["period"][:4] for line in lines} == {"2019", "2020"}
    history = (await served.get("/v1/people/70/payments", params={"limit": 100},
                                headers=auth(role="clerk", region="420106"))).json()["items"]
    assert [item["month"] for item in history] == sorted(line["month"] for line in lines if line["member_id"] == 70)


async def test_a_failed_line_is_carried_in_its_own_period_and_paid_once(served, approved, auth, database_url,
                                                                        postgresql_only):
    failed = await _rows(database_url, "SELECT id, reference FROM ledger_line WHERE batch_id = :batch "
                         "AND member_id = 70 AND period_key = '2019-12'", batch=approved)
    database = Database(database_url)
    try:
        async with database.engine.begin() as connection:  # as a bank's return would have it
            await connection.execute(text("UPDATE ledger_line SET status = 'failed', failure_reason = '账户已销户' "
                                          "WHERE id = :id"), {"id": failed[0][0]})
    finally:
        await database.dispose()
    clerk = auth(role="clerk", region="420106", subject="clerk-li")
    body = {"region_code": "420106", "benefits": ["special_assistance"], "period": "2020-07", "agency_id": "ICBC-WC"}
    built = await served.post("/v1/batches", json=body, headers=clerk)
    assert built.status_code == 201, built.text
    lines = await _all_lines(served, built.json()["id"], clerk)
    # 2020-07 for the three, and member 70's December 2019 again, naming the failed line.
    assert sorted((line["member_id"], line["period"], line["carries"]) for line in lines) == [
        (70, "2019-12", failed[0][1]), (70, "2020-07", None), (71, "2020-07", None), (72, "2020-07", None)]
    again = await _rows(database_url, "SELECT id, tableoid::regclass::text FROM ledger_line WHERE batch_id = :batch "
                        "AND period_key = '2019-12'", batch=built.json()["id"])
    assert again[0][1] == "ledger_line_p2019"
    other_year = await _rows(database_url, "SELECT id FROM ledger_line WHERE batch_id = :batch AND "
                             "period_key = '2020-07' AND member_id = 71", batch=built.json()["id"])
    database = Database(database_url)
    try:
        # A line can only carry a line of its own period: the key names (id, period).
        with pytest.raises(IntegrityError, match="fk_ledger_line_carries_line_id_ledger_line"):
            async with database.engine.begin() as connection:
                await connection.execute(text("UPDATE ledger_line SET carries_line_id = :other WHERE id = :id"),
                                         {"other": other_year[0][0], "id": again[0][0]})
        # And the entitlement is paid once: uq_ledger_line_entitlement, held by the period's partition.
        with pytest.raises(IntegrityError, match="ledger_line_p2019_payee_key_benefit_period_key_idx"):
            async with database.engine.begin() as connection:
                await connection.execute(text(
                    "INSERT INTO ledger_line (batch_id, reference, family_id, member_id, role, payee_key, benefit, "
                    "benefit_name, period_key, month, amount, status, rule_id, citation, created_at) "
                    "SELECT batch_id, 'X' || reference, family_id, member_id, role, payee_key, benefit, benefit_name, "
                    "period_key, month, amount, 'pending', rule_id, citation, created_at FROM ledger_line "
                    "WHERE id = :id"), {"id": again[0][0]})
    finally:
        await database.dispose()


async def test_reads_either_side_of_a_month_boundary_are_one_log(served, approved, auth, database_url,
                                                                 postgresql_only):
    clerk = auth(role="clerk", region="420106")
    for _ in range(2):
        assert (await served.get(f"/v1/batches/{approved}/lines", headers=clerk)).status_code == 200
    ids = [row[0] for row in await _rows(database_url, "SELECT id FROM access_log WHERE action = 'batch_lines' "
                                         "ORDER BY id")]
    this_month = datetime.now(CHINA).date().replace(day=1)
    next_month = (this_month + timedelta(days=32)).replace(day=1)
    midnight = datetime.combine(next_month, datetime.min.time(), CHINA)
    database = Database(database_url)
    try:
        async with database.sessionmaker() as session, session.begin():
            for entry_id, at in zip(ids, (midnight - timedelta(seconds=1), midnight)):
                await session.execute(update(AccessLogEntry).where(AccessLogEntry.id == entry_id).values(at=at))
    finally:
        await database.dispose()
    placed = dict(await _rows(database_url, "SELECT id, tableoid::regclass::text FROM access_log WHERE id = ANY(:ids)",
                              ids=ids))
    assert placed == {ids[0]: partition_name("access_log", this_month), ids[1]: partition_name("access_log", next_month)}
    assert await _rows(database_url, "SELECT count(*) FROM access_log_pdefault") == [(0,)]
    log = (await served.get("/v1/access-log", params={"action": "batch_lines", "member_id": 70},
                            headers=auth(role="auditor", region="420106"))).json()["items"]
    assert [(e["id"], datetime.fromisoformat(e["at"])) for e in log] == [
        (ids[0], midnight - timedelta(seconds=1)), (ids[1], midnight)]
    assert all(70 in e["member_ids"] for e in log)  # the people each page named, across the boundary


async def test_the_coming_partitions_are_made_ahead(served, database_url, postgresql_only):
    database = Database(database_url)
    try:
        by_period = await ensure_period_partitions(database.engine, [*BY_PERIOD, "batch"], undated=("once", "oncf"),
                                                   on=date(2031, 3, 1), ahead_by=1)
        by_month = await ensure_monthly_partitions(database.engine, [*BY_MONTH, "access_log_member"],
                                                   on=date(2031, 3, 1), months_ahead=1)
    finally:
        await database.dispose()
    assert (by_period, by_month) == (2 + 2, 2 + 1)  # 2031, 2032, undated and default; March, April and default
    names = {row[0] for row in await _rows(database_url, "SELECT c.relname FROM pg_inherits i JOIN pg_class c "
                                           "ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
                                           "WHERE p.relname IN ('ledger_line', 'access_log')")}
    next_year = datetime.now(CHINA).year + 1
    # At start-up: every year since the programme began (2007) to next year, and the coming months.
    assert {"ledger_line_p2007", f"ledger_line_p{next_year}", "ledger_line_p2031", "ledger_line_p2032",
            "ledger_line_pundated", "ledger_line_pdefault", "access_log_p203103", "access_log_p203104"} <= names
    assert "ledger_line_p2006" not in names


def test_a_year_partition_holds_the_year_and_its_months():
    from tefu_common.partitions import is_partition, period_partition_statements, years_ahead

    assert period_partition_statements("ledger_line", [2026], undated=("once", "oncf")) == [
        "CREATE TABLE IF NOT EXISTS ledger_line_p2026 PARTITION OF ledger_line FOR VALUES FROM ('2026') TO ('2027')",
        "CREATE TABLE IF NOT EXISTS ledger_line_pundated PARTITION OF ledger_line FOR VALUES FROM ('once') TO ('oncf')",
        "CREATE TABLE IF NOT EXISTS ledger_line_pdefault PARTITION OF ledger_line DEFAULT"]
    # '2026' <= '2026', '2026-01' … '2026-12' < '2027'; 'once' sorts after every year.
    assert all("2026" <= key < "2027" for key in ("2026", "2026-01", "2026-12")) and "once" > "9999"
    assert years_ahead(2007, on=date(2026, 12, 2))[::19] == [2007, 2026] and years_ahead(on=date(2026, 12, 2)) == [2026, 2027]
    assert is_partition("ledger_line_p2026") and is_partition("ledger_line_pundated")
    assert not is_partition("ledger_line") and not is_partition("access_log_member")
