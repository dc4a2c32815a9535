"""Range partitions on PostgreSQL, for the tables that only grow: change feeds, access logs, ledgers.

A table partitioned by a timestamp ``t`` holds one partition a month of China's calendar, ``t_pYYYYMM``, bounded at
midnight Asia/Shanghai, and a default partition ``t_pdefault`` so that a row never fails to land.
Partitions are made ahead of time: by the migration that partitions the table, then at every
start-up of the service (:func:`ensure_monthly_partitions`, idempotent), always twelve months
beyond the current one, so the default partition stays empty. Old months can be detached and
archived one partition at a time (``ALTER TABLE t DETACH PARTITION t_p202401``) without touching
the live months.

A table partitioned by a pay period (a text key ``YYYY``, ``YYYY-MM`` …) holds one partition a
year, ``t_pYYYY``, from ``'YYYY'`` to ``'YYYY+1'``: the year's own key and every key of its months
sort between the two. Keys that name no year (a one-off payment, say) go to ``t_pundated``, whose
bounds the table's owner gives; ``t_pdefault`` again catches anything else.

SQLite, the embedded default, has no partitions: there these functions do nothing and the tables
stay plain. :func:`rebuild` is the migrations' way from one shape to the other on PostgreSQL.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tefu_common.calendar import today

log = logging.getLogger("tefu.partitions")
MONTHS_AHEAD = 12
YEARS_AHEAD = 1
_PARTITION = re.compile(r"^(?P<table>\w+)_p(?:\d{4}|\d{6}|default|undated)$")


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month:%Y%m}"


def is_partition(name: str) -> bool:
    """Whether a table name is one of the partitions made here (a month's, a year's, undated, default)."""
    return _PARTITION.match(name) is not None


def made_by_partitioning(obj: Any, name: str | None, type_: str, reflected: bool) -> bool:
    """Whether a reflected schema object is the database's own, not the models' (Alembic's
    comparisons skip it): a partition, or one of the foreign keys PostgreSQL keeps for each
    partition of a partitioned table that a foreign key refers to."""
    if not reflected:
        return False
    if type_ == "table":
        return name is not None and is_partition(name)
    return type_ == "foreign_key_constraint" and is_partition(obj.referred_table.name)


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


def partition_statements(table: str, month_list: Iterable[date], *, default: bool = True,
                         of: str | None = None) -> list[str]:
    """``CREATE TABLE IF NOT EXISTS`` for each month's partition of ``table`` (and its default one).

    ``of``: the partitioned table they belong to when it is not (yet) named ``table``."""
    parent = of or table
    statements = [f"CREATE TABLE IF NOT EXISTS {partition_name(table, m)} PARTITION OF {parent} "
                  f"FOR VALUES FROM ({_bound(m)}) TO ({_bound(_next_month(m))})" for m in month_list]
    if default:
        statements.append(f"CREATE TABLE IF NOT EXISTS {table}_pdefault PARTITION OF {parent} DEFAULT")
    return statements


def period_partition_statements(table: str, years: Iterable[int], *, undated: tuple[str, str] | None = None,
                                default: bool = True, of: str | None = None) -> list[str]:
    """The same for a table partitioned by a text pay period: each year's partition, then the
    undated keys' (from ``undated[0]`` inclusive to ``undated[1]`` exclusive) and the default."""
    parent = of or table
    statements = [f"CREATE TABLE IF NOT EXISTS {table}_p{year:04d} PARTITION OF {parent} "
                  f"FOR VALUES FROM ('{year:04d}') TO ('{year + 1:04d}')" for year in years]
    if undated:
        statements.append(f"CREATE TABLE IF NOT EXISTS {table}_pundated PARTITION OF {parent} "
                          f"FOR VALUES FROM ('{undated[0]}') TO ('{undated[1]}')")
    if default:
        statements.append(f"CREATE TABLE IF NOT EXISTS {table}_pdefault PARTITION OF {parent} DEFAULT")
    return statements


def years_ahead(first: int | None = None, *, on: date | None = None, ahead_by: int = YEARS_AHEAD) -> list[int]:
    """The years to hold partitions for: from ``first`` (default: this year) to ``ahead_by`` on."""
    year = (on or today()).year
    return list(range(min(first or year, year), year + ahead_by + 1))


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
    return await _ensure(engine, names, lambda table: partition_statements(
        table, ahead(on=on, months_ahead=months_ahead)))


async def ensure_period_partitions(engine: AsyncEngine, names: Sequence[str], *, first: int | None = None,
                                   undated: tuple[str, str] | None = None, on: date | None = None,
                                   ahead_by: int = YEARS_AHEAD) -> int:
    """The same for tables partitioned by pay period: the years from ``first`` (default: this one)
    to ``ahead_by`` years on. A ledger pays arrears, so its first year is the earliest it can owe."""
    return await _ensure(engine, names, lambda table: period_partition_statements(
        table, years_ahead(first, on=on, ahead_by=ahead_by), undated=undated))


async def _ensure(engine: AsyncEngine, names: Sequence[str], statements_of: Callable[[str], list[str]]) -> int:
    ran = 0
    for table in await partitioned_tables(engine, names):
        for statement in statements_of(table):
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


def rebuild(op: Any, table: str, *, partition_by: str | None, partitions: Callable[[str], list[str]], key: str,
            after: Sequence[str] = ()) -> None:
    """Rebuild ``table`` on PostgreSQL, from a migration (``op`` is Alembic's), as a table partitioned
    ``BY RANGE (partition_by)`` or, with None, back as a plain one: same columns and defaults, every
    row copied, its id sequence kept (so ids and feed positions do not change).

    ``partitions(parent)`` gives the statements making its partitions (named after ``table``, made
    before the rows come in); ``key`` the primary key's columns; ``after`` the indexes and
    constraints, run once the table has its name again. Whatever refers to ``table`` must have been
    dropped before and is made again by the caller."""
    new = f"{table}_rebuilt"
    partition = f" PARTITION BY RANGE ({partition_by})" if partition_by else ""
    op.execute(f"CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS){partition}")
    if partition_by:
        for statement in partitions(new):
            op.execute(statement)
    op.execute(f"INSERT INTO {new} SELECT * FROM {table}")
    op.execute(f"ALTER SEQUENCE {table}_id_seq OWNED BY {new}.id")
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {new} RENAME TO {table}")
    if key:
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY ({key})")
    for statement in after:
        op.execute(statement)
