"""The whole suite as real processes, for tests of flows that cross services.

Each service runs as its own uvicorn process on a free port, with its own database (PostgreSQL or
SQLite, as ``TEFU_TEST_DB`` says) migrated by its own Alembic tree, and talks to the others over
real HTTP, exactly as in production. The clerks' console starts with it for the tests that ask
for it (the ``console`` fixture), on a port chosen when the suite starts: the issuer sends people
back only to the console's own callback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tefu_common.auth import SigningKey, write_key_files
from tefu_common.crypto_mode import ENV as CRYPTO_ENV, crypto_mode
from tefu_common.testing import migrated_database, mint_token

ROOT = Path(__file__).resolve().parents[1]
SERVICES = {
    # name: (directory, module, env prefix)
    "registry": ("registry", "tefu_registry.main", "TEFU_REGISTRY_"),
    "eligibility": ("eligibility", "tefu_eligibility.main", "TEFU_ELIGIBILITY_"),
    "payments": ("payments", "tefu_payments.main", "TEFU_PAYMENTS_"),
    "medical-priority": ("medical-priority", "tefu_medical_priority.main", "TEFU_MEDICAL_PRIORITY_"),
    "supervision": ("supervision", "tefu_supervision.main", "TEFU_SUPERVISION_"),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServiceProcess:
    name: str
    port: int
    log_path: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


# The console is no API service (no /v1/whoami, no token verification): started only on demand.
CONSOLE = ("console", "tefu_console.main", "TEFU_CONSOLE_")


def start_service(name: str, env_overrides: dict[str, str], log_dir: Path, port: int | None = None) -> ServiceProcess:
    directory, module, prefix = CONSOLE if name == "console" else SERVICES[name]
    port = port or free_port()
    env = {
        **os.environ, **env_overrides, f"{prefix}PORT": str(port), f"{prefix}ENVIRONMENT": "test",
        "PYTHONUNBUFFERED": "1",  # log lines reach the file as they are written
        # The tests' own mode (`make test CRYPTO=sm`), said outright: what the suite signs or
        # hashes, the tests check with the same algorithms.
        CRYPTO_ENV: env_overrides.get(CRYPTO_ENV, crypto_mode().value),
    }
    log_path = log_dir / f"{name}-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", f"{module}:create_app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )
    service = ServiceProcess(name, port, log_path, process)
    wait_until_ready(service)
    return service


def wait_until_ready(service: ServiceProcess, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited:\n{service.log()[-3000:]}")
        try:
            if httpx.get(f"{service.url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    service.stop()
    raise RuntimeError(f"{service.name} not ready within {timeout} s:\n{service.log()[-3000:]}")


@dataclass
class Suite:
    keys_dir: Path
    signing_key: SigningKey
    database_urls: dict[str, str]
    log_dir: Path
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    console_port: int = field(default_factory=free_port)

    def url(self, name: str) -> str:
        return self.services[name].url

    def env_for(self, name: str, registry_url: str) -> dict[str, str]:
        prefix = SERVICES[name][2]
        env = {
            f"{prefix}DATABASE_URL": self.database_urls[name],
            f"{prefix}AUTH__JWKS_FILE": str(self.keys_dir / "issuer-jwks.json"),
        }
        if name == "registry":
            env[f"{prefix}SIGNING_KEY_FILE"] = str(self.keys_dir / "issuer-ed25519.pem")
            env[f"{prefix}CONSOLE_REDIRECT_URIS"] = f'["http://127.0.0.1:{self.console_port}/auth/callback"]'
        else:
            env[f"{prefix}AUTH__REVOCATIONS_URL"] = f"{registry_url}/oauth/revocations"
            env[f"{prefix}REGISTRY_URL"] = registry_url
            env[f"{prefix}AUTH__REVOCATIONS_REFRESH_SECONDS"] = "0.5"
        return env


def service_credentials(running: Suite, registry_url: str, client_id: str, service: str) -> dict[str, str]:
    """Register a service's own client (role service) and hand it its credentials."""
    admin = mint_token(running.signing_key, role="admin", region="000000")
    created = httpx.post(f"{registry_url}/v1/oauth-clients", headers={"Authorization": f"Bearer {admin}"},
                         json={"client_id": client_id, "role": "service", "region": "000000"})
    created.raise_for_status()
    prefix = SERVICES[service][2]
    return {f"{prefix}AUTH__TOKEN_URL": f"{registry_url}/oauth/token",
            f"{prefix}AUTH__CLIENT_ID": client_id,
            f"{prefix}AUTH__CLIENT_SECRET": created.json()["client_secret"]}


def payments_credentials(running: Suite, registry_url: str, client_id: str = "payments-service") -> dict[str, str]:
    return service_credentials(running, registry_url, client_id, "payments")


def medical_priority_env(running: Suite, registry_url: str, eligibility_url: str,
                         client_id: str = "medical-priority-service") -> dict[str, str]:
    """What the medical-priority service needs to follow the register: its client, eligibility, a fast poll."""
    return {**service_credentials(running, registry_url, client_id, "medical-priority"),
            "TEFU_MEDICAL_PRIORITY_ELIGIBILITY_URL": eligibility_url,
            "TEFU_MEDICAL_PRIORITY_ECARD_KEY_DIR": str(running.keys_dir),
            "TEFU_MEDICAL_PRIORITY_FOLLOW_INTERVAL_SECONDS": "0.5"}


@contextmanager
def running_suite(base: Path) -> Iterator[Suite]:
    """The five services on free ports with fresh databases under ``base``; stopped on exit."""
    keys_dir = base / "keys"
    write_key_files(keys_dir)
    with ExitStack() as stack:
        urls = {
            name: stack.enter_context(
                migrated_database(name.replace("-", "_"), base, ROOT / "services" / directory / "alembic.ini")
            )
            for name, (directory, _, _) in SERVICES.items()
        }
        running = Suite(keys_dir, SigningKey.load(keys_dir / "issuer-ed25519.pem"), urls, base)
        try:
            # The registry asks eligibility for the liaison duties, but starts first (it issues
            # the others' credentials): eligibility's port is chosen before either starts.
            eligibility_port = free_port()
            registry_env = {**running.env_for("registry", ""),
                            "TEFU_REGISTRY_ELIGIBILITY_URL": f"http://127.0.0.1:{eligibility_port}"}
            running.services["registry"] = start_service("registry", registry_env, base)
            registry_url = running.url("registry")
            for name in ("eligibility", "payments", "medical-priority", "supervision"):
                env = running.env_for(name, registry_url)
                if name == "payments":
                    env.update(payments_credentials(running, registry_url))
                    env["TEFU_PAYMENTS_ELIGIBILITY_URL"] = running.url("eligibility")
                if name == "medical-priority":
                    env.update(medical_priority_env(running, registry_url, running.url("eligibility")))
                if name == "supervision":
                    env.update({f"TEFU_SUPERVISION_{other.replace('-', '_').upper()}_URL": running.url(other)
                                for other in ("eligibility", "payments", "medical-priority")})
                running.services[name] = start_service(name, env, base,
                                                       port=eligibility_port if name == "eligibility" else None)
            yield running
        finally:
            for service in running.services.values():
                service.stop()


@contextmanager
def running_console(running: Suite) -> Iterator[str]:
    """The console over ``running`` (its URL), with its own migrated database; stopped on exit."""
    alembic_ini = ROOT / "services" / "console" / "alembic.ini"
    with migrated_database("console", running.log_dir, alembic_ini) as database_url:
        registry = running.url("registry")
        env = {
            "TEFU_CONSOLE_DATABASE_URL": database_url,
            "TEFU_CONSOLE_REGISTRY_URL": registry,
            "TEFU_CONSOLE_ELIGIBILITY_URL": running.url("eligibility"),
            "TEFU_CONSOLE_PAYMENTS_URL": running.url("payments"),
            "TEFU_CONSOLE_MEDICAL_PRIORITY_URL": running.url("medical-priority"),
            "TEFU_CONSOLE_SUPERVISION_URL": running.url("supervision"),
            # What the browser reaches: the same machine, as with `make run`.
            "TEFU_CONSOLE_ISSUER_URL": registry,
            "TEFU_CONSOLE_PUBLIC_URL": f"http://127.0.0.1:{running.console_port}",
        }
        process = start_service("console", env, running.log_dir, port=running.console_port)
        running.services["console"] = process
        try:
            yield process.url
        finally:
            process.stop()


@pytest.fixture(scope="session")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    with running_suite(tmp_path_factory.mktemp("suite")) as running:
        yield running


@pytest.fixture(scope="session")
def console(suite: Suite) -> Iterator[str]:
    """The console's URL: a fifth process over the suite's services, started for the tests that ask."""
    with running_console(suite) as url:
        yield url
