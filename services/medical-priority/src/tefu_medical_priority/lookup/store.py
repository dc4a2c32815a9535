"""The desk's store: reading a card in one indexed SELECT (with its family's guardianship facts,
joined on their key), a family's liaisons when the holder has no guardian, and writing lookup-log
rows in bulk.

The desk lookup is the service's hot path (a thousand a second at a large hospital group), so on
PostgreSQL it skips the ORM: a small asyncpg pool of its own, statements prepared once per
connection, no reset round trip when a connection goes back (these connections never change
session state), and a group of log rows written by one INSERT of arrays, sealed into the hash
chain as it is written (tefu_common.access_chain.SealedWriter). On SQLite (the
embedded default) it goes through SQLAlchemy like everything else. Both read the same dicts.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson
from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import make_url

from tefu_common.db import Database
from tefu_medical_priority.access_log.models import LookupLogEntry, lookup_chain
from tefu_medical_priority.cards.models import LIVE_STATES, Card
from tefu_medical_priority.liaisons.models import FamilyLiaison, FamilyParents
from tefu_medical_priority.lookup.cache import LISTENER_NAME, CacheListener, CardCache

COLUMNS = ("id", "card_no", "status", "status_reason", "masked_name", "sex", "birth_year", "id_last4", "region_code",
           "services", "privileges", "valid_until", "family_id", "holder_role")
PARENT_COLUMNS = ("mother_alive", "father_alive")  # the guardianship rule's facts (null row: not yet checked)
# The card and, from its family's row (joined on its key), whether its parents are alive.
_CARD = (select(*(getattr(Card, c) for c in COLUMNS), *(getattr(FamilyParents, c) for c in PARENT_COLUMNS),
                FamilyParents.family_id.is_not(None).label("parents_known"))
         .select_from(Card).outerjoin(FamilyParents, FamilyParents.family_id == Card.family_id))
_BY_NUMBER = _CARD.where(Card.card_no == bindparam("key"))
# A person may hold earlier, revoked cards: the live one first, else the latest.
_BY_ID_NUMBER = (_CARD.add_columns(Card.name_index).where(Card.id_number_index == bindparam("key"))
                 .order_by(Card.status.in_(LIVE_STATES).desc(), Card.id.desc()).limit(1))
_PG_CARD = (f"SELECT {', '.join(f'c.{c}' for c in COLUMNS)}, {', '.join(f'p.{c}' for c in PARENT_COLUMNS)}, "
            "p.family_id IS NOT NULL AS parents_known")
_PG_FROM = "FROM card c LEFT JOIN family_parents p ON p.family_id = c.family_id"
_PG_BY_NUMBER = f"{_PG_CARD} {_PG_FROM} WHERE c.card_no = $1"
_PG_BY_ID_NUMBER = (f"{_PG_CARD}, c.name_index {_PG_FROM} WHERE c.id_number_index = $1 "
                    "ORDER BY c.status IN ('active', 'suspended') DESC, c.id DESC LIMIT 1")
# Read only for a holder without a guardian, through SQLAlchemy on both databases (the phone is
# decrypted by its column type).
_LIAISONS = (select(FamilyLiaison.post, FamilyLiaison.name, FamilyLiaison.phone, FamilyLiaison.unit)
             .where(FamilyLiaison.family_id == bindparam("family_id")).order_by(FamilyLiaison.id))

class DeskStore:
    """Cards (and liaisons) are read from ``read_database_url`` when one is set, a streaming replica
    that may lag the primary by moments; the lookup log is always written to the primary."""

    def __init__(self, database: Database, *, pool_size: int = 10, cache: CardCache | None = None) -> None:
        self.database = database
        self.pool_size = pool_size
        self.cache = cache if cache is not None else CardCache(size=0)
        self._pool: asyncpg.Pool | None = None  # reads
        self._log_pool: asyncpg.Pool | None = None  # writes: the same pool when there is no replica
        self._listener: CacheListener | None = None
        self._sealed = lookup_chain.sealed_writer()  # this database's: it remembers the chain's head

    async def start(self) -> None:
        if self.database.engine.dialect.name == "postgresql":
            self._log_pool = await self._connect(self.database.url)
            replica = self.database.read_url != self.database.url
            self._pool = await self._connect(self.database.read_url) if replica else self._log_pool
            if not replica and self.cache.size > 0:
                self._listener = CacheListener(self.cache, lambda: self._connection(self.database.url))
                self._listener.start()

    async def _connect(self, database_url: str) -> asyncpg.Pool:
        pool: asyncpg.Pool = await asyncpg.create_pool(
            **_address(database_url), min_size=1, max_size=self.pool_size, init=_json_codec, reset=_nothing_to_reset,
            timeout=self.database.connect_timeout)
        return pool

    async def _connection(self, database_url: str) -> asyncpg.Connection:
        return await asyncpg.connect(**_address(database_url), timeout=self.database.connect_timeout,
                                     server_settings={"application_name": LISTENER_NAME})

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.stop()
            self._listener = None
        for pool in {id(p): p for p in (self._pool, self._log_pool) if p is not None}.values():
            await pool.close()
        self._pool = self._log_pool = None

    async def by_number(self, card_no: str) -> dict[str, Any] | None:
        """The card's row, from the cache when it holds it (lookup/cache.py)."""
        row = self.cache.get(card_no)
        if row is not None:
            return row
        generation = self.cache.generation  # before the read: a notice meanwhile and the row is not kept
        row = await self._one(_PG_BY_NUMBER, _BY_NUMBER, card_no)
        if row is not None:
            self.cache.put(row, generation)
        return row

    async def by_id_number_index(self, index: str) -> dict[str, Any] | None:
        return await self._one(_PG_BY_ID_NUMBER, _BY_ID_NUMBER, index)

    async def liaisons(self, family_id: int) -> list[dict[str, Any]]:
        """The family's current liaisons (post, name, phone, unit)."""
        async with self.database.read_engine.connect() as connection:
            return [dict(row._mapping) for row in await connection.execute(_LIAISONS, {"family_id": family_id})]

    async def _one(self, pg: str, orm: Any, key: str) -> dict[str, Any] | None:
        if self._pool is not None:
            row = await self._pool.fetchrow(pg, key)
            return dict(row) if row is not None else None
        async with self.database.read_engine.connect() as connection:
            found = (await connection.execute(orm, {"key": key})).first()
        return dict(found._mapping) if found is not None else None

    async def write_log(self, rows: list[dict[str, Any]]) -> None:
        """Commit lookup-log rows in one transaction (atomic: all of them or none); on PostgreSQL
        sealed into the log's hash chain as they are written (tefu_common.access_chain.SealedWriter), so the
        sealer never rewrites them."""
        if self._log_pool is not None:
            async with self._log_pool.acquire() as connection:
                await self._sealed.insert(connection, rows)
            return
        async with self.database.engine.begin() as connection:
            await connection.execute(insert(LookupLogEntry), rows)


def _address(database_url: str) -> dict[str, Any]:
    url = make_url(database_url)
    return {"host": url.host, "port": url.port or 5432, "user": url.username, "password": url.password,
            "database": url.database}


async def _nothing_to_reset(connection: asyncpg.Connection) -> None:
    return None


async def _json_codec(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec("json", schema="pg_catalog", encoder=lambda v: orjson.dumps(v).decode(),
                                    decoder=orjson.loads)
