"""The desk's cache of cards, kept true by PostgreSQL's notifications of every change.

A patient's visit takes the card past several desks (registration, payment, lab, pharmacy,
admission) within minutes, so most lookups are of a card looked up moments before. The cache
keeps the card's row (with its family's parents' facts) in the process, and the desk then answers
with no read of the database at all; the lookup is still logged, committed before the answer.

Kept true by notices, not by age: the database announces every changed card and parents' row on
the channel ``tefu_desk_cards`` when its transaction commits (migration 0008), and a listening
connection of this process forgets what they name. How stale an answer can be:

- normally by the time PostgreSQL takes to deliver a notice, milliseconds after the commit;
- a row read just before a change, whose notice arrived while the read was on its way, is not
  kept (every notice moves ``generation`` on, and a read that saw it move keeps nothing);
- if the listening connection is lost, or a ping it sends itself every ``PING_SECONDS`` is not
  back within ``PING_SECONDS``, the cache is emptied and unused until it listens again: at most
  two ping intervals (10 s) of notices could have gone unseen;
- whatever happens, no row is kept longer than ``max_age`` seconds (60 by default).

Only the lookup by card number (and by QR code) uses it; the lookup by ID number reads the
database (it is rate-limited and rare). Not used with a read replica (a notice from the primary
can outrun the replica's replay) nor on SQLite (no notifications).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import asyncpg

log = logging.getLogger("tefu.desk.cache")

CHANNEL = "tefu_desk_cards"
LISTENER_NAME = "tefu-desk-card-cache"  # the listening connection's application_name (pg_stat_activity)
PING_SECONDS = 5.0


class CardCache:
    """Rows by card number, at most ``size`` of them (the oldest go first), each at most ``max_age`` s."""

    def __init__(self, *, size: int = 200_000, max_age: float = 60.0) -> None:
        self.size = size
        self.max_age = max_age
        self.generation = 0  # moves on with every notice (and every emptying)
        self.listening = False
        self._rows: dict[str, tuple[float, dict[str, Any]]] = {}
        self._families: dict[int, set[str]] = {}
        self.hits = self.misses = 0

    def get(self, card_no: str) -> dict[str, Any] | None:
        """A copy of the card's row if held and fresh enough."""
        if not self.listening:
            return None
        held = self._rows.get(card_no)
        if held is None or time.monotonic() - held[0] > self.max_age:
            self.misses += 1
            return None
        self.hits += 1
        return dict(held[1])

    def put(self, row: dict[str, Any], generation: int) -> None:
        """Keep ``row``, read when ``generation`` was current, unless a notice came since."""
        if not self.listening or generation != self.generation or self.size <= 0:
            return
        card_no, family_id = row["card_no"], row["family_id"]
        if card_no not in self._rows and len(self._rows) >= self.size:
            self._drop(next(iter(self._rows)))  # the oldest
        self._rows[card_no] = (time.monotonic(), dict(row))
        self._families.setdefault(family_id, set()).add(card_no)

    def _drop(self, card_no: str) -> None:
        held = self._rows.pop(card_no, None)
        if held is None:
            return
        family_id = held[1]["family_id"]
        cards = self._families.get(family_id)
        if cards is not None:
            cards.discard(card_no)
            if not cards:
                del self._families[family_id]

    def noticed(self, payload: str) -> None:
        """A notice: ``c:<card_no>``, ``f:<family_id>`` (several, comma-separated), or ``f:*``."""
        self.generation += 1
        for item in payload.split(","):
            kind, _, key = item.partition(":")
            if kind == "c":
                self._drop(key)
            elif kind == "f" and key == "*":
                self.clear()
            elif kind == "f" and key.isdigit():
                for card_no in list(self._families.get(int(key), ())):
                    self._drop(card_no)

    def clear(self) -> None:
        self.generation += 1
        self._rows.clear()
        self._families.clear()

    def __len__(self) -> int:
        return len(self._rows)


class CacheListener:
    """Listens on the primary for the cache's notices, reconnecting when the connection is lost."""

    def __init__(self, cache: CardCache, connect: Any) -> None:
        self.cache = cache
        self.connect = connect  # async () -> asyncpg.Connection
        self._task: asyncio.Task[None] | None = None
        self._pong = asyncio.Event()
        self._pings = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="desk-card-cache")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self._off()

    def _off(self) -> None:
        self.cache.listening = False
        self.cache.clear()

    def _notice(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload.startswith("ping:"):
            if payload == f"ping:{id(self)}:{self._pings}":
                self._pong.set()
            return
        self.cache.noticed(payload)

    async def _run(self) -> None:
        delay = 1.0
        while True:
            connection = None
            try:
                connection = await self.connect()
                await connection.add_listener(CHANNEL, self._notice)
                connection.add_termination_listener(lambda _: self._off())  # at once, not at the next ping
                self.cache.clear()  # what changed before we listened is unknown
                self.cache.listening = True
                delay = 1.0
                while await self._ping(connection):
                    await asyncio.sleep(PING_SECONDS)
                log.warning("desk card cache: a ping over %s was not back in %.0f s; emptied, listening again",
                            CHANNEL, PING_SECONDS)
            except asyncio.CancelledError:
                raise
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncio.TimeoutError) as exc:
                log.warning("desk card cache off (%s); reading cards from the database until it listens again",
                            type(exc).__name__)
            finally:
                self._off()
                if connection is not None:
                    connection.terminate()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)

    async def _ping(self, connection: asyncpg.Connection) -> bool:
        """A notice to ourselves, back within PING_SECONDS: the channel still works."""
        self._pings += 1
        self._pong.clear()
        async with asyncio.timeout(PING_SECONDS):
            await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, f"ping:{id(self)}:{self._pings}")
        try:
            await asyncio.wait_for(self._pong.wait(), PING_SECONDS)
        except asyncio.TimeoutError:
            return False
        return not connection.is_closed()
