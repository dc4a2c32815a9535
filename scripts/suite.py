"""Run the whole Tefu suite in one terminal: migrate, start the five services and the console, stop them together.

    python scripts/suite.py run        # what `make run` does
    python scripts/suite.py migrate    # only migrate every service's database

Each service gets its own SQLite file under var/ unless its DATABASE_URL is set (for example to
PostgreSQL). An empty embedded register is seeded with synthetic demo families. Ctrl-C (or
SIGTERM) stops every service; if one service dies, the others are stopped too, so a half-running
suite never lingers.

The terminal shows the banner, then one short line per request a person (or a hospital, a bank)
makes and every warning; calls between the services and health checks stay out of it. Every line
also goes, as JSON, to var/log/<service>.log. ``LOG_LEVEL=WARNING make run`` shows warnings only.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Service:
    name: str
    directory: str
    module: str
    prefix: str
    port: int


SERVICES = (
    Service("registry", "registry", "tefu_registry.main", "TEFU_REGISTRY_", 8001),
    Service("eligibility", "eligibility", "tefu_eligibility.main", "TEFU_ELIGIBILITY_", 8002),
    Service("payments", "payments", "tefu_payments.main", "TEFU_PAYMENTS_", 8003),
    Service("medical-priority", "medical-priority", "tefu_medical_priority.main", "TEFU_MEDICAL_PRIORITY_", 8004),
    # Inspectors' figures, gathered from the four above with the inspector's token.
    Service("supervision", "supervision", "tefu_supervision.main", "TEFU_SUPERVISION_", 8005),
    # The clerks' console (工作台): web pages over the services' public APIs, started last.
    Service("console", "console", "tefu_console.main", "TEFU_CONSOLE_", 8000),
)
CONSOLE = SERVICES[-1]


def service_env(service: Service) -> dict[str, str]:
    env = dict(os.environ)
    port = env.setdefault(f"{service.prefix}PORT", str(service.port))
    env.setdefault(f"{service.prefix}HOST", "127.0.0.1")
    # Short lines in this terminal, full JSON in var/log/ (see tefu_common.logs).
    env.setdefault(f"{service.prefix}LOG_FORMAT", "console")
    env.setdefault(f"{service.prefix}LOG_DIR", str(ROOT / "var" / "log"))
    if env.get("LOG_LEVEL"):
        env.setdefault(f"{service.prefix}LOG_LEVEL", env["LOG_LEVEL"])
    registry_port = env.get("TEFU_REGISTRY_PORT", "8001")
    # Every service but eligibility reads its rules or duties (the registry: the liaison duties).
    env.setdefault(f"{service.prefix}ELIGIBILITY_URL", f"http://127.0.0.1:{env.get('TEFU_ELIGIBILITY_PORT', '8002')}")
    if service.name != "registry":
        # Revocations are learnt from the issuer; public keys come from the shared JWKS file.
        env.setdefault(f"{service.prefix}AUTH__REVOCATIONS_URL", f"http://127.0.0.1:{registry_port}/oauth/revocations")
        env.setdefault(f"{service.prefix}REGISTRY_URL", f"http://127.0.0.1:{registry_port}")
    if service.name == "supervision":
        # Supervision also reads payments and medical priority (the registry and eligibility are set above).
        for other in SERVICES:
            if other.name in ("payments", "medical-priority"):
                env.setdefault(f"{service.prefix}{other.name.replace('-', '_').upper()}_URL",
                               f"http://127.0.0.1:{env.get(f'{other.prefix}PORT', str(other.port))}")
    if service is CONSOLE:
        # The console calls every service with the signed-in person's token, and sends people to
        # the issuer's sign-in page; its own address is where the issuer sends them back.
        for other in SERVICES[1:-1]:
            env.setdefault(f"{service.prefix}{other.name.replace('-', '_').upper()}_URL",
                           f"http://127.0.0.1:{env.get(f'{other.prefix}PORT', str(other.port))}")
        env.setdefault(f"{service.prefix}ISSUER_URL", f"http://127.0.0.1:{registry_port}")
        env.setdefault(f"{service.prefix}PUBLIC_URL", f"http://127.0.0.1:{port}")
    if service.name == "registry":
        # The issuer sends a person back only to the console's own sign-in callback.
        console_port = env.get(f"{CONSOLE.prefix}PORT", str(CONSOLE.port))
        env.setdefault(f"{service.prefix}CONSOLE_REDIRECT_URIS", json.dumps([f"http://127.0.0.1:{console_port}/auth/callback"]))
    env[f"{service.prefix}PORT"] = port
    return env


def migrate() -> None:
    for service in SERVICES:
        print(f"migrating {service.name}", flush=True)
        subprocess.run(
            [sys.executable, "-m", "alembic", "-c", str(ROOT / "services" / service.directory / "alembic.ini"),
             "upgrade", "head"],
            check=True,
            cwd=ROOT,
            env=service_env(service),
        )


def seed_demo_families() -> None:
    """Fill an empty embedded register with synthetic families, so there is something to look at."""
    if os.environ.get("TEFU_REGISTRY_DATABASE_URL"):
        return  # a configured database is never filled with demo data
    families = os.environ.get("TEFU_DEMO_FAMILIES", "3000")
    if families == "0":
        return
    print(f"seeding the embedded register with {families} demo families (first run only; TEFU_DEMO_FAMILIES=0 skips)",
          flush=True)
    subprocess.run(
        [sys.executable, "-m", "tefu_registry", "seed-demo", "--families", families], check=True, cwd=ROOT,
        env=service_env(SERVICES[0]),
    )


DEMO_ACCOUNTS_FILE = ROOT / "var" / "demo-accounts.json"


def seed_demo_accounts() -> None:
    """Create the demo accounts in a new embedded register; their passwords go to var/ (mode 0600).

    The passwords are random, made once, and only a hash is in the register: the file is what
    lets every later banner show them. A configured database never gets demo accounts.
    """
    if os.environ.get("TEFU_REGISTRY_DATABASE_URL"):
        return
    write_demo_accounts(service_env(SERVICES[0]), DEMO_ACCOUNTS_FILE)


def write_demo_accounts(registry_env: dict[str, str], path: Path) -> None:
    """Create the demo accounts in the register ``registry_env`` names (when it has none) and keep
    what was created in ``path``, readable by its owner only."""
    answer = subprocess.run(
        [sys.executable, "-m", "tefu_registry", "demo-accounts", "--json"], check=True, cwd=ROOT,
        env=registry_env, capture_output=True, text=True,
    ).stdout.strip()
    created = json.loads(answer or "[]")
    if created:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(created, handle, ensure_ascii=False, indent=2)


def demo_account_lines() -> list[str]:
    """The banner's lines for the demo accounts (nothing if this register has none of them)."""
    if os.environ.get("TEFU_REGISTRY_DATABASE_URL") or not DEMO_ACCOUNTS_FILE.is_file():
        return []
    from tefu_registry.accounts.cli import format_demo_account

    rows = json.loads(DEMO_ACCOUNTS_FILE.read_text())
    return ["演示账户 (demo accounts; admin and approver: add the TOTP secret to an authenticator app):"] + [
        "  " + format_demo_account(row) for row in rows]


# Services with an OAuth client of their own (role service): payments reads bank details,
# medical priority follows the change feed and reads card holders' identities.
OWN_CLIENTS = {"payments": "payments-service", "medical-priority": "medical-priority-service"}


def service_credentials(service: Service, registry_port: str) -> dict[str, str]:
    """Register (or re-key) a service's own OAuth client.

    The secret lives only in the environment of the service's process of this run; every start
    replaces it, so nothing secret is written to disk.
    """
    if os.environ.get(f"{service.prefix}AUTH__CLIENT_SECRET"):
        return {}  # configured by the operator
    client_id = OWN_CLIENTS[service.name]
    admin = subprocess.run(
        [sys.executable, "-m", "tefu_registry", "token", "--role", "admin", "--region", "000000", "--sub", "suite",
         "--ttl", "120"], check=True, cwd=ROOT, env=service_env(SERVICES[0]), capture_output=True, text=True,
    ).stdout.strip()
    base = f"http://127.0.0.1:{registry_port}"
    headers = {"Authorization": f"Bearer {admin}", "Content-Type": "application/json"}
    body = json.dumps({"client_id": client_id, "role": "service", "region": "000000",
                       "description": f"the {service.name} service of this installation"}).encode()
    try:
        answer = _post(f"{base}/v1/oauth-clients", body, headers)
    except urllib.error.HTTPError as exc:
        if exc.code != 409:
            raise
        answer = _post(f"{base}/v1/oauth-clients/{client_id}/secret", b"", headers)
    return {f"{service.prefix}AUTH__TOKEN_URL": f"{base}/oauth/token", f"{service.prefix}AUTH__CLIENT_ID": client_id,
            f"{service.prefix}AUTH__CLIENT_SECRET": answer["client_secret"]}


def _post(url: str, body: bytes, headers: dict[str, str]) -> dict:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _healthy(port: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def banner(ports: dict[str, str]) -> None:
    print(f"\n工作台: http://127.0.0.1:{ports[CONSOLE.name]}", flush=True)
    print("Tefu is running. API docs (offline):", flush=True)
    for name, port in ports.items():
        if name == CONSOLE.name:
            continue  # pages for people, not an API
        print(f"  {name:<17} http://127.0.0.1:{port}/docs", flush=True)
    print(f"Logs in full: {ROOT / 'var' / 'log'}/<service>.log   (LOG_LEVEL=WARNING make run: warnings only)", flush=True)
    for line in demo_account_lines():
        print(line, flush=True)
    print("Get a token with: make token ROLE=clerk REGION=370306   (Ctrl-C stops everything)\n", flush=True)


def run() -> int:
    migrate()
    seed_demo_families()
    seed_demo_accounts()
    processes: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    ports = {s.name: service_env(s)[f"{s.prefix}PORT"] for s in SERVICES}
    deadline = time.monotonic() + 60
    for service in SERVICES:
        env = service_env(service)
        if service.name in OWN_CLIENTS and not stopping:
            # The registry (the token issuer) must answer before a service gets its own client.
            while not _healthy(ports["registry"]) and processes["registry"].poll() is None and time.monotonic() < deadline:
                time.sleep(0.3)
            try:
                env.update(service_credentials(service, ports["registry"]))
            except OSError as exc:
                print(f"could not register the {service.name} service's client: {exc}", file=sys.stderr, flush=True)
                stopping = True
                break
        processes[service.name] = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", f"{service.module}:create_app",
             "--host", env[f"{service.prefix}HOST"], "--port", env[f"{service.prefix}PORT"]],
            cwd=ROOT,
            env=env,
            # Own process group: the terminal's Ctrl-C reaches us, and we stop the children in order.
            start_new_session=True,
        )
    while not stopping and not all(_healthy(p) for p in ports.values()):
        if any(p.poll() is not None for p in processes.values()) or time.monotonic() > deadline:
            print("a service failed to start; stopping the suite", file=sys.stderr, flush=True)
            stopping = True
            break
        time.sleep(0.3)
    exit_code = 1 if stopping else 0
    if not stopping:
        banner(ports)
    while not stopping:
        dead = [name for name, p in processes.items() if p.poll() is not None]
        if dead:
            print(f"{', '.join(dead)} stopped unexpectedly; stopping the suite", file=sys.stderr, flush=True)
            exit_code = 1
            break
        time.sleep(0.5)
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes.values():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    print("Tefu stopped.", flush=True)
    return exit_code


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "run"
    if command == "migrate":
        migrate()
    elif command == "run":
        sys.exit(run())
    else:
        sys.exit(f"unknown command {command!r}; use run or migrate")
