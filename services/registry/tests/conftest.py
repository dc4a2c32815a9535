"""Registry test fixtures: a migrated database (PostgreSQL or SQLite), issuer keys, the app."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tefu_common.auth import SigningKey, write_key_files
from tefu_common.testing import app_client, migrated_database, mint_token
from tefu_registry.main import create_app
from tefu_registry.settings import RegistrySettings

SERVICE_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("keys")
    write_key_files(directory)
    return directory


@pytest.fixture(scope="session")
def signing_key(keys_dir: Path) -> SigningKey:
    return SigningKey.load(keys_dir / "issuer-ed25519.pem")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with migrated_database("registry", tmp_path_factory.mktemp("db"), SERVICE_DIR / "alembic.ini") as url:
        yield url


@pytest.fixture
def settings(database_url: str, keys_dir: Path) -> RegistrySettings:
    return RegistrySettings(
        environment="test",
        database_url=database_url,
        signing_key_file=keys_dir / "issuer-ed25519.pem",
        auth={"jwks_file": keys_dir / "issuer-jwks.json"},
    )


@pytest.fixture
async def client(settings: RegistrySettings) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(create_app(settings, configure_logs=False)) as http:
        yield http


@pytest.fixture
def token(signing_key: SigningKey) -> Callable[..., str]:
    """``token(role="admin", region="370306", ...)`` signs a token with the test issuer key."""
    return functools.partial(mint_token, signing_key)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
