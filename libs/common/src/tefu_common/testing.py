"""Test support shared by every service's tests: a real database per test run, keys, tokens.

It is also a pytest plugin (``-p tefu_common.testing`` in pytest.ini): a service's conftest
provides one fixture, ``service_under_test``, and gets ``keys_dir``, ``signing_key``, ``token``
(a signed token), ``auth`` (the headers of one), ``database_url`` (migrated, and empty for each
test), ``settings`` and ``client`` (the app over ASGI, lifespan running). :func:`bearer` makes the
headers of a token anywhere else.

Tests run on PostgreSQL by default (``TEFU_TEST_DB=postgresql``, server at ``TEFU_TEST_PG_URL``,
default ``postgresql://postgres@127.0.0.1:5432/postgres``) or on SQLite (``TEFU_TEST_DB=sqlite``).
Each test module gets a database built by the service's own Alembic migrations, so the migrations
are exercised on every run, and every test starts on it empty: on PostgreSQL its tables are
truncated before each test, on SQLite each test gets its own copy of the migrated file. A test
therefore never sees what another test wrote, whatever order they run in.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import os
import shutil
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from tefu_common.auth import SERVICE_AUDIENCES, Institution, Role, SigningKey, TokenIssuer, scopes_for, write_key_files
from tefu_common.migrations import upgrade
from tefu_common.settings import ServiceSettings

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def database_backend() -> str:
    backend = os.environ.get("TEFU_TEST_DB", "postgresql").lower()
    if backend not in ("postgresql", "sqlite"):
        raise RuntimeError(f"TEFU_TEST_DB must be postgresql or sqlite, not {backend!r}")
    return backend


def _pg_admin_url() -> str:
    return os.environ.get("TEFU_TEST_PG_URL", DEFAULT_PG_URL)


async def _pg_admin(statement: str, database: str | None = None) -> None:
    import asyncpg

    url = make_url(_pg_admin_url())
    if database is not None:
        url = url.set(database=database)
    try:
        connection = await asyncpg.connect(
            host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username or "postgres",
            password=url.password, database=url.database or "postgres", timeout=10,
        )
    except (OSError, asyncpg.PostgresError) as exc:
        raise RuntimeError(
            f"tests need PostgreSQL at {_pg_admin_url()} (set TEFU_TEST_PG_URL, or TEFU_TEST_DB=sqlite): {exc}"
        ) from exc
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _run_admin(statement: str, database: str | None = None) -> None:
    # A thread of its own, so this works from sync fixtures and from inside async tests alike.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _pg_admin(statement, database)).result()


# Every table but Alembic's, emptied and its ids restarted, in one statement.
_EMPTY_EVERY_TABLE = """
DO $$ DECLARE tables text;
BEGIN
  SELECT string_agg(format('%I.%I', schemaname, tablename), ', ') INTO tables
  FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version';
  IF tables IS NOT NULL THEN EXECUTE 'TRUNCATE TABLE ' || tables || ' RESTART IDENTITY CASCADE'; END IF;
END $$"""


def empty_database(url: str, directory: Path) -> str:
    """The migrated database at ``url`` with nothing in it, as a test starts on it (its URL).

    PostgreSQL: every table truncated in place. SQLite: a fresh copy of the migrated file.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        copy = directory / f"{uuid.uuid4().hex[:8]}-{Path(parsed.database or 'db').name}"
        shutil.copyfile(parsed.database or "", copy)
        return parsed.set(database=str(copy)).render_as_string(hide_password=False)
    _run_admin(_EMPTY_EVERY_TABLE, parsed.database)
    return url


@contextmanager
def scratch_database(name: str, directory: Path) -> Iterator[str]:
    """Create an empty database for one test run and drop it afterwards; yields its URL."""
    if database_backend() == "sqlite":
        yield f"sqlite+aiosqlite:///{directory / f'{name}.db'}"
        return
    database = f"tefu_test_{name}_{uuid.uuid4().hex[:8]}"
    _run_admin(f'CREATE DATABASE "{database}"')
    try:
        yield make_url(_pg_admin_url()).set(drivername="postgresql+asyncpg", database=database).render_as_string(
            hide_password=False
        )
    finally:
        _run_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@contextmanager
def migrated_database(name: str, directory: Path, alembic_ini: Path) -> Iterator[str]:
    with scratch_database(name, directory) as url:
        upgrade(alembic_ini, url)
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            # Fold the write-ahead log into the file, so that a copy of the file is the whole database.
            with sqlite3.connect(parsed.database or "") as connection:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        yield url


def mint_token(
    key: SigningKey,
    *,
    role: Role | str = Role.clerk,
    region: str = "370306",
    hospital: str | None = None,
    agency: str | None = None,
    subject: str | None = None,
    scopes: set[str] | None = None,
    audiences: tuple[str, ...] = SERVICE_AUDIENCES,
    ttl_seconds: int = 600,
    **kwargs: Any,
) -> str:
    role = Role(role)
    institution = (
        Institution("hospital", hospital) if hospital else Institution("agency", agency) if agency else None
    )
    token, _ = TokenIssuer(key).issue(
        subject=subject or f"test-{role.value}",
        role=role,
        scopes=scopes_for(role, scopes),
        region=region,
        audiences=audiences,
        institution=institution,
        ttl_seconds=ttl_seconds,
        **kwargs,
    )
    return token


def bearer(token: str) -> dict[str, str]:
    """The headers that present ``token``."""
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def app_client(app: FastAPI, base_url: str = "http://testserver") -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for ``app`` with its lifespan running (startup and shutdown hooks)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


def _not_a_partition(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Partitions (tefu_common.partitions) and their foreign keys are the database's, not the models'."""
    from tefu_common.partitions import made_by_partitioning

    return not made_by_partitioning(obj, name, type_, reflected)


def schema_drift(database_url: str, metadata: Any) -> list[Any]:
    """Differences between the migrated database and the models (empty when they agree)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    async def compare() -> list[Any]:
        from tefu_common.db import create_engine

        engine = create_engine(database_url)
        try:
            async with engine.connect() as connection:
                options = {"compare_type": True, "include_object": _not_a_partition}
                return await connection.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync, opts=options), metadata)
                )
        finally:
            await engine.dispose()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, compare()).result()


@dataclass(frozen=True)
class ServiceUnderTest:
    """What the shared fixtures need to know about one service."""

    directory: Path  # services/<name>, holding alembic.ini
    settings_class: type[ServiceSettings]
    create_app: Callable[..., FastAPI]

    @property
    def database_name(self) -> str:
        return self.directory.name.replace("-", "_")


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("keys")
    write_key_files(directory)
    return directory


@pytest.fixture(scope="session")
def signing_key(keys_dir: Path) -> SigningKey:
    return SigningKey.load(keys_dir / "issuer-ed25519.pem")


@pytest.fixture
def token(signing_key: SigningKey) -> Callable[..., str]:
    """``token(role="admin", region="370306", ...)`` signs a token with the test issuer key."""
    return functools.partial(mint_token, signing_key)


@pytest.fixture
def auth(signing_key: SigningKey) -> Callable[..., dict[str, str]]:
    """``auth(role="clerk", region="370306", ...)``: the headers of such a token."""
    return lambda **claims: bearer(mint_token(signing_key, **claims))


# Module scope, not session: one plugin fixture serves every service, and a session-wide cache
# would hand the first service's database to the next one.
@pytest.fixture(scope="module")
def migrated_database_url(tmp_path_factory: pytest.TempPathFactory, service_under_test: ServiceUnderTest) -> Iterator[str]:
    """The module's database, migrated once (tests get it emptied: ``database_url``)."""
    service = service_under_test
    with migrated_database(service.database_name, tmp_path_factory.mktemp("db"), service.directory / "alembic.ini") as url:
        yield url


@pytest.fixture
def database_url(migrated_database_url: str, tmp_path: Path) -> str:
    """A migrated database with nothing in it, this test's alone."""
    return empty_database(migrated_database_url, tmp_path)


@pytest.fixture
def settings(database_url: str, keys_dir: Path, service_under_test: ServiceUnderTest) -> ServiceSettings:
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "auth": {"jwks_file": keys_dir / "issuer-jwks.json"},
    }
    if "signing_key_file" in service_under_test.settings_class.model_fields:
        values["signing_key_file"] = keys_dir / "issuer-ed25519.pem"
    return service_under_test.settings_class(**values)


@pytest.fixture
async def client(settings: ServiceSettings, service_under_test: ServiceUnderTest) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(service_under_test.create_app(settings, configure_logs=False)) as http:
        yield http
