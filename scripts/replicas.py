"""Run every service of the suite as several processes behind nginx, on PostgreSQL (`make run-replicas`).

    python scripts/replicas.py run [--replicas 2]

nginx (Debian's package, run as an ordinary process with everything under var/nginx/) listens on
the usual ports (8000–8005) and spreads each service's requests over its replicas (the usual port
+ 10000 + 100 × n: registry 18101, 18201, …; deploy/nginx/). The replicas of a service share one
PostgreSQL database: ``TEFU_<SERVICE>_DATABASE_URL`` if set, else ``tefu_<service>`` on the server
at ``TEFU_PG_URL`` (``postgresql://postgres@127.0.0.1:5432/postgres``), created if missing. A
register created here is seeded like `make run`'s (``TEFU_DEMO_FAMILIES``, 3000; 0 skips), and
its demo accounts are kept in var/replicas-demo-accounts.json.

One replica that stops is reported and left out by nginx; the others go on serving. Ctrl-C (or
SIGTERM) stops every process.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time

from sqlalchemy.engine import make_url

import suite

ROOT = suite.ROOT
PG_URL = os.environ.get("TEFU_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
ACCOUNTS_FILE = ROOT / "var" / "replicas-demo-accounts.json"


def _balancer():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("tefu_nginx_balancer", ROOT / "deploy" / "nginx" / "balancer.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = module  # type: ignore[union-attr]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


balancer = _balancer()


def database_name(service: suite.Service) -> str:
    return f"tefu_{service.name.replace('-', '_')}"


async def _create_missing(names: list[str]) -> list[str]:
    import asyncpg

    url = make_url(PG_URL)
    connection = await asyncpg.connect(host=url.host or "127.0.0.1", port=url.port or 5432,
                                       user=url.username or "postgres", password=url.password,
                                       database=url.database or "postgres", timeout=10)
    try:
        present = {row["datname"] for row in await connection.fetch("SELECT datname FROM pg_database")}
        created = [name for name in names if name not in present]
        for name in created:
            await connection.execute(f'CREATE DATABASE "{name}"')
        return created
    finally:
        await connection.close()


def prepare_databases() -> bool:
    """Point every service without a DATABASE_URL at its own PostgreSQL database; True if the
    registry's was created just now (and so may be seeded)."""
    wanted = {}
    for service in suite.SERVICES:
        variable = f"{service.prefix}DATABASE_URL"
        if not os.environ.get(variable):
            name = database_name(service)
            wanted[name] = variable
            os.environ[variable] = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    created = asyncio.run(_create_missing(list(wanted))) if wanted else []
    for name in created:
        print(f"created database {name}", flush=True)
    return database_name(suite.SERVICES[0]) in created


def seed(fresh_register: bool) -> None:
    """A register created here gets `make run`'s demo families and accounts."""
    if not fresh_register:
        return
    registry = suite.service_env(suite.SERVICES[0])
    families = os.environ.get("TEFU_DEMO_FAMILIES", "3000")
    if families != "0":
        print(f"seeding the new register with {families} demo families (TEFU_DEMO_FAMILIES=0 skips)", flush=True)
        subprocess.run([sys.executable, "-m", "tefu_registry", "seed-demo", "--families", families], check=True,
                       cwd=ROOT, env=registry)
    suite.write_demo_accounts(registry, ACCOUNTS_FILE)


def account_lines() -> list[str]:
    if not ACCOUNTS_FILE.is_file():
        return []
    from tefu_registry.accounts.cli import format_demo_account

    return ["演示账户 (demo accounts):"] + ["  " + format_demo_account(row)
                                          for row in json.loads(ACCOUNTS_FILE.read_text())]


def shared_keys() -> None:
    """The manifest and e-card keys, made once before any replica starts: every replica signs with the same."""
    from tefu_common.auth.keys import write_key_files

    for name in ("payments-file", "ecard"):
        write_key_files(ROOT / "var" / "keys", name=name)  # kept as it is if it exists


def run(count: int) -> int:
    # The usual ports, or TEFU_<SERVICE>_PORT: where nginx listens, and where the services call each other.
    upstreams = balancer.layout(count, {s.name: int(suite.service_env(s)[f"{s.prefix}PORT"]) for s in suite.SERVICES})
    front = {u.name: u for u in upstreams}
    fresh = prepare_databases()
    suite.migrate()
    seed(fresh)
    shared_keys()
    nginx = balancer.Nginx(upstreams, ROOT / "var" / "nginx")
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    nginx.start(new_session=True)
    print(f"nginx listening on {', '.join(str(u.port) for u in upstreams)} (var/nginx/access.log)", flush=True)
    replicas: dict[tuple[str, int], subprocess.Popen[bytes]] = {}
    reported: set[tuple[str, int]] = set()
    exit_code = 0
    try:
        for service in suite.SERVICES:
            if stopping:
                break
            env = suite.service_env(service)  # the other services at their usual ports: nginx
            if service.name == "registry":
                env.setdefault("TEFU_REGISTRY_TRUSTED_PROXIES", '["127.0.0.1"]')  # nginx's X-Forwarded-For
            if service.name in suite.OWN_CLIENTS:
                if not _wait_healthy(str(front["registry"].port), 60):
                    print("the registry did not answer through nginx; stopping", file=sys.stderr, flush=True)
                    exit_code = 1
                    break
                env.update(suite.service_credentials(service, str(front["registry"].port)))
            for n, port in enumerate(front[service.name].replicas, start=1):
                replica_env = {**env, f"{service.prefix}PORT": str(port),
                               f"{service.prefix}LOG_DIR": str(ROOT / "var" / "log" / f"replica-{n}")}
                replicas[(service.name, n)] = subprocess.Popen(
                    [sys.executable, "-m", "uvicorn", "--factory", f"{service.module}:create_app",
                     "--host", "127.0.0.1", "--port", str(port)],
                    cwd=ROOT, env=replica_env, start_new_session=True)
        deadline = time.monotonic() + 90
        while not stopping and exit_code == 0 and not all(
                suite._healthy(str(port)) for u in upstreams for port in u.replicas):
            if all(p.poll() is not None for key, p in replicas.items() if key[0] == "registry") \
                    or time.monotonic() > deadline:
                print("the replicas did not start; stopping", file=sys.stderr, flush=True)
                exit_code = 1
                break
            time.sleep(0.3)
        if not stopping and exit_code == 0:
            suite.banner({u.name: str(u.port) for u in upstreams})
            print(f"{count} replicas of each service behind nginx; their logs in var/log/replica-<n>/", flush=True)
            for line in account_lines():
                print(line, flush=True)
        while not stopping and exit_code == 0:
            for key, process in replicas.items():
                if process.poll() is not None and key not in reported:
                    reported.add(key)
                    print(f"{key[0]} replica {key[1]} stopped (exit {process.returncode}); nginx sends its "
                          f"requests to the others", file=sys.stderr, flush=True)
            for upstream in upstreams:
                if all(replicas[(upstream.name, n)].poll() is not None for n in range(1, count + 1)):
                    print(f"every replica of {upstream.name} stopped; stopping", file=sys.stderr, flush=True)
                    exit_code = 1
            if nginx.process is not None and nginx.process.poll() is not None:
                print("nginx stopped; stopping", file=sys.stderr, flush=True)
                exit_code = 1
            time.sleep(0.5)
    finally:
        for process in replicas.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in replicas.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        nginx.stop()
        print("Tefu stopped.", flush=True)
    return exit_code


def _wait_healthy(port: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if suite._healthy(port):
            return True
        time.sleep(0.3)
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--replicas", type=int, default=2, help="processes per service (2)")
    args = parser.parse_args()
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")
    if balancer.nginx_binary() is None:
        sys.exit("nginx is not installed: apt-get install nginx (Debian's package; it runs here as your user)")
    return run(args.replicas)


if __name__ == "__main__":
    sys.exit(main())
