"""The access log made tamper-evident: every row sealed into a hash chain, and a check of the chain.

Rows are not chained when they are written: that would make every read of personal data, in
every replica, wait for the one before it (the exception: a log written in groups at a high rate,
the hospital desk's, whose groups are sealed as they are written, :class:`SealedWriter`).
A *sealer* (:class:`AccessChainSealer`, a background
task of each service) instead takes the rows not yet sealed (``chain_seq IS NULL``), oldest id
first, in bounded chunks, and gives each the next position of the chain and

    chain_hash = digest(previous chain_hash || canonical bytes of the row)

with the suite's digest (SHA-256, or SM3 when ``TEFU_CRYPTO=sm``, :mod:`tefu_common.crypto_mode`).
The canonical bytes cover every column of the row but the two chain columns themselves, plus its
position, plus, for a log whose rows have rows of their own (payments' ``access_log_member``),
the people the row named. The chain's last position and hash are kept in a head table
(``access_log_chain_head``, one row per log), updated in the sealing transaction, so that
deleting the newest rows is seen as well as deleting or editing any other.

Positions follow the order of sealing, not of ids: a row whose transaction committed after rows
with higher ids simply gets sealed in the next round, and the chain stays whole.

One replica seals at a time: on PostgreSQL under a transaction-scoped advisory lock of the log
(the others skip that round); on SQLite under the database's write lock, taken first.

What the chain proves and what it does not: a row changed, removed or added in the database by
hand, after it was sealed, is named by :meth:`AccessChain.verify`. A row removed within the
moment before its seal, or a chain recomputed wholesale by someone who can write both the log
and its head, is not; against the latter an auditor keeps the ``head_hash`` the check answers
(it fixes every row up to ``sealed_through``) and compares it with later answers.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import orjson
from pydantic import BaseModel, Field
from sqlalchemy import BigInteger, Column, MetaData, String, Table, bindparam, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tefu_common.crypto_mode import CryptoMode, crypto_mode, digest, hash_name
from tefu_common.db import UtcDateTime, among
from tefu_common.errors import Conflict
from tefu_common.i18n import Text

log = logging.getLogger("tefu.access_chain")

HEAD_TABLE = "access_log_chain_head"
CHAIN_COLUMNS = ("chain_seq", "chain_hash")
# The hash "before" the first row: a fixed value, so the first row is chained like any other.
GENESIS = bytes(32)
# Rows per chunk (a transaction each): on SQLite, where a chunk holds the database's write lock, and
# on PostgreSQL, where a chunk costs one statement whatever its size (memory stays a chunk's rows).
SEAL_CHUNK = 500
VERIFY_CHUNK = 1000
SEAL_CHUNK_POSTGRESQL = 2000
YIELD_EVERY = 100  # rows hashed between two turns of the event loop (about a millisecond)
VERIFY_CHUNK_POSTGRESQL = 5000


def chain_head_table(metadata: MetaData) -> Table:
    """The head table of a service's access logs (one row per log), in the service's metadata."""
    return Table(
        HEAD_TABLE, metadata,
        Column("table_name", String(64), primary_key=True),
        Column("last_seq", BigInteger, nullable=False),  # 0: nothing sealed yet
        Column("last_hash", String(64), nullable=False),  # hex; of GENESIS's zeros before the first row
        Column("algorithm", String(16), nullable=False),  # sha256 | sm3
        Column("sealed_at", UtcDateTime(), nullable=True),
        # Rows up to this position were archived (a month's partition detached and dumped): the
        # check starts after it, from the hash of the last archived row (docs/operations.md).
        Column("archived_through", BigInteger, nullable=False, server_default="0"),
        Column("archived_hash", String(64), nullable=True),
    )


@dataclass(frozen=True)
class Members:
    """Rows of a log's own, named by an entry's id: what one read showed, one row each (payments'
    ``access_log_member``, the registry's ``access_log_family``).

    ``value``: the column the row records (the person), or several columns (the family and its
    region), each member then hashed as the list of their values. ``omit_empty``: an entry with no
    members is hashed without the ``members`` key, as rows sealed before the log had members were
    (the registry's); removing every member of an entry that had some still breaks its link.
    """

    table: Table
    entry: str  # the column naming the entry
    value: str | tuple[str, ...]
    omit_empty: bool = False

    @property
    def values(self) -> tuple[str, ...]:
        return (self.value,) if isinstance(self.value, str) else self.value


class ChainAlgorithmMismatch(Conflict):
    code = "access-chain-algorithm-mismatch"


def _mismatch(chain_algorithm: str) -> ChainAlgorithmMismatch:
    configured = hash_name()
    return ChainAlgorithmMismatch(Text(
        f"访问日志的哈希链以 {chain_algorithm} 计算，而本服务现配置为 {configured}（TEFU_CRYPTO）："
        f"无法校验，也不再封存新记录。请恢复原配置后再校验。",
        f"The access log's hash chain is computed with {chain_algorithm}, this service is now configured "
        f"for {configured} (TEFU_CRYPTO): it can neither be checked nor extended; restore the setting."),
        field="algorithm", chain_algorithm=chain_algorithm, configured_algorithm=configured)


# --- the canonical bytes of a row -----------------------------------------------------------------
#
# The definition is :func:`_reference_canonical` (json.dumps, sorted keys): every chain ever sealed
# was computed with it and must still verify. :func:`canonical_values` writes the same bytes with
# orjson, at a fraction of the cost, for the rows whose values orjson writes exactly as json.dumps does
# (checked value by value: every str, whatever its characters; ints within 64 bits; None and
# booleans; lists of those, the members of several columns; and what _plain turns into those), and
# hands any other row to the definition.

# Written alike by orjson and by json.dumps(ensure_ascii=False).
_WRITTEN_ALIKE = frozenset({str, int, bool, type(None)})
# Turned by _plain into strs first (orjson's default hook, which it calls for exactly these: datetimes
# and dates because of OPT_PASSTHROUGH_DATETIME, Decimal and bytes because it has no writer of them).
_MADE_PLAIN = frozenset({datetime, date, Decimal, bytes})
_FAST = _WRITTEN_ALIKE | _MADE_PLAIN
_ORJSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def _instant(value: datetime) -> str:
    moment = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    if moment.year < 1000:
        # strftime does not pad such a year with zeros (isoformat would): keep what was hashed.
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.isoformat(timespec="microseconds")[:26] + "Z"  # the same text, without strftime's cost


def _plain(value: Any) -> Any:
    """A column's value as JSON, the same whatever the database handed back."""
    if isinstance(value, datetime):
        return _instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, tuple):  # a member of several columns: the list of their values
        return [_plain(item) for item in value]
    return value


def _written_alike(member: Any) -> bool:
    """A member orjson writes as json.dumps does: a value of those types, or a list of them (a
    member of several columns)."""
    kind = type(member)
    return kind in _WRITTEN_ALIKE or (kind is list and _WRITTEN_ALIKE.issuperset(map(type, member)))


def _reference_canonical(seq: int, row: dict[str, Any], members: Sequence[Any] | None) -> bytes:
    """The definition of a row's canonical bytes: JSON with sorted keys and no spaces."""
    document: dict[str, Any] = {"seq": seq, "row": {name: _plain(value) for name, value in row.items()
                                                    if name not in CHAIN_COLUMNS}}
    if members is not None:
        document["members"] = sorted(_plain(member) for member in members)
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def canonical_values(seq: int, names: Sequence[str], values: Sequence[Any], members: Sequence[Any] | None = None) -> bytes:
    """:func:`canonical` of a row given as its column names (none of the chain's) and its values in
    that order, as the chain reads them. Values past the names (the position and hash a check reads
    after the columns) are left out."""
    row = dict(zip(names, values))
    plain_members = None if members is None else sorted(_plain(member) for member in members)
    if (type(seq) is int and _FAST.issuperset(map(type, row.values()))
            and (plain_members is None or all(_written_alike(member) for member in plain_members))):
        document: dict[str, Any] = {"seq": seq, "row": row}
        if plain_members is not None:
            document["members"] = plain_members
        try:
            return orjson.dumps(document, default=_plain, option=_ORJSON_OPTIONS)
        except orjson.JSONEncodeError:
            pass  # an int beyond 64 bits, a str with a lone surrogate: the definition decides
    return _reference_canonical(seq, row, members)


def canonical(seq: int, row: dict[str, Any], members: Sequence[Any] | None = None) -> bytes:
    """The bytes a row's link hashes: its position, every column by name, and the people it named.

    JSON with sorted keys and no spaces: one text for one row, on SQLite as on PostgreSQL.
    """
    names = [name for name in row if name not in CHAIN_COLUMNS]
    return canonical_values(seq, names, [row[name] for name in names], members)


def link(previous: bytes, seq: int, row: dict[str, Any], members: Sequence[Any] | None = None,
         mode: CryptoMode | None = None) -> bytes:
    return digest(previous + canonical(seq, row, members), mode)


# --- the answer of a check ------------------------------------------------------------------------

REASONS = {
    "row-altered": Text("内容被改动", "the row was altered"),
    "row-missing": Text("缺少记录", "a row is missing"),
    "row-inserted": Text("多出记录（链位重复）", "a row was added (its position is taken)"),
    "tail-truncated": Text("链尾被截断", "the newest rows were removed"),
    "head-mismatch": Text("链头与记录不符", "the chain's head does not match its last row"),
    "head-missing": Text("链头缺失", "the chain's head is missing"),
    "anchor-mismatch": Text("与留存的链值不符（整条链可能被重算）",
                            "differs from the hash kept aside (the chain may have been recomputed)"),
}


class BrokenLink(BaseModel):
    seq: int = Field(description="The chain position where the chain breaks.")
    id: int | None = Field(description="The row found there (None: there is none, it is missing).")
    at: datetime | None = Field(description="When that row was written.")
    reason: str = Field(description="Why, for people (Chinese, or English with Accept-Language: en).")
    reason_code: str = Field(description="row-altered | row-missing | row-inserted | tail-truncated | "
                                         "head-mismatch | head-missing | anchor-mismatch")


class ChainVerdict(BaseModel):
    whole: bool = Field(description="Every sealed row is as it was sealed, none missing, none added.")
    algorithm: str = Field(description="The chain's digest: sha256 or sm3.")
    rows_checked: int
    sealed_through: int = Field(description="The chain's last position (its head).")
    archived_through: int = Field(0, description="Positions up to this one were archived (old months' partitions "
                                                 "detached): the check starts after it.")
    head_hash: str | None = Field(description="The chain's last hash (hex): kept aside, it fixes every row up to "
                                              "`sealed_through`, and a later answer must extend it.")
    unsealed: int = Field(description="Rows written but not sealed yet (the sealer runs every second or so).")
    first_broken: BrokenLink | None


def _broken(seq: int, reason_code: str, row_id: int | None = None, at: datetime | None = None) -> BrokenLink:
    return BrokenLink(seq=seq, id=row_id, at=at, reason=REASONS[reason_code].render(), reason_code=reason_code)


# --- one log's chain ------------------------------------------------------------------------------


def _lock_key(table_name: str) -> int:
    # A signed 64-bit key per log, the same in every replica.
    return int.from_bytes(hashlib.sha256(f"tefu-access-chain:{table_name}".encode()).digest()[:8], "big", signed=True)


@dataclass
class AccessChain:
    """The chain of one access-log table (which has the ``chain_seq`` and ``chain_hash`` columns).

    ``seal_chunk`` and ``verify_chunk``: rows a round seals, or a check reads, per transaction;
    by default larger on PostgreSQL, where a chunk costs one statement whatever its size, than on
    SQLite, where a chunk holds the database's write lock.
    """

    table: Table
    head: Table
    members: Members | None = None
    seal_chunk: int | None = None
    verify_chunk: int | None = None
    _lock: int = field(init=False)

    def __post_init__(self) -> None:
        self._lock = _lock_key(self.table.name)
        # Rows are read as tuples of these columns, in the order of the canonical bytes' keys.
        self._names = tuple(sorted(column.name for column in self.table.columns if column.name not in CHAIN_COLUMNS))
        self._columns = [self.table.c[name] for name in self._names]
        self._id = self._names.index("id")
        # The key a sealed row is written back by on PostgreSQL: (id, at) is the primary key of a
        # log partitioned by month, and ``at`` lets the database look in the chunk's months only.
        self._keys = tuple(self._names.index(name) for name in ("id", "at") if name in self._names)
        self._link_update: Any = None
        self._own = [name for name in self._names if name != "id"]
        self._sealed_statements: dict[bool, str] = {}

    @property
    def name(self) -> str:
        return self.table.name

    def _chunk(self, connection: AsyncConnection, given: int | None, on_postgresql: int, elsewhere: int) -> int:
        if given is not None:
            return given
        return on_postgresql if connection.dialect.name == "postgresql" else elsewhere

    async def _members_of(self, connection: AsyncConnection, ids: list[int]) -> dict[int, list[Any]]:
        if self.members is None or not ids:
            return {}
        table = self.members.table
        entry, values = table.c[self.members.entry], [table.c[name] for name in self.members.values]
        named = among(entry, ids, connection.dialect.name)
        found: dict[int, list[Any]] = {entry_id: [] for entry_id in ids}
        single = len(values) == 1
        for entry_id, *member in (await connection.execute(select(entry, *values).where(named))).all():
            found[entry_id].append(member[0] if single else tuple(member))
        return found

    def _members_for(self, named: dict[int, list[Any]], row_id: int) -> list[Any] | None:
        if self.members is None:
            return None
        members = named.get(row_id, [])
        return None if not members and self.members.omit_empty else members

    # --- sealing

    async def _take(self, connection: AsyncConnection) -> bool:
        """This log's sealing lock for the transaction, and its head row (made on the first seal)."""
        dialect = connection.dialect.name
        if dialect == "postgresql":
            if not await connection.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": self._lock}):
                return False
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        # On SQLite this first write takes the database's write lock before anything is read.
        await connection.execute(insert(self.head).values(
            table_name=self.name, last_seq=0, last_hash=GENESIS.hex(), algorithm=hash_name(),
        ).on_conflict_do_nothing(index_elements=["table_name"]))
        return True

    async def seal(self, engine: AsyncEngine) -> int:
        """Seal what is unsealed, chunk by chunk (a transaction each); returns how many rows were.

        Returns 0 at once if another replica is sealing this log. Raises
        :class:`ChainAlgorithmMismatch` if the chain was begun with another digest.
        """
        sealed = 0
        while True:
            async with engine.begin() as connection:
                if not await self._take(connection):
                    return sealed
                head = (await connection.execute(select(self.head).where(self.head.c.table_name == self.name)
                                                 .with_for_update())).mappings().one()
                if head["algorithm"] != hash_name():
                    raise _mismatch(head["algorithm"])
                chunk = self._chunk(connection, self.seal_chunk, SEAL_CHUNK_POSTGRESQL, SEAL_CHUNK)
                rows = (await connection.execute(
                    select(*self._columns).where(self.table.c.chain_seq.is_(None)).order_by(self.table.c.id)
                    .limit(chunk))).all()
                if not rows:
                    return sealed
                named = await self._members_of(connection, [row[self._id] for row in rows])
                first, previous = int(head["last_seq"]) + 1, bytes.fromhex(head["last_hash"])
                mode = crypto_mode()  # once a chunk: digest() would read the environment for every row
                hashes = []
                for seq, row in enumerate(rows, first):
                    members = self._members_for(named, row[self._id])
                    previous = digest(previous + canonical_values(seq, self._names, row, members), mode)
                    hashes.append(previous.hex())
                    if (seq - first) % YIELD_EVERY == YIELD_EVERY - 1:
                        # The sealer shares the service's event loop: a chunk hashed at one go
                        # would hold every request in flight for tens of milliseconds.
                        await asyncio.sleep(0)
                await self._write_links(connection, rows, first, hashes)
                await connection.execute(update(self.head).where(self.head.c.table_name == self.name).values(
                    last_seq=first + len(rows) - 1, last_hash=hashes[-1], sealed_at=datetime.now(timezone.utc)))
            sealed += len(rows)
            if len(rows) < chunk:
                return sealed

    def sealed_writer(self) -> SealedWriter:
        """A writer of rows sealed as they are written (:class:`SealedWriter`), for one database."""
        if self.members is not None:
            raise TypeError(f"{self.name}: the rows of a log with members are sealed by the sealer")
        return SealedWriter(self)

    def _links(self, ids: Sequence[int], rows: Sequence[dict[str, Any]], last_seq: int,
               last_hash: str) -> tuple[list[int], list[str]]:
        """The positions and hashes of ``rows`` (with ``ids``) chained after ``last_seq``/``last_hash``."""
        first, previous = last_seq + 1, bytes.fromhex(last_hash)
        mode = crypto_mode()
        hashes = []
        for seq, (row_id, row) in enumerate(zip(ids, rows), first):
            values = [row_id if name == "id" else row[name] for name in self._names]
            previous = digest(previous + canonical_values(seq, self._names, values), mode)
            hashes.append(previous.hex())
        return list(range(first, first + len(rows))), hashes

    def _sealed_insert(self, *, guarded: bool) -> str:
        """The rows (``$1`` ids, then the columns, positions and hashes as arrays) inserted and the
        head moved in one statement. ``guarded``: only if the head is still at the position given
        last (else nothing is written and it answers 0), for a writer that holds no lock."""
        statement = self._sealed_statements.get(guarded)
        if statement is None:
            dialect = postgresql.dialect()
            names = ["id", *self._own, *CHAIN_COLUMNS]
            arrays = ", ".join(f"${n}::{self.table.c[name].type.compile(dialect)}[]" for n, name in enumerate(names, 1))
            quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
            table, last = dialect.identifier_preparer.format_table(self.table), len(names)
            move = (f"UPDATE {self.head.name} SET last_seq = ${last + 2}, last_hash = ${last + 3}, sealed_at = now() "
                    f"WHERE table_name = ${last + 1}")
            if guarded:
                statement = (f"WITH moved AS ({move} AND last_seq = ${last + 4} RETURNING 1), "
                             f"written AS (INSERT INTO {table} ({quoted}) SELECT * FROM unnest({arrays}) "
                             f"WHERE EXISTS (SELECT FROM moved)) SELECT count(*) FROM moved")
            else:
                statement = f"WITH written AS (INSERT INTO {table} ({quoted}) SELECT * FROM unnest({arrays})) {move}"
            self._sealed_statements[guarded] = statement
        return statement

    async def _write_links(self, connection: AsyncConnection, rows: Sequence[Any], first: int, hashes: list[str]) -> None:
        """Give each row its position (``first`` on, in order) and hash."""
        if connection.dialect.name != "postgresql":
            # SQLite: one statement executed for every row costs little in the process itself.
            await connection.execute(
                update(self.table).where(self.table.c.id == bindparam("_id"))
                .values(chain_seq=bindparam("_seq"), chain_hash=bindparam("_hash"))
                .execution_options(synchronize_session=False),
                [{"_id": row[self._id], "_seq": seq, "_hash": hashed}
                 for seq, (row, hashed) in enumerate(zip(rows, hashes), first)])
            return
        # PostgreSQL: the whole chunk in one statement, joined by the key; the bounds of the chunk's
        # ids and times keep the database to the chunk's rows in the chunk's partitions.
        parameters: dict[str, Any] = {"seqs": list(range(first, first + len(rows))), "hashes": hashes}
        for n, index in enumerate(self._keys):
            values = [row[index] for row in rows]
            parameters.update({f"key{n}": values, f"low{n}": min(values), f"high{n}": max(values)})
        result = await connection.execute(self._unnest_update(), parameters)
        if result.rowcount != len(rows):
            # A row deleted between its reading and its seal: its position stays empty, and the
            # check names it missing, as it should.
            log.warning("sealing %s: %d of %d rows were there to seal", self.name, result.rowcount, len(rows))

    def _unnest_update(self) -> Any:
        if self._link_update is None:
            dialect = postgresql.dialect()
            keys = [self._names[index] for index in self._keys]
            quoted = [dialect.identifier_preparer.quote(name) for name in keys]
            arrays = [f"CAST(:key{n} AS {self.table.c[name].type.compile(dialect)}[])" for n, name in enumerate(keys)]
            joined = " AND ".join(f"t.{name} = u.{name}" for name in quoted)
            bounded = " AND ".join(f"t.{name} BETWEEN :low{n} AND :high{n}" for n, name in enumerate(quoted))
            self._link_update = text(
                f"UPDATE {dialect.identifier_preparer.format_table(self.table)} AS t "
                f"SET chain_seq = u.seq, chain_hash = u.hash "
                f"FROM unnest({', '.join(arrays)}, CAST(:seqs AS BIGINT[]), CAST(:hashes AS VARCHAR[])) "
                f"AS u ({', '.join(quoted)}, seq, hash) "
                f"WHERE {joined} AND {bounded} AND t.chain_seq IS NULL")
        return self._link_update

    # --- checking

    async def _sealed_rows(self, engine: AsyncEngine, start: int, through: int) -> AsyncIterator[tuple[Any, list[Any] | None]]:
        """Sealed rows up to ``through`` in chain order with the people each names, a chunk (a
        short transaction) at a time: tuples of the columns in canonical order, then the position
        and the hash."""
        after: tuple[int, int] = (start, 0)
        seq, row_id = self.table.c.chain_seq, self.table.c.id
        while True:
            async with engine.connect() as connection:
                chunk = self._chunk(connection, self.verify_chunk, VERIFY_CHUNK_POSTGRESQL, VERIFY_CHUNK)
                rows = (await connection.execute(
                    select(*self._columns, seq, self.table.c.chain_hash).where(seq > start, seq <= through)
                    .where((seq > after[0]) | ((seq == after[0]) & (row_id > after[1])))
                    .order_by(seq, row_id).limit(chunk))).all()
                named = await self._members_of(connection, [row[self._id] for row in rows])
            for row in rows:
                yield row, self._members_for(named, row[self._id])
            if len(rows) < chunk:
                return
            after = (rows[-1][-2], rows[-1][self._id])

    async def verify(self, engine: AsyncEngine, anchor: tuple[int, str] | None = None) -> ChainVerdict:
        """Walk the chain from its first row, recompute every link, compare the last with the head.

        ``anchor``: (position, hash) an auditor kept from an earlier check; the link there must be
        that hash, or the chain was recomputed since (``anchor-mismatch``).

        Memory is bounded by a chunk; the head is read first, so rows a replica seals meanwhile are
        left for the next check rather than taken for additions.
        """
        async with engine.connect() as connection:
            # The count before the head: each statement sees the database as of its own start, so
            # a row sealed between the two is then counted in the head, never lost from both (read
            # the other way round, ``unsealed == 0`` could come with a head from before the seal).
            unsealed = int(await connection.scalar(
                select(func.count()).select_from(self.table).where(self.table.c.chain_seq.is_(None))) or 0)
            head = (await connection.execute(select(self.head).where(self.head.c.table_name == self.name))
                    ).mappings().one_or_none()
            if head is None:
                first = (await connection.execute(
                    select(self.table.c.id, self.table.c.at, self.table.c.chain_seq)
                    .where(self.table.c.chain_seq.is_not(None)).order_by(self.table.c.chain_seq).limit(1))
                ).mappings().one_or_none()
        if head is None:
            # Nothing sealed yet is a whole (empty) chain; sealed rows without a head are not.
            return ChainVerdict(whole=first is None, algorithm=hash_name(), rows_checked=0, sealed_through=0,
                                head_hash=None, unsealed=unsealed,
                                first_broken=None if first is None else
                                _broken(first["chain_seq"], "head-missing", first["id"], first["at"]))
        if head["algorithm"] != hash_name():
            raise _mismatch(head["algorithm"])
        through, archived = int(head["last_seq"]), int(head["archived_through"] or 0)
        previous = bytes.fromhex(head["archived_hash"]) if archived and head["archived_hash"] else GENESIS
        expected, checked = archived + 1, 0
        broken: BrokenLink | None = None
        mode = crypto_mode()
        at = self._names.index("at")
        async for row, members in self._sealed_rows(engine, archived, through):
            seq = int(row[-2])
            if seq < expected:
                broken = _broken(seq, "row-inserted", row[self._id], row[at])
                break
            if seq > expected:
                broken = _broken(expected, "row-missing")
                break
            recomputed = digest(previous + canonical_values(seq, self._names, row, members), mode)
            if row[-1] != recomputed.hex():
                broken = _broken(seq, "row-altered", row[self._id], row[at])
                break
            if anchor is not None and seq == anchor[0] and recomputed.hex() != anchor[1].lower():
                broken = _broken(seq, "anchor-mismatch", row[self._id], row[at])
                break
            previous, expected, checked = recomputed, expected + 1, checked + 1
        if broken is None and anchor is not None and anchor[0] > through:
            broken = _broken(through + 1, "tail-truncated")  # the kept position is gone
        if broken is None and expected <= through:
            broken = _broken(expected, "tail-truncated")
        if broken is None and previous.hex() != head["last_hash"]:
            broken = _broken(through, "head-mismatch")
        return ChainVerdict(whole=broken is None, algorithm=head["algorithm"], rows_checked=checked,
                            sealed_through=through, archived_through=archived, head_hash=head["last_hash"],
                            unsealed=unsealed,
                            first_broken=broken)


class SealedWriter:
    """Writes rows of one log, in one database (PostgreSQL, asyncpg connections), sealed as they
    are written: ids drawn from the table's sequence, positions and hashes computed as the sealer
    would, the rows inserted with them and the chain's head moved on, in one transaction.

    For a log written in groups at a high rate (the hospital desk's group commit): a row sealed
    afterwards is written twice (the sealer's UPDATE makes a second version of it and an entry in
    each of its indexes, and work for vacuum), which costs PostgreSQL more than the lookup itself.

    A group normally costs one statement, its own transaction: the writer remembers the head it
    left and keeps ids drawn ahead, and writes rows and head together only if the head is still
    there. If it moved (the sealer sealed other rows, another replica wrote), nothing was written
    and the group goes again under the head row's lock (two statements in a transaction), which
    is also how the first group finds the head. Groups of every replica thus take turns at the
    head, a commit each; rows written otherwise are sealed by the sealer, under the same lock.
    """

    RESERVE = 512  # ids drawn ahead, so that a group needs no round trip for them

    def __init__(self, chain: AccessChain) -> None:
        self.chain = chain
        self._head: tuple[int, str] | None = None  # (last_seq, last_hash) this writer left
        self._ids: list[int] = []
        # The head locked and ids drawn, in one round trip.
        self._select_head = (
            f"SELECT last_seq, last_hash, algorithm, ARRAY(SELECT nextval(pg_get_serial_sequence($1, 'id')) "
            f"FROM generate_series(1, $2)) AS ids FROM {chain.head.name} WHERE table_name = $1 FOR UPDATE")

    async def insert(self, connection: Any, rows: Sequence[dict[str, Any]]) -> None:
        """Write ``rows`` (every column but ``id`` and the chain's), sealed."""
        if not rows:
            return
        chain, count = self.chain, len(rows)
        if self._head is not None and len(self._ids) >= count:
            ids = self._ids[:count]
            seqs, hashes = chain._links(ids, rows, *self._head)
            if await connection.fetchval(chain._sealed_insert(guarded=True), ids, *self._columns(rows), seqs, hashes,
                                         chain.name, seqs[-1], hashes[-1], self._head[0]):
                del self._ids[:count]
                self._head = (seqs[-1], hashes[-1])
                return
        head_table, select_head = chain.head.name, self._select_head
        drawn = max(0, count - len(self._ids)) + self.RESERVE
        async with connection.transaction():
            head = await connection.fetchrow(select_head, chain.name, drawn)
            if head is None:  # the log's first seal
                await connection.execute(f"INSERT INTO {head_table} (table_name, last_seq, last_hash, algorithm) "
                                         "VALUES ($1, 0, $2, $3) ON CONFLICT DO NOTHING", chain.name, GENESIS.hex(),
                                         hash_name())
                head = await connection.fetchrow(select_head, chain.name, drawn)
            if head["algorithm"] != hash_name():
                raise _mismatch(head["algorithm"])
            available = self._ids + list(head["ids"])
            ids = available[:count]
            seqs, hashes = chain._links(ids, rows, int(head["last_seq"]), head["last_hash"])
            await connection.execute(chain._sealed_insert(guarded=False), ids, *self._columns(rows), seqs, hashes,
                                     chain.name, seqs[-1], hashes[-1])
        # Only once committed: a transaction rolled back leaves the head and the ids as they were.
        self._ids = available[count:]
        self._head = (seqs[-1], hashes[-1])

    def _columns(self, rows: Sequence[dict[str, Any]]) -> list[list[Any]]:
        return [[row[name] for row in rows] for name in self.chain._own]


# --- the background task --------------------------------------------------------------------------


class AccessChainSealer:
    """Seals a service's access logs every ``interval`` seconds, in every replica (one at a time per log)."""

    def __init__(self, engine: AsyncEngine, chains: Sequence[AccessChain], *, interval: float) -> None:
        self.engine = engine
        self.chains = list(chains)
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.interval > 0:
            self._task = asyncio.create_task(self._run(), name="access-chain-sealer")

    async def seal_all(self) -> int:
        """One round over every log (what the task does each interval); returns the rows sealed."""
        total = 0
        for chain in self.chains:
            total += await chain.seal(self.engine)
        return total

    async def _run(self) -> None:
        while True:
            for chain in self.chains:
                try:
                    await chain.seal(self.engine)
                except ChainAlgorithmMismatch as exc:
                    log.error("not sealing %s: %s", chain.name, exc)
                except Exception:  # noqa: BLE001 - the database away, say: the next round tries again
                    log.exception("sealing %s failed; retrying in %.1f s", chain.name, self.interval)
            await asyncio.sleep(self.interval)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()  # between rounds or inside one: a round cut short rolls back, sealing nothing
            await asyncio.gather(task, return_exceptions=True)


def start_sealer(app: Any, chains: Sequence[AccessChain]) -> None:
    """Start the sealer of a service's ``chains`` (from its start-up hook); :func:`stop_sealer` stops it."""
    app.state.access_chain_sealer = AccessChainSealer(
        app.state.database.engine, chains, interval=app.state.settings.access_chain_interval_seconds)
    app.state.access_chain_sealer.start()


async def stop_sealer(app: Any) -> None:
    sealer = getattr(app.state, "access_chain_sealer", None)
    if sealer is not None:
        await sealer.stop()
        app.state.access_chain_sealer = None


# --- the migrations ---------------------------------------------------------------------------------


def migrate_to_chain(table: str) -> None:
    """A service's migration to the chain of its log ``table``: the two columns, their indexes, the head.

    Plain ADD COLUMN (SQLite has it): no copy of a table that may hold millions of rows. On
    PostgreSQL the columns and indexes go to the partitioned parent and reach every month's
    partition. The position is indexed but not unique: a unique index of a partitioned table must
    hold the partition key, and the check finds a position taken twice anyway. The partial index
    of the rows not sealed yet is what the sealer reads each round. Rows already there are sealed
    on the sealer's first round, oldest first.
    """
    import sqlalchemy as sa
    from alembic import op

    unsealed = sa.text("chain_seq IS NULL")
    op.add_column(table, sa.Column("chain_seq", sa.BigInteger(), nullable=True))
    op.add_column(table, sa.Column("chain_hash", sa.String(64), nullable=True))
    op.create_index(f"ix_{table}_chain_seq", table, ["chain_seq"])
    op.create_index(f"ix_{table}_unsealed", table, ["id"], postgresql_where=unsealed, sqlite_where=unsealed)
    op.create_table(
        HEAD_TABLE,
        sa.Column("table_name", sa.String(64), primary_key=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("algorithm", sa.String(16), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archived_through", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("archived_hash", sa.String(64), nullable=True),
    )


def migrate_from_chain(table: str) -> None:
    from alembic import op

    op.drop_table(HEAD_TABLE)
    op.drop_index(f"ix_{table}_unsealed", table_name=table)
    op.drop_index(f"ix_{table}_chain_seq", table_name=table)
    op.drop_column(table, "chain_hash")
    op.drop_column(table, "chain_seq")
