"""Test fixtures of the medical-priority service: a migrated database (PostgreSQL or SQLite), issuer keys, the app."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tefu_common.auth import SigningKey, write_key_files
from tefu_common.testing import app_client, migrated_database, mint_token
from tefu_medical_priority.main import create_app
from tefu_medical_priority.settings import MedicalPrioritySettings as Settings

SERVICE_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("keys")
    write_key_files(directory)
    return directory


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with migrated_database("medical_priority", tmp_path_factory.mktemp("db"), SERVICE_DIR / "alembic.ini") as url:
        yield url


@pytest.fixture
def settings(database_url: str, keys_dir: Path) -> Settings:
    return Settings(environment="test", database_url=database_url, auth={"jwks_file": keys_dir / "issuer-jwks.json"})


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(create_app(settings, configure_logs=False)) as http:
        yield http


@pytest.fixture
def token(keys_dir: Path) -> Callable[..., str]:
    return functools.partial(mint_token, SigningKey.load(keys_dir / "issuer-ed25519.pem"))
