"""Console tests: the console app with the real service apps behind it, in process.

The registry, eligibility and payments apps run here with their own migrated databases and are
reached over ASGI (their own routes, rules and checks answer); the medical-priority service is
left out of reach (port 9, where nothing listens), so every page also shows how a service away
reads. Signing in at the issuer is its own test (test_sign_in.py); other tests start from a
session row holding a token signed by the test issuer key, as a finished sign-in leaves it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tefu_common.auth import Role, scopes_for
from tefu_common.http_client import StaticTokenAuth
from tefu_common.testing import ServiceUnderTest, app_client, empty_database, migrated_database
from tefu_console.auth.models import ConsoleSession
from tefu_console.auth.sessions import COOKIE
from tefu_console.main import create_app
from tefu_console.settings import ConsoleSettings
from tefu_eligibility.main import create_app as create_eligibility
from tefu_eligibility.settings import EligibilitySettings
from tefu_payments.main import create_app as create_payments
from tefu_payments.settings import PaymentsSettings
from tefu_registry.main import create_app as create_registry
from tefu_registry.settings import RegistrySettings

SERVICES = Path(__file__).resolve().parents[2]
CONSOLE_URL = "http://127.0.0.1:8000"
UNREACHABLE = "http://127.0.0.1:9"


@pytest.fixture(scope="session")
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest(Path(__file__).resolve().parents[1], ConsoleSettings, create_app)


@pytest.fixture
def settings(database_url: str, keys_dir: Path) -> ConsoleSettings:
    return ConsoleSettings(environment="test", database_url=database_url, registry_url=UNREACHABLE,
                           eligibility_url=UNREACHABLE, payments_url=UNREACHABLE,
                           medical_priority_url=UNREACHABLE, supervision_url=UNREACHABLE, issuer_url="http://issuer.example:8001",
                           public_url=CONSOLE_URL, http_retries=0, http_timeout_seconds=5)


def _database(name: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with migrated_database(name, tmp_path_factory.mktemp(name), SERVICES / name / "alembic.ini") as url:
        yield url


@pytest.fixture(scope="module")
def registry_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _database("registry", tmp_path_factory)


@pytest.fixture(scope="module")
def eligibility_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _database("eligibility", tmp_path_factory)


@pytest.fixture(scope="module")
def payments_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _database("payments", tmp_path_factory)


def _common(url: str, tmp_path: Path, keys_dir: Path) -> dict:
    return {"environment": "test", "database_url": empty_database(url, tmp_path),
            "auth": {"jwks_file": keys_dir / "issuer-jwks.json"}, "http_retries": 0}


@dataclass
class Suite:
    """The console and the service apps it calls, all in this process."""

    console: FastAPI
    registry: FastAPI
    eligibility: FastAPI
    payments: FastAPI
    http: httpx.AsyncClient  # the browser, talking to the console


@pytest.fixture
async def suite(settings, registry_database, eligibility_database, payments_database, tmp_path, keys_dir,
                token) -> AsyncIterator[Suite]:
    registry = create_registry(RegistrySettings(**_common(registry_database, tmp_path, keys_dir),
                                                signing_key_file=keys_dir / "issuer-ed25519.pem"),
                               configure_logs=False)
    eligibility = create_eligibility(EligibilitySettings(**_common(eligibility_database, tmp_path, keys_dir)),
                                     configure_logs=False)
    payments = create_payments(PaymentsSettings(**_common(payments_database, tmp_path, keys_dir)),
                               configure_logs=False)
    eligibility.state.upstreams["registry"].transport = httpx.ASGITransport(app=registry)
    payments.state.upstreams["registry"].transport = httpx.ASGITransport(app=registry)
    payments.state.upstreams["registry"].service_auth = StaticTokenAuth(token(role="service", region="000000",
                                                                             subject="payments"))
    payments.state.upstreams["eligibility"].transport = httpx.ASGITransport(app=eligibility)
    # The liaison duties: the registry reads them from eligibility.
    registry.state.upstreams["eligibility"].transport = httpx.ASGITransport(app=eligibility)
    console = create_app(settings, configure_logs=False)
    console.state.upstreams["registry"].transport = httpx.ASGITransport(app=registry)
    console.state.upstreams["eligibility"].transport = httpx.ASGITransport(app=eligibility)
    console.state.upstreams["payments"].transport = httpx.ASGITransport(app=payments)
    async with (registry.router.lifespan_context(registry), eligibility.router.lifespan_context(eligibility),
                payments.router.lifespan_context(payments), app_client(console, base_url=CONSOLE_URL) as http):
        yield Suite(console, registry, eligibility, payments, http)


async def sign_in(app: FastAPI, access_token: str, *, role: str = "clerk", region: str = "370306",
                  subject: str = "clerk-zhou", display_name: str = "周经办", last_seen: datetime | None = None) -> str:
    """A session as a finished sign-in leaves it; the cookie value that presents it."""
    cookie = secrets.token_urlsafe(32)
    now = datetime.now(timezone.utc)
    async with app.state.database.sessionmaker() as db:
        db.add(ConsoleSession(
            id=hashlib.sha256(cookie.encode()).hexdigest(),
            csrf_token=secrets.token_urlsafe(32), created_at=now, last_seen_at=last_seen or now, subject=subject,
            display_name=display_name, role=role, region=region, region_name="周村区",
            scopes=" ".join(sorted(s.value for s in scopes_for(Role(role)))), access_token=access_token,
            refresh_token=None, access_expires_at=now + timedelta(minutes=10)))
        await db.commit()
    return cookie


@pytest.fixture
def as_person(token):
    """``await as_person(app, http, role="clerk", region="370306")``: the browser signed in as such a person."""

    async def signed_in(app: FastAPI, http: httpx.AsyncClient, *, role: str = "clerk", region: str = "370306",
                        subject: str | None = None, **kwargs) -> str:
        subject = subject or f"{role}-{region}"
        cookie = await sign_in(app, token(role=role, region=region, subject=subject), role=role, region=region,
                               subject=subject, **kwargs)
        http.cookies.set(COOKIE, cookie)
        return cookie

    return signed_in


async def csrf_of(http: httpx.AsyncClient, path: str) -> str:
    """The CSRF token of the form on the page at ``path``, as a browser would submit it."""
    page = await http.get(path)
    assert page.status_code == 200, page.text
    marker = 'name="csrf_token" value="'
    start = page.text.index(marker) + len(marker)
    return page.text[start:page.text.index('"', start)]
