"""The database layer on the configured backend (PostgreSQL or SQLite): sessions own transactions."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Integer, String, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tefu_common.db import (Database, DatabaseMonitor, DbSession, is_connection_error, new_metadata, normalise_url,
                            savepoint)
from tefu_common.errors import Conflict, install_error_handlers
from tefu_common.testing import scratch_database


class Base(DeclarativeBase):
    metadata = new_metadata()


class Household(Base):
    __tablename__ = "household"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certificate_no: Mapped[str] = mapped_column(String(32), unique=True)


@pytest.fixture
async def database(tmp_path):
    with scratch_database("common_db", tmp_path) as url:
        db = Database(url)
        async with db.engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        try:
            yield db
        finally:
            await db.dispose()


def households_app(database: Database) -> FastAPI:
    app = FastAPI()
    app.state.database = database
    install_error_handlers(app)

    @app.post("/households/{certificate_no}")
    async def create(certificate_no: str, session: DbSession, fail_after_write: bool = False) -> dict:
        session.add(Household(certificate_no=certificate_no))
        await session.flush()
        if fail_after_write:
            raise Conflict("refused after the write: nothing may be kept")
        return {"ok": True}

    return app


async def count(database: Database) -> int:
    async with database.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(Household))


async def test_request_session_commits_on_success_and_rolls_back_on_error(database):
    transport = httpx.ASGITransport(app=households_app(database))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.post("/households/GRZ-001")).status_code == 200
        assert await count(database) == 1
        refused = await client.post("/households/GRZ-002", params={"fail_after_write": True})
        assert refused.status_code == 409
        assert await count(database) == 1  # the flushed row of the failed request is gone


async def test_constraint_violation_is_not_mistaken_for_an_outage(database):
    async with database.sessionmaker() as session:
        session.add_all([Household(certificate_no="X"), Household(certificate_no="X")])
        with pytest.raises(IntegrityError) as error:
            await session.flush()
    assert not is_connection_error(error.value)


async def test_a_savepoint_that_reads_then_writes_waits_for_another_writer_instead_of_failing(database):
    # An import checks a row (a read) and then registers it (a write) inside a savepoint while
    # other sessions commit. On SQLite a bare SAVEPOINT would open a deferred transaction whose
    # snapshot goes stale at the other commit, and the write would fail at once with "database
    # is locked"; the shared savepoint waits for its turn instead, and both rows are kept.
    async with database.sessionmaker() as importer, database.sessionmaker() as other:
        async def other_writer() -> None:
            other.add(Household(certificate_no="OTHER"))
            await other.commit()

        async with savepoint(importer):
            assert await importer.scalar(select(func.count()).select_from(Household)) == 0
            elsewhere = asyncio.create_task(other_writer())
            await asyncio.sleep(0.2)  # on PostgreSQL it commits now; on SQLite it waits for the lock
            importer.add(Household(certificate_no="IMPORTED"))
            await importer.flush()
        await importer.commit()
        await elsewhere
    assert await count(database) == 2


async def test_a_failed_savepoint_keeps_the_rows_before_it(database):
    async with database.sessionmaker() as session:
        session.add(Household(certificate_no="KEPT"))
        await session.flush()
        with pytest.raises(IntegrityError):
            async with savepoint(session):
                session.add(Household(certificate_no="KEPT"))
                await session.flush()
        await session.commit()
    assert await count(database) == 1


async def test_monitor_notices_an_unreachable_database():
    unreachable = Database("postgresql://postgres@127.0.0.1:1/none", connect_timeout=1)
    monitor = DatabaseMonitor(unreachable)
    try:
        assert await monitor.probe() is False
        assert monitor.available is False and monitor.last_error
    finally:
        await unreachable.dispose()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h:5432/d", "postgresql+asyncpg://u@h:5432/d"),
        ("postgres://u:p@h/d", "postgresql+asyncpg://u:p@h/d"),
        ("sqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
        ("sqlite+aiosqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
    ],
)
def test_plain_urls_get_async_drivers(given, expected):
    assert normalise_url(given) == expected
