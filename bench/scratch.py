"""Migrated scratch databases for a benchmark run, dropped afterwards."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from tefu_common.testing import migrated_database

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def service_database(server_url: str, service: str) -> Iterator[str]:
    """Yield the URL of a fresh database of ``service`` on ``server_url`` (same helper the tests use)."""
    os.environ["TEFU_TEST_DB"] = "postgresql"
    os.environ["TEFU_TEST_PG_URL"] = server_url
    with migrated_database(f"bench_{service}", Path(tempfile.gettempdir()),
                           ROOT / "services" / service / "alembic.ini") as url:
        yield url


def registry_database(server_url: str) -> Iterator[str]:
    return service_database(server_url, "registry")


async def connect(url: str) -> asyncpg.Connection:
    """A plain asyncpg connection, for baselines that bypass the service."""
    parsed = make_url(url)
    return await asyncpg.connect(host=parsed.host, port=parsed.port or 5432, user=parsed.username,
                                 password=parsed.password, database=parsed.database)
