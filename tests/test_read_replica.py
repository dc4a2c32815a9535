"""Desk lookups and reports served from a real streaming replica (``READ_DATABASE_URL``).

A primary and a standby cluster are made on this machine for the test (``initdb``, then
``pg_basebackup -R`` and a hot standby on another port), so the shared PostgreSQL is left as it is.
A medical-priority process writes to the primary and reads cards from the standby. With the
standby's replay paused, a card revoked on the primary still reads as valid at the desk — the desk
is reading the replica — and once replay resumes the desk sees the revocation. The standby refuses
writes, while the desk's own lookup log is written to the primary.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tefu_common.testing import bearer, mint_token

from .conftest import ROOT, free_port, start_service
from .families import id_number, register

pytestmark = pytest.mark.processes

BIN = Path("/usr/lib/postgresql/15/bin")
REGION = "420104"  # 江汉区: no other test or example registers families here
HOSPITAL = "H-JH-001"


def _as_postgres(*command: str, **kwargs) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    """PostgreSQL's tools refuse to run as root: run them as the ``postgres`` user when we are root."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], check=True, capture_output=True, text=True, **kwargs)


def _sql(port: int, statement: str, database: str = "postgres") -> str:
    done = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", database, "-Atc",
                           statement], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr.strip())
    return done.stdout.strip()


@pytest.fixture(scope="module")
def clusters() -> Iterator[tuple[int, int]]:
    if os.environ.get("TEFU_TEST_DB", "postgresql") != "postgresql":
        pytest.skip("a streaming replica is PostgreSQL's; the embedded default has none")
    if not (BIN / "initdb").exists() or (os.geteuid() == 0 and not _has_user("postgres")):
        pytest.skip(f"PostgreSQL's server tools are not at {BIN}")
    base = Path(tempfile.mkdtemp(prefix="tefu-replica-"))
    os.chmod(base, 0o755)
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    primary, standby = base / "primary", base / "standby"
    primary_port, standby_port = free_port(), free_port()
    try:
        _as_postgres(str(BIN / "initdb"), "-D", str(primary), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                     "--locale=C.UTF-8")
        with open(primary / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {primary_port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{base}'\n"
                       "wal_level = replica\nmax_wal_senders = 4\nfsync = off\n")
        with open(primary / "pg_hba.conf", "a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        _as_postgres(str(BIN / "pg_ctl"), "-D", str(primary), "-l", str(base / "primary.log"), "-w", "start")
        _as_postgres(str(BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres",
                     "-D", str(standby), "-R", "-X", "stream")
        with open(standby / "postgresql.auto.conf", "a") as conf:
            conf.write(f"\nport = {standby_port}\nhot_standby = on\n")
        _as_postgres(str(BIN / "pg_ctl"), "-D", str(standby), "-l", str(base / "standby.log"), "-w", "start")
        assert _sql(standby_port, "SELECT pg_is_in_recovery()") == "t"
        yield primary_port, standby_port
    finally:
        for directory in (standby, primary):
            if (directory / "postmaster.pid").exists():
                _as_postgres(str(BIN / "pg_ctl"), "-D", str(directory), "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _wait(what: str, check, timeout: float = 90):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


def test_the_desk_reads_cards_from_the_replica_and_writes_its_log_to_the_primary(suite, clusters):
    primary_port, standby_port = clusters
    _sql(primary_port, "CREATE DATABASE medical_priority")
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{primary_port}/medical_priority"
    replica_url = f"postgresql+asyncpg://postgres@127.0.0.1:{standby_port}/medical_priority"
    subprocess.run([sys.executable, "-m", "alembic", "-c", str(ROOT / "services/medical-priority/alembic.ini"), "upgrade", "head"],
                   check=True, cwd=ROOT, env={**os.environ, "TEFU_MEDICAL_PRIORITY_DATABASE_URL": url},
                   capture_output=True)
    registry, eligibility = suite.url("registry"), suite.url("eligibility")
    # Its own client, of this district only: it follows the register's changes of 江汉区 alone.
    admin = bearer(mint_token(suite.signing_key, role="admin", region="000000"))
    client = httpx.post(f"{registry}/v1/oauth-clients", headers=admin,
                        json={"client_id": "medical-priority-replica", "role": "service", "region": REGION})
    assert client.status_code == 201, client.text
    service = start_service("medical-priority", {
        "TEFU_MEDICAL_PRIORITY_DATABASE_URL": url, "TEFU_MEDICAL_PRIORITY_READ_DATABASE_URL": replica_url,
        "TEFU_MEDICAL_PRIORITY_AUTH__JWKS_FILE": str(suite.keys_dir / "issuer-jwks.json"),
        "TEFU_MEDICAL_PRIORITY_AUTH__REVOCATIONS_URL": f"{registry}/oauth/revocations",
        "TEFU_MEDICAL_PRIORITY_REGISTRY_URL": registry, "TEFU_MEDICAL_PRIORITY_ELIGIBILITY_URL": eligibility,
        "TEFU_MEDICAL_PRIORITY_AUTH__TOKEN_URL": f"{registry}/oauth/token",
        "TEFU_MEDICAL_PRIORITY_AUTH__CLIENT_ID": "medical-priority-replica",
        "TEFU_MEDICAL_PRIORITY_AUTH__CLIENT_SECRET": client.json()["client_secret"],
        "TEFU_MEDICAL_PRIORITY_ECARD_KEY_DIR": str(suite.keys_dir),
        "TEFU_MEDICAL_PRIORITY_FOLLOW_INTERVAL_SECONDS": "0.5"}, suite.log_dir)
    try:
        cards = service.url
        httpx.put(f"{cards}/v1/hospitals/{HOSPITAL}", headers=bearer(mint_token(suite.signing_key, role="admin",
                                                                                 region="420000")),
                  json={"name": "武汉市第一医院", "region_code": REGION, "level": "三级甲等", "designated": True,
                        "fee_waivers": ["outpatient_registration"]}).raise_for_status()
        clerk_token = mint_token(suite.signing_key, role="clerk", region=REGION, subject="clerk-jianghan")
        clerk = bearer(clerk_token)
        desk = bearer(mint_token(suite.signing_key, role="hospital", region=REGION, hospital=HOSPITAL))
        family = register(registry, clerk_token, {
            "region_code": REGION, "hukou_type": "urban",
            "mother": {"name": "程秀珍", "id_number": id_number(REGION, "1961-02-03", 2)},
            "father": {"name": "胡建国", "id_number": id_number(REGION, "1959-06-07", 1)},
            "child": {"name": "胡小兵", "birth_date": "1987-01-01"},
            "events": [{"kind": "child_died", "occurred_on": "2016-04-04"}]})
        card_no = _wait("the mother's card", lambda: next((c["card_no"] for c in httpx.get(
            f"{cards}/v1/cards", params={"family_id": family["id"], "status": "active"}, headers=clerk).json()["items"]
            if c["holder"]["role"] == "mother"), None))
        # Replicated within moments: the desk (reading the standby) finds it.
        assert _wait("the card at the desk", lambda: httpx.get(f"{cards}/v1/cards/{card_no}", headers=desk)
                     .status_code == 200)
        assert httpx.get(f"{cards}/v1/cards/{card_no}", headers=desk).json()["valid"] is True

        _sql(standby_port, "SELECT pg_wal_replay_pause()")
        revoked = httpx.post(f"{cards}/v1/cards/{card_no}/revoke", headers=clerk,
                             json={"reason": "clerk_decision", "note": "核实后注销"})
        assert revoked.status_code == 200, revoked.text
        assert _sql(primary_port, f"SELECT status FROM card WHERE card_no = '{card_no}'", "medical_priority") == "revoked"
        # The primary says revoked; the desk, served by the paused replica, still sees the card valid.
        assert httpx.get(f"{cards}/v1/cards/{card_no}", headers=desk).json()["valid"] is True
        _sql(standby_port, "SELECT pg_wal_replay_resume()")
        assert _wait("the revocation at the desk",
                     lambda: httpx.get(f"{cards}/v1/cards/{card_no}", headers=desk).json()["valid"] is False)

        # Reports read the replica too, and agree with the primary once it has caught up.
        report = httpx.get(f"{cards}/v1/reports/cards", params={"region": REGION, "month": time.strftime("%Y-%m")},
                           headers=bearer(mint_token(suite.signing_key, role="auditor", region=REGION)))
        assert report.status_code == 200, report.text
        # The standby refuses writes; the desk's lookups were logged on the primary all along.
        with pytest.raises(RuntimeError, match="read-only"):
            _sql(standby_port, "INSERT INTO daily_run (job, ran_on, at) VALUES ('x', now(), now())", "medical_priority")
        logged = int(_sql(primary_port, "SELECT count(*) FROM lookup_log", "medical_priority"))
        assert logged >= 4
        served = _sql(standby_port, "SELECT count(*) FROM pg_stat_activity WHERE datname = 'medical_priority' "
                                    "AND backend_type = 'client backend'")
        assert int(served) >= 1  # the service's read pool is connected to the standby
    finally:
        service.stop()
