"""Writing many rows at once: the one way the services bulk-insert.

On PostgreSQL rows go by binary ``COPY`` (straight into the table, or through a temporary table
when conflicts are to be skipped or rows returned), which costs the database and the driver a
fraction of a multi-row ``INSERT``; elsewhere (SQLite, the embedded default) by ``executemany``.
Values pass through their column's type as the ORM would pass them (encrypted columns encrypted,
JSON serialised, times made UTC), except the columns named ``bound``: those the caller made in the
database's form already, in bulk or in another process (:func:`sealed`).

Rows that need their ids before they are written (a family's members name it) draw them first
(:func:`draw_ids`) and are written with them (:func:`insert_columns`).
"""

from __future__ import annotations

import zlib
from collections.abc import Collection
from typing import Any

import asyncpg
from sqlalchemy import bindparam, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.db import take_write_lock
from tefu_common.field_crypto import EncryptedString


async def insert_rows(session: AsyncSession, table: Any, rows: list[dict[str, Any]], *, suffix: str = "",
                      returning: tuple[str, ...] = ()) -> list[Any]:
    """Insert many rows of ``table`` in one statement, each value through its column's type (so
    encrypted columns are encrypted, JSON serialised, times made UTC, as the ORM would).

    On PostgreSQL the rows go by binary COPY into a temporary table and from there in one statement
    (:func:`insert_columns`): no per-row statement work, what makes a bulk pass's writes cheap.
    Elsewhere a multi-row insert. ``suffix`` is the ON CONFLICT clause; the ``returning`` columns' rows come back.
    Without either, the rows go by COPY straight into the table.
    """
    if not rows:
        return []
    return await insert_columns(session, table, {name: [row[name] for row in rows] for name in rows[0]},
                                suffix=suffix, returning=returning)


async def insert_columns(session: AsyncSession, table: Any, columns: dict[str, list[Any]], *, bound: Collection[str] = (),
                         suffix: str = "", returning: tuple[str, ...] = ()) -> list[Any]:
    """:func:`insert_rows` with the values given column by column (as many in each). The columns
    named in ``bound`` hold values already in the database's form (encrypted, JSON text), made by
    the caller in bulk: they are not passed through their column's type again."""
    names = list(columns)
    if not names or not columns[names[0]]:
        return []
    table_columns = [table.c[name] for name in names]
    dialect = session.bind.dialect
    if dialect.name != "postgresql":
        statement = text(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)}) "
                         f"{suffix}" + (f" RETURNING {', '.join(returning)}" if returning else ""))
        statement = statement.bindparams(*(bindparam(n) if n in bound else bindparam(n, type_=c.type)
                                           for n, c in zip(names, table_columns)))
        rows = [dict(zip(names, values)) for values in zip(*columns.values())]
        if returning:
            found: list[Any] = []
            for row in rows:  # SQLite answers RETURNING one statement at a time
                found += (await session.execute(statement, row)).all()
            return found
        await session.execute(statement, rows)
        return []
    values = []
    for name, column in zip(names, table_columns):
        processor = None if name in bound else column.type._cached_bind_processor(dialect)
        given = columns[name]
        values.append([processor(v) for v in given] if processor is not None else given)
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    if not suffix and not returning:
        # Nothing to skip and nothing to return: binary COPY straight into the table, whose defaults,
        # constraints and triggers apply as to an INSERT (a card's history, members' standing).
        try:
            await raw.copy_records_to_table(table.name, records=zip(*values), columns=names)
        except asyncpg.IntegrityConstraintViolationError as exc:
            # As SQLAlchemy reports it for an INSERT, so callers catch one kind of error.
            raise IntegrityError(f"COPY {table.name}", None, exc) from exc
        return []
    # The rows go by binary COPY into a temporary table of this connection, and from there into the
    # table in one statement (which can skip conflicts and return ids, as COPY cannot). COPY encodes
    # each value once with its column's codec; the ``unnest($1::text[], ...)`` arrays this replaced
    # cost twice as much per value in the driver, which checks every element for nesting.
    stage = f"stage_{table.name}_{zlib.crc32(' '.join(names).encode()):08x}"
    listed = ", ".join(names)
    await raw.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
                      f"SELECT {listed} FROM {table.name} WITH NO DATA")
    await raw.copy_records_to_table(stage, records=zip(*values), columns=names)
    sql = (f"WITH staged AS (DELETE FROM {stage} RETURNING {listed}) "
           f"INSERT INTO {table.name} ({listed}) SELECT {listed} FROM staged {suffix}"
           + (f" RETURNING {', '.join(returning)}" if returning else ""))
    if returning:
        return [tuple(record) for record in await raw.fetch(sql)]
    await raw.execute(sql)
    return []


async def insert_new_columns(session: AsyncSession, table: Any, columns: dict[str, list[Any]], *,
                             bound: Collection[str] = (), returning: tuple[str, ...] = ("id",)) -> list[tuple[Any, ...]]:
    """:func:`insert_columns` with ``ON CONFLICT DO NOTHING`` for rows that are new as a rule (a
    conflict is a rare race: a number drawn twice, a clerk's hand issue meanwhile), returning the
    ``returning`` columns (``id`` and columns given) of the rows that landed.

    On PostgreSQL the ids are drawn from the table's sequence first and the rows go by COPY
    straight into the table, under a savepoint: an ``INSERT ... SELECT ... ON CONFLICT`` from a
    staging table costs the database about half as much again per row (each row checked against
    every unique index before it is inserted). If any row conflicts, the savepoint is rolled back
    and the rows go the staging way, which skips the conflicting ones."""
    names = list(columns)
    if not names or not columns[names[0]]:
        return []
    conflicts = "ON CONFLICT DO NOTHING"
    if session.bind.dialect.name != "postgresql":
        return [tuple(row) for row in await insert_columns(session, table, columns, bound=bound, suffix=conflicts,
                                                            returning=returning)]
    count = len(columns[names[0]])
    ids = (await draw_ids(session, {table: count}))[table.name]
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    try:
        async with raw.transaction():  # a savepoint, inside the session's transaction
            await insert_columns(session, table, {"id": ids, **columns}, bound=bound)
    except IntegrityError as exc:
        if not isinstance(exc.orig, asyncpg.UniqueViolationError):
            raise
        return [tuple(row) for row in await insert_columns(session, table, columns, bound=bound, suffix=conflicts,
                                                            returning=returning)]
    given = {"id": ids, **columns}
    return list(zip(*(given[name] for name in returning)))


async def draw_ids(session: AsyncSession, counts: dict[Any, int]) -> dict[str, list[int]]:
    """New ids for ``count`` rows of each table (by table name), to write with the rows.

    PostgreSQL draws them from each table's sequence, all tables in one statement; the ids are
    the rows' own whoever else writes meanwhile. SQLite numbers rows after the table's largest
    id, under the write lock (taken here if the transaction has not written yet), so that no
    other writer can take the same numbers before this transaction commits."""
    wanted = {table.name: count for table, count in counts.items() if count}
    drawn: dict[str, list[int]] = {table.name: [] for table in counts}
    if not wanted:
        return drawn
    if session.bind.dialect.name == "postgresql":
        arrays = ", ".join(f"ARRAY(SELECT nextval(pg_get_serial_sequence('{name}', 'id')) "
                           f"FROM generate_series(1, :n{i}))" for i, name in enumerate(wanted))
        row = (await session.execute(text(f"SELECT {arrays}"),
                                     {f"n{i}": count for i, count in enumerate(wanted.values())})).one()
        drawn.update(zip(wanted, (list(ids) for ids in row)))
        return drawn
    await take_write_lock(session)
    for name, count in wanted.items():
        last = (await session.execute(text(f"SELECT coalesce(max(id), 0) FROM {name}"))).scalar_one()
        drawn[name] = list(range(last + 1, last + 1 + count))
    return drawn


def sealed(table: Any, columns: dict[str, list[Any]]) -> frozenset[str]:
    """Encrypt, in place, the values of ``columns`` that ``table`` stores encrypted, as their
    column's type would; returns those columns' names (to pass as ``bound``). For rows made where
    the database is not (an import's worker process), so that the writer only writes."""
    names = []
    for name, values in columns.items():
        kind = table.c[name].type
        if isinstance(kind, EncryptedString):
            columns[name] = kind.bind_many(values)
            names.append(name)
    return frozenset(names)
