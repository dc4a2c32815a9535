"""SQLAlchemy 2 async engine and sessions, on PostgreSQL (asyncpg) or SQLite (aiosqlite).

The request's session is a FastAPI dependency that owns the transaction: it commits when the
endpoint returns and rolls back when it raises. Services only ``flush()``.

A :class:`DatabaseMonitor` probes the database in the background. While the database is
unreachable every request except the health endpoints gets 503 at once (instead of each one
hanging on a connection timeout), and the service recovers by itself when the database is back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import ARRAY, DateTime, MetaData, TypeDecorator, any_, bindparam, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlalchemy.ext.asyncio import (AsyncEngine, AsyncSession, AsyncSessionTransaction, async_sessionmaker,
                                    create_async_engine)
from starlette.types import ASGIApp, Receive, Scope, Send

from tefu_common.connectivity import is_connection_error, is_sqlite_error
from tefu_common.errors import DatabaseUnavailable, error_response

log = logging.getLogger("tefu.db")

# One naming convention for every service's constraints, so migrations name them predictably.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored with its time zone, and read back in UTC on every backend.

    PostgreSQL keeps the zone; SQLite does not, and would hand back naive datetimes that then
    print without an offset. Values are converted to UTC on the way in and marked UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        # A timestamp without a zone (typed into a query string, say) is taken to be UTC.
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def among(column: Any, values: list[Any], dialect: str) -> Any:
    """``column IN values`` for a list of thousands (a bulk read's ids): on PostgreSQL ``column =
    ANY($1)`` with one array parameter, so one statement text whatever the count, prepared once,
    with no thousand parameters to render and bind each time; elsewhere ``IN``."""
    if dialect == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` and ``sqlite:///`` URLs and pick the async drivers."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, connect_timeout: float = 5.0) -> AsyncEngine:
    url = normalise_url(url)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            # Foreign keys are off by default in SQLite; WAL lets readers run beside a writer.
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_async_engine(
        url,
        pool_pre_ping=True,  # a connection the server dropped is replaced, not handed out
        # A request waits this long for a free connection of the pool: a burst of slow requests
        # (twenty batch builds at once) queues instead of failing; an unreachable server is
        # caught sooner by the connect timeout below and the monitor.
        pool_timeout=POOL_WAIT_SECONDS,
        connect_args={"timeout": connect_timeout},
    )


POOL_WAIT_SECONDS = 60.0


@asynccontextmanager
async def savepoint(session: AsyncSession) -> AsyncIterator[AsyncSessionTransaction]:
    """``session.begin_nested()`` that is safe on SQLite too: the one way to take a savepoint.

    Python's sqlite3 module opens a transaction only before INSERT, UPDATE or DELETE, so a
    SAVEPOINT issued first opens a *deferred* transaction of its own. Reads inside it pin a
    snapshot, and the first write after another connection has committed then fails at once with
    "database is locked": SQLite cannot upgrade a stale snapshot and does not wait for it. Taking
    the write lock up front (BEGIN IMMEDIATE) makes the savepoint's writer wait its turn under the
    busy timeout like any other writer. A transaction that already wrote holds the lock and is
    left as it is. PostgreSQL needs none of this.
    """
    await take_write_lock(session)
    async with session.begin_nested() as nested:
        yield nested


async def take_write_lock(session: AsyncSession) -> None:
    """On SQLite, the database's write lock for the session's transaction (``BEGIN IMMEDIATE``,
    waiting under the busy timeout) unless it holds it already; PostgreSQL needs nothing."""
    connection = await session.connection()
    if connection.dialect.name == "sqlite":
        raw = await connection.get_raw_connection()
        if not raw.driver_connection.in_transaction:  # type: ignore[union-attr]
            await connection.exec_driver_sql("BEGIN IMMEDIATE")

__all__ = ["Database", "DatabaseGateMiddleware", "DatabaseMonitor", "DbSession", "NAMING_CONVENTION", "ReadSession",
           "UtcDateTime",
           "create_engine", "is_connection_error", "is_sqlite", "is_sqlite_error", "new_metadata", "normalise_url",
           "savepoint", "take_write_lock"]


class Database:
    """The engine and session factory of one service."""

    def __init__(self, url: str, *, connect_timeout: float = 5.0, read_url: str | None = None) -> None:
        self.url = normalise_url(url)
        self.connect_timeout = connect_timeout
        self.engine = create_engine(self.url, connect_timeout=connect_timeout)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        # Reads that may lag by moments (a streaming replica), or the same database when none is set.
        self.read_url = normalise_url(read_url) if read_url else self.url
        self.read_engine = create_engine(self.read_url, connect_timeout=connect_timeout) if read_url else self.engine
        self.read_sessionmaker = async_sessionmaker(self.read_engine, expire_on_commit=False)
        self._probe: AsyncEngine | None = None

    async def ping(self) -> None:
        """Raise if the database cannot answer ``SELECT 1`` within the connect timeout.

        On PostgreSQL the probe opens a connection of its own, outside the request pool: when slow
        requests hold every pooled connection the database is busy, not down, and a probe waiting
        in the pool's queue would time out and shut the gate on every other request.
        """
        engine = self._probe_engine() if not is_sqlite(self.url) else self.engine
        async with asyncio.timeout(self.connect_timeout + 1):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))

    def _probe_engine(self) -> AsyncEngine:
        if self._probe is None:
            self._probe = create_async_engine(self.url, poolclass=NullPool,
                                              connect_args={"timeout": self.connect_timeout})
        return self._probe

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()
        if self._probe is not None:
            await self._probe.dispose()
            self._probe = None


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    database: Database = request.app.state.database
    async with database.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


# scope="function": the commit happens before the response is sent, so a failed commit is an
# error response and never a 200 for data that was not saved.
DbSession = Annotated[AsyncSession, Depends(_request_session, scope="function")]


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    database: Database = request.app.state.database
    async with database.read_sessionmaker() as session:
        try:
            yield session
        finally:
            await session.rollback()  # nothing is written here; a replica would refuse it anyway


ReadSession = Annotated[AsyncSession, Depends(_read_session, scope="function")]
"""A session for reads that may lag by moments: the replica of ``read_database_url`` when set."""


class DatabaseMonitor:
    """Knows whether the database is reachable, from a background probe and from failures."""

    def __init__(self, database: Database, *, interval: float = 2.0) -> None:
        self.database = database
        self.interval = interval
        self.available = True
        self.last_error: str | None = None
        self.checked_at = 0.0
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def probe(self) -> bool:
        try:
            await self.database.ping()
        except Exception as exc:  # any failure to answer SELECT 1 means unavailable
            if self.available:
                log.warning("database became unreachable: %s", type(exc).__name__)
            self.available, self.last_error = False, f"{type(exc).__name__}: {exc}"[:300]
        else:
            if not self.available:
                log.info("database reachable again")
            self.available, self.last_error = True, None
        self.checked_at = time.monotonic()
        return self.available

    def mark_unavailable(self, reason: str) -> None:
        self.available, self.last_error = False, reason

    async def _run(self) -> None:
        while not self._stopping.is_set():
            await self.probe()
            # While down, look again sooner so the service is back as soon as the database is.
            delay = self.interval if self.available else min(self.interval, 1.0)
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)
            except asyncio.TimeoutError:
                pass

    def start(self) -> None:
        if self._task is None:
            self._stopping = asyncio.Event()
            self._task = asyncio.create_task(self._run(), name="database-monitor")

    async def stop(self) -> None:
        """Let a probe in flight finish (cancelling it mid-connect strands the driver's thread)."""
        if self._task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(self._task, timeout=self.database.connect_timeout + 2)
        except asyncio.TimeoutError:
            pass  # wait_for has cancelled it
        self._task = None


class DatabaseGateMiddleware:
    """Answer 503 problem+json at once while the monitor says the database is down."""

    OPEN_PATHS = ("/healthz", "/readyz", "/metrics", "/docs", "/redoc", "/openapi.json", "/.well-known/")

    def __init__(self, app: ASGIApp, monitor: DatabaseMonitor) -> None:
        self.app = app
        self.monitor = monitor

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.monitor.available and not scope["path"].startswith(self.OPEN_PATHS):
            await error_response(DatabaseUnavailable(), scope["path"])(scope, receive, send)
            return
        await self.app(scope, receive, send)
