"""A payments process killed while building a batch leaves no half batch; the retry completes it."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from tefu_common.testing import bearer, mint_token

from .conftest import payments_credentials, start_service
from .families import id_number, register

pytestmark = pytest.mark.processes

REGION = "420107"  # 青山区: no other test registers families here
NAMES = (("周玉兰", "孙国庆"), ("吴淑珍", "郑建华"))


async def _one(url: str, query: str, *args) -> int:
    parsed = make_url(url)
    connection = await asyncpg.connect(host=parsed.host, port=parsed.port or 5432, user=parsed.username,
                                       database=parsed.database)
    try:
        return await connection.fetchval(query, *args)
    finally:
        await connection.close()


def test_a_build_killed_half_way_leaves_nothing_and_a_retry_completes(suite, tmp_path):
    if os.environ.get("TEFU_TEST_DB", "postgresql") != "postgresql":
        pytest.skip("shown on PostgreSQL, where the build's lock is visible from outside")
    registry = suite.url("registry")
    clerk_token = mint_token(suite.signing_key, role="clerk", region=REGION, subject="clerk-qs")
    for serial, (mother, father) in enumerate(NAMES, start=1):
        body = {"region_code": REGION, "hukou_type": "rural", "address": "青山区某村 1 号",
                "honor_certificate": {"number": f"GRZ-Q{serial}", "issued_on": "1992-01-05"},
                "mother": {"name": mother, "id_number": id_number(REGION, "1961-05-10", serial * 2 + 2),
                           "bank_account": {"bank": "中国农业银行青山支行", "account_number": f"62284800{serial:011d}",
                                            "holder": mother}},
                "father": {"name": father, "id_number": id_number(REGION, "1959-03-01", serial * 2 + 1)},
                "child": {"name": "孙小军", "birth_date": "1987-02-01"},
                "events": [{"kind": "child_died", "occurred_on": "2018-03-10"}]}
        register(registry, clerk_token, body)
    admin = bearer(mint_token(suite.signing_key, role="admin", region="420000"))
    assert httpx.post(f"{suite.url('payments')}/v1/agencies", headers=admin,
                      json={"id": "ABC-QS", "name": "中国农业银行青山支行", "region_code": "420000"}).status_code == 201

    env = suite.env_for("payments", registry)
    env.update(payments_credentials(suite, registry, "payments-crash-test"))
    env["TEFU_PAYMENTS_ELIGIBILITY_URL"] = suite.url("eligibility")
    payments = start_service("payments", env, tmp_path)
    payments_db = suite.database_urls["payments"]
    body = {"region_code": REGION, "benefits": ["special_assistance"], "period": "2020-06", "agency_id": "ABC-QS"}
    headers = {**bearer(clerk_token), "Idempotency-Key": "qs-2020-06"}
    locks = ("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
             "WHERE l.locktype = 'advisory' AND a.datname = $1")
    database = make_url(payments_db).database

    # Hold the eligibility service still, so the build waits inside its transaction; then kill payments.
    eligibility = suite.services["eligibility"].process
    os.kill(eligibility.pid, signal.SIGSTOP)
    try:
        attempt = threading.Thread(target=lambda: _ignore_errors(payments.url, body, headers), daemon=True)
        attempt.start()
        deadline = time.monotonic() + 20
        while asyncio.run(_one(payments_db, locks, database)) == 0:
            assert time.monotonic() < deadline, "the build never started"
            time.sleep(0.05)
        payments.process.kill()
        payments.process.wait(timeout=10)
    finally:
        os.kill(eligibility.pid, signal.SIGCONT)
    attempt.join(timeout=30)

    # PostgreSQL rolls the dead process's transaction back: no batch, no line, no lock.
    deadline = time.monotonic() + 20
    while asyncio.run(_one(payments_db, locks, database)):
        assert time.monotonic() < deadline, "the dead build still holds its lock"
        time.sleep(0.1)
    assert asyncio.run(_one(payments_db, "SELECT count(*) FROM batch WHERE idempotency_key = $1", "qs-2020-06")) == 0

    restarted = start_service("payments", env, tmp_path)
    try:
        retried = httpx.post(f"{restarted.url}/v1/batches", json=body, headers=headers, timeout=60)
        assert retried.status_code == 201, retried.text
        assert retried.json()["line_count"] == 2 * 13  # two mothers: June and twelve months of arrears
    finally:
        restarted.stop()


def _ignore_errors(url: str, body: dict, headers: dict) -> None:
    try:
        httpx.post(f"{url}/v1/batches", json=body, headers=headers, timeout=30)
    except httpx.HTTPError:
        pass  # the process dies under the request
