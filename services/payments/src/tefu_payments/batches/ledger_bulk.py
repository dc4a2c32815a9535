"""Many ledger lines at once: which entitlements are already held, and writing lines unless held.

Both must stay fast on PostgreSQL however stale the planner's statistics are: a batch is built in
one transaction, so the ledger may grow by a million uncommitted lines that no ANALYZE has seen.
The keys therefore go as three arrays through ``unnest``, each looked up by itself (``LATERAL``,
``LIMIT 1``) in the index of open lines: a plan that cannot turn into a scan of every open line
per chunk, whatever the estimates, and whether PostgreSQL plans the statement for its values or
generically.

On PostgreSQL a chunk goes into the ledger by binary ``COPY`` (no multi-row VALUES to compile, no
limit of 32,767 parameters), in a savepoint: the database checks the (payee, benefit, period) key
itself, and should a line have been taken meanwhile, the chunk goes again through a temporary
table and ``INSERT … SELECT … ON CONFLICT DO NOTHING``. SQLite takes the rows as one prepared
statement executed for each. Either way only the rows actually written come back.

What a build leaves out goes into ``batch_skip`` the same ways (COPY on PostgreSQL, one prepared
statement on SQLite): nothing there can conflict.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg
from sqlalchemy import insert, select, text, tuple_
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.field_crypto import EncryptedString
from tefu_payments.batches.models import BatchSkip, LedgerLine

Key = tuple[str, str, str]  # (payee, benefit, period): what the ledger pays once

# The arbiter of ON CONFLICT, written out: PostgreSQL matches a partial index only against a
# literal predicate, never against bind parameters once it plans the statement generically.
OPEN_LINE_SQL = text("status IN ('pending', 'paid')")
OPEN_KEY = f"(payee_key, benefit, period_key) WHERE {OPEN_LINE_SQL.text}"
INCOMING = "ledger_line_incoming"
# COPY bypasses SQLAlchemy's types: the encrypted columns are sealed here, by those same types.
SKIP_COLUMNS = tuple(column.name for column in BatchSkip.__table__.columns if column.name != "id")
ENCRYPTED = {column.name: column.type for column in LedgerLine.__table__.columns
             if isinstance(column.type, EncryptedString)}


HELD = text(
    "SELECT wanted.payee_key, wanted.benefit, wanted.period_key "
    "FROM unnest(CAST(:payees AS text[]), CAST(:benefits AS text[]), CAST(:periods AS text[])) "
    "AS wanted (payee_key, benefit, period_key) CROSS JOIN LATERAL ("
    "SELECT 1 FROM ledger_line l WHERE l.payee_key = wanted.payee_key AND l.benefit = wanted.benefit "
    f"AND l.period_key = wanted.period_key AND l.{OPEN_LINE_SQL.text} LIMIT 1) AS held")


HOLDERS = text(
    "SELECT wanted.payee_key, wanted.benefit, wanted.period_key, held.batch_id, held.reference "
    "FROM unnest(CAST(:payees AS text[]), CAST(:benefits AS text[]), CAST(:periods AS text[])) "
    "AS wanted (payee_key, benefit, period_key) CROSS JOIN LATERAL ("
    "SELECT l.batch_id, l.reference FROM ledger_line l WHERE l.payee_key = wanted.payee_key "
    "AND l.benefit = wanted.benefit AND l.period_key = wanted.period_key "
    f"AND l.{OPEN_LINE_SQL.text} LIMIT 1) AS held")


async def holders(session: AsyncSession, keys: set[Key]) -> dict[Key, tuple[int, str]]:
    """The batch and the reference of the open line holding each of the keys that one holds.

    A query of its own, apart from :func:`held_keys`: it reads the lines themselves, not only the
    index, and a build asks it only of the few keys whose holder a clerk is shown."""
    if not keys:
        return {}
    if session.bind.dialect.name == "postgresql":
        payees, benefits, periods = zip(*keys)
        found = await session.execute(HOLDERS, {"payees": list(payees), "benefits": list(benefits),
                                                "periods": list(periods)})
    else:
        found = await session.execute(select(
            LedgerLine.payee_key, LedgerLine.benefit, LedgerLine.period_key, LedgerLine.batch_id, LedgerLine.reference,
        ).where(tuple_(LedgerLine.payee_key, LedgerLine.benefit, LedgerLine.period_key).in_(list(keys)), OPEN_LINE_SQL))
    return {(payee, benefit, period): (batch_id, reference) for payee, benefit, period, batch_id, reference in found}


async def insert_skips(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Write what a build left out: nothing conflicts, so straight in (binary COPY on PostgreSQL)."""
    if not rows:
        return
    if session.bind.dialect.name == "postgresql":
        connection = (await (await session.connection()).get_raw_connection()).driver_connection
        columns = list(SKIP_COLUMNS)
        await connection.copy_records_to_table("batch_skip", records=[[row.get(name) for name in columns] for row in rows],
                                               columns=columns)
        return
    await session.execute(insert(BatchSkip), rows)


async def held_keys(session: AsyncSession, keys: set[Key]) -> set[Key]:
    """Those of the keys that already have a pending or paid line."""
    if not keys:
        return set()
    if session.bind.dialect.name == "postgresql":
        payees, benefits, periods = zip(*keys)
        found = await session.execute(HELD, {"payees": list(payees), "benefits": list(benefits), "periods": list(periods)})
    else:
        found = await session.execute(select(LedgerLine.payee_key, LedgerLine.benefit, LedgerLine.period_key).where(
            tuple_(LedgerLine.payee_key, LedgerLine.benefit, LedgerLine.period_key).in_(list(keys)), OPEN_LINE_SQL))
    return {tuple(row) for row in found}


async def insert_lines(session: AsyncSession, rows: list[dict[str, Any]]) -> list[tuple[Decimal, str]]:
    """Insert the rows (all with the same keys) unless held; the (amount, month) of each row written."""
    if session.bind.dialect.name == "postgresql":
        return await _copy(session, rows)
    statement = sqlite_insert(LedgerLine).on_conflict_do_nothing(
        index_elements=["payee_key", "benefit", "period_key"], index_where=OPEN_LINE_SQL,
    ).returning(LedgerLine.amount, LedgerLine.month)
    return [tuple(row) for row in (await session.execute(statement, rows)).all()]


async def _copy(session: AsyncSession, rows: list[dict[str, Any]]) -> list[tuple[Decimal, str]]:
    columns = list(rows[0])
    # Column by column: each encrypted column in one call (its nonces drawn at once).
    values = [[row[name] for row in rows] for name in columns]
    for index, name in enumerate(columns):
        if name in ENCRYPTED:
            values[index] = ENCRYPTED[name].bind_many(values[index])
    records = list(zip(*values))
    connection = (await (await session.connection()).get_raw_connection()).driver_connection
    try:
        # The keys were checked just before, so the lines go straight into the ledger; a savepoint
        # undoes only this chunk if a line was taken meanwhile (by a batch of an overlapping region).
        async with connection.transaction():
            await connection.copy_records_to_table("ledger_line", records=records, columns=columns)
        return [(row["amount"], row["month"]) for row in rows]
    except asyncpg.UniqueViolationError:
        pass
    names = ", ".join(columns)
    # Dropped with the transaction: a failed build leaves nothing behind, a retry starts clean.
    await connection.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {INCOMING} ON COMMIT DROP AS "
                             f"SELECT {names} FROM ledger_line WITH NO DATA")
    await connection.copy_records_to_table(INCOMING, records=records, columns=columns)
    written = await connection.fetch(f"INSERT INTO ledger_line ({names}) SELECT {names} FROM {INCOMING} "
                                     f"ORDER BY reference ON CONFLICT {OPEN_KEY} DO NOTHING RETURNING amount, month")
    await connection.execute(f"TRUNCATE {INCOMING}")
    return [(record["amount"], record["month"]) for record in written]
