"""Monthly range partitions on PostgreSQL, for the tables that only grow: change feeds, access logs.

A partitioned table ``t`` holds one partition a month of China's calendar, ``t_pYYYYMM``, bounded at
midnight Asia/Shanghai, and a default partition ``t_pdefault`` so that a row never fails to land.
Partitions are made ahead of time: by the migration that partitions the table, then at every
start-up of the service (:func:`ensure_monthly_partitions`, idempotent), always twelve months
beyond the current one, so the default partition stays empty. Old months can be detached and
archived one partition at a time (``ALTER TABLE t DETACH PARTITION t_p202401``) without touching
the live months.

SQLite, the embedded default, has no partitions: there these functions do nothing and the tables
stay plain.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tefu_common.calendar import today

log = logging.getLogger("tefu.partitions")
MONTHS_AHEAD = 12
_PARTITION = re.compile(r"^(?P<table>\w+)_p(?:\d{6}|default)$")


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month:%Y%m}"


def is_partition(name: str) -> bool:
    """Whether a table name is one of the monthly (or default) partitions made here."""
    return _PARTITION.match(name) is not None


def months(first: date, last: date) -> list[date]:
    """The first day of every month from ``first``'s to ``last``'s, inclusive."""
    found, current = [], first.replace(day=1)
    while current <= last:
        found.append(current)
        current = _next_month(current)
    return found


def _next_month(month: date) -> date:
    return month.replace(year=month.year + 1, month=1) if month.month == 12 else month.replace(month=month.month + 1)


def _bound(month: date) -> str:
    return f"'{month:%Y-%m-%d} 00:00:00+08'"  # midnight in China, whatever the server's time zone


def partition_statements(table: str, month_list: Iterable[date], *, default: bool = True) -> list[str]:
    """``CREATE TABLE IF NOT EXISTS`` for each month's partition of ``table`` (and its default one)."""
    statements = [f"CREATE TABLE IF NOT EXISTS {partition_name(table, m)} PARTITION OF {table} "
                  f"FOR VALUES FROM ({_bound(m)}) TO ({_bound(_next_month(m))})" for m in month_list]
    if default:
        statements.append(f"CREATE TABLE IF NOT EXISTS {table}_pdefault PARTITION OF {table} DEFAULT")
    return statements


def ahead(first: date | None = None, *, on: date | None = None, months_ahead: int = MONTHS_AHEAD) -> list[date]:
    """The months to hold partitions for: from ``first`` (default: this month) to ``months_ahead`` on."""
    day = on or today()
    last = day.replace(day=1)
    for _ in range(months_ahead):
        last = _next_month(last)
    return months(min(first or day, day), last)


async def partitioned_tables(engine: AsyncEngine, names: Sequence[str]) -> list[str]:
    """Those of ``names`` that are partitioned in this database (none on SQLite)."""
    if engine.dialect.name != "postgresql":
        return []
    async with engine.connect() as connection:
        rows = await connection.execute(text(
            "SELECT c.relname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = ANY(:names)"), {"names": list(names)})
        return sorted(row[0] for row in rows)


async def ensure_monthly_partitions(engine: AsyncEngine, names: Sequence[str], *, on: date | None = None,
                                    months_ahead: int = MONTHS_AHEAD) -> int:
    """Make the coming months' partitions of the partitioned tables among ``names``; returns how many
    statements ran. Safe to run from every replica at once (IF NOT EXISTS, one transaction each)."""
    ran = 0
    for table in await partitioned_tables(engine, names):
        for statement in partition_statements(table, ahead(on=on, months_ahead=months_ahead)):
            try:
                async with engine.begin() as connection:
                    # Two replicas starting together may race to create the same partition: the
                    # loser waits on the lock and then finds it there.
                    await connection.execute(text(f"SELECT pg_advisory_xact_lock(hashtext('{table}'))"))
                    await connection.execute(text(statement))
                ran += 1
            except Exception as exc:  # rows already in the default partition for that month, say
                # Never a reason not to start: the default partition takes the rows meanwhile.
                log.warning("partition of %s not made (%s): %s", table, statement, exc)
    return ran
