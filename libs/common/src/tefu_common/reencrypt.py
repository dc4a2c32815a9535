"""Re-encrypt a service's personal data and recompute its blind indexes, in place.

What it is for: after a key rotation (a new ``encryption.active_key_id``) or a switch of
``TEFU_CRYPTO`` (AES-256-GCM ↔ SM4-GCM fields, HMAC-SHA-256 ↔ HMAC-SM3 indexes), the rows
written before still hold the old kind. This walks every ``EncryptedString`` column of the
service's tables and every blind index the service declares, a chunk of rows at a time, one
transaction a chunk, and rewrites what is not current:

- a field token is re-encrypted when :meth:`FieldCipher.needs_rotation` says so (another key, or
  the other mode's algorithm); a current token is left as it is;
- a blind index is recomputed from the decrypted value and written when it differs (an index
  does not say how it was made, so every one is recomputed, and only changes are written).

So a run is idempotent (a second one changes nothing) and resumable (a run stopped half-way is
simply run again: the chunks done are found current). Run it with the service stopped: until it
has finished, rows found through a blind index are found only if their index is of the running
mode (docs/operations.md, "Switching to the SM algorithms").

    python -m tefu_common.reencrypt --service registry        # with the service's own environment
    make reencrypt                                            # every service's database in turn

A service declares its blind indexes in ``tefu_<service>/blind_indexes.py`` (``BLIND_INDEXES``);
its tables are those of ``tefu_<service>.models`` and its settings its ``ServiceSettings``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData, Table, Text, delete, insert, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tefu_common.field_crypto import EncryptedString, FieldCipher, get_field_cipher

__all__ = ["IndexColumn", "IndexRows", "main", "reencrypt"]


@dataclass(frozen=True)
class IndexColumn:
    """A blind index kept in a column beside the encrypted one it indexes, in the same row."""

    table: str
    column: str
    source: str  # the EncryptedString column it is computed from
    compute: Callable[[str], str]


@dataclass(frozen=True)
class IndexRows:
    """Blind indexes kept as rows of a table of their own, several for one source row (a name's
    grams): ``table`` has a column ``owner`` naming the source row's key and a column ``value``."""

    table: str
    owner: str
    value: str
    source_table: str
    source: str
    compute: Callable[[str], set[str]]


BlindIndexes = Sequence[IndexColumn | IndexRows]


@dataclass
class _Counts:
    rows: int = 0
    fields: int = 0
    indexes: int = 0

    def __str__(self) -> str:
        return f"{self.rows} rows read, {self.fields} fields re-encrypted, {self.indexes} indexes rewritten"


def _plain(cipher: FieldCipher, table: Table, row: Any, column: str) -> str | None:
    token = getattr(row, column)
    if token is None:
        return None
    context = table.c[column].type.context
    return cipher.decrypt(token, context=context)


async def _chunk(connection: AsyncConnection, cipher: FieldCipher, table: Table, rows: Sequence[Any],
                 encrypted: list[str], columns: list[IndexColumn], gram_tables: list[tuple[Table, IndexRows]],
                 counts: _Counts) -> None:
    key = next(iter(table.primary_key.columns))
    owners: dict[Any, dict[str, str | None]] = {}
    for row in rows:
        changes: dict[str, Any] = {}
        plain = {name: _plain(cipher, table, row, name) for name in encrypted}
        for name in encrypted:
            token = getattr(row, name)
            if token is not None and cipher.needs_rotation(token):
                # Text, not the column's type: the token is written as it is, not encrypted again.
                fresh = cipher.encrypt(str(plain[name]), context=table.c[name].type.context)
                changes[name] = type_coerce(fresh, Text)
                counts.fields += 1
        for index in columns:
            value = plain[index.source]
            wanted = index.compute(value) if value is not None else None
            if getattr(row, index.column) != wanted:
                changes[index.column] = wanted
                counts.indexes += 1
        if changes:
            await connection.execute(update(table).where(key == getattr(row, key.name)).values(changes))
        if gram_tables:
            owners[getattr(row, key.name)] = plain
    for grams, spec in gram_tables:
        owner, value = grams.c[spec.owner], grams.c[spec.value]
        stored: dict[Any, set[str]] = {k: set() for k in owners}
        for found in await connection.execute(select(owner, value).where(owner.in_(list(owners)))):
            stored[found[0]].add(found[1])
        for key_value, plain in owners.items():
            name = plain[spec.source]
            wanted = spec.compute(name) if name is not None else set()
            stale, missing = stored[key_value] - wanted, wanted - stored[key_value]
            if stale:
                await connection.execute(delete(grams).where(owner == key_value, value.in_(sorted(stale))))
            if missing:
                await connection.execute(insert(grams), [{spec.owner: key_value, spec.value: v} for v in sorted(missing)])
            counts.indexes += len(stale) + len(missing)


async def _table(engine: AsyncEngine, cipher: FieldCipher, table: Table, metadata: MetaData,
                 indexes: BlindIndexes, chunk: int) -> _Counts:
    encrypted = [c.name for c in table.columns if isinstance(c.type, EncryptedString)]
    columns = [i for i in indexes if isinstance(i, IndexColumn) and i.table == table.name]
    gram_tables = [(metadata.tables[i.table], i) for i in indexes
                   if isinstance(i, IndexRows) and i.source_table == table.name]
    counts = _Counts()
    if not encrypted:
        return counts
    if len(table.primary_key.columns) != 1:  # every table with personal data has an id
        raise ValueError(f"{table.name}: reencrypt pages by a one-column primary key")
    key = next(iter(table.primary_key.columns))
    # The raw tokens, not the decrypted values the column type would give.
    selected = [key, *(type_coerce(table.c[name], Text).label(name) for name in encrypted),
                *(table.c[i.column] for i in columns)]
    last: Any = None
    while True:
        query = select(*selected).order_by(key).limit(chunk)
        if last is not None:  # keyset paging by the primary key: rows written meanwhile are not skipped
            query = query.where(key > last)
        async with engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                # Read and rewrite under the write lock, taken first: a deferred transaction whose
                # snapshot another writer (a service's access-log sealer) has moved past cannot
                # upgrade to a write and fails at once, whatever the busy timeout (see db.savepoint).
                await connection.exec_driver_sql("BEGIN IMMEDIATE")
            rows = (await connection.execute(query)).all()
            if not rows:
                return counts
            await _chunk(connection, cipher, table, rows, encrypted, columns, gram_tables, counts)
        counts.rows += len(rows)
        last = getattr(rows[-1], key.name)


async def reencrypt(engine: AsyncEngine, metadata: MetaData, indexes: BlindIndexes = (), *, chunk: int = 500,
                    report: Callable[[str], None] = lambda line: None) -> dict[str, _Counts]:
    """Bring every encrypted column and blind index of ``metadata``'s tables to the configured
    cipher and blind index (:func:`configure_field_crypto`); ``report`` hears a line a table."""
    cipher = get_field_cipher()
    done: dict[str, _Counts] = {}
    for table in metadata.sorted_tables:
        counts = await _table(engine, cipher, table, metadata, indexes, chunk)
        if counts.rows:
            done[table.name] = counts
            report(f"{table.name}: {counts}")
    return done


def _service(name: str) -> tuple[Any, MetaData, BlindIndexes]:
    """The settings, tables and blind indexes of the installed service ``name``."""
    from tefu_common.settings import ServiceSettings

    package = "tefu_" + name.replace("-", "_")
    try:
        importlib.import_module(f"{package}.models")  # gathers every table, as for Alembic
    except ModuleNotFoundError:
        raise SystemExit(f"no installed service {name!r} (no module {package}.models)") from None
    metadata = importlib.import_module(f"{package}.database").Base.metadata
    module = importlib.import_module(f"{package}.settings")
    classes = [c for c in vars(module).values() if inspect.isclass(c) and issubclass(c, ServiceSettings)
               and c is not ServiceSettings and c.__module__ == module.__name__]
    try:
        indexes = importlib.import_module(f"{package}.blind_indexes").BLIND_INDEXES
    except ModuleNotFoundError:
        indexes = ()
    return classes[0](), metadata, indexes


async def _run(name: str, chunk: int) -> None:
    from tefu_common.app import configure_encryption
    from tefu_common.crypto_mode import crypto_mode
    from tefu_common.db import create_engine

    settings, metadata, indexes = _service(name)
    configure_encryption(settings)
    engine = create_engine(settings.database_url, connect_timeout=settings.database_connect_timeout_seconds)
    print(f"{name}: TEFU_CRYPTO={crypto_mode().value}, active key {settings.encryption.active_key_id}")
    try:
        await reencrypt(engine, metadata, indexes, chunk=chunk, report=lambda line: print(f"  {line}"))
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tefu_common.reencrypt", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--service", action="append", required=True,
                        help="registry, medical-priority …; repeat for several (each with its own settings)")
    parser.add_argument("--chunk", type=int, default=500, help="rows a transaction")
    args = parser.parse_args(argv)
    for name in args.service:
        asyncio.run(_run(name, args.chunk))


if __name__ == "__main__":
    # Through the imported module, not this __main__ copy: the services' BLIND_INDEXES are made of
    # tefu_common.reencrypt's classes, which isinstance must recognise.
    from tefu_common.reencrypt import main as reencrypt_main

    reencrypt_main()
