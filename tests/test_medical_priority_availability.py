"""Hospital desks keep working while the registry and the eligibility service are stopped.

Its own registry, eligibility and medical-priority processes, so that stopping two of them
disturbs no other test.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from tefu_common.testing import bearer, migrated_database, mint_token

from .conftest import ROOT, SERVICES, Suite, medical_priority_env, start_service
from .families import id_number, register
from .test_medical_priority import cards_of, put_hospital, wait_for

pytestmark = pytest.mark.processes

REGION = "420103"  # 江汉区: no other test registers families here
HOSPITAL = "H420103009"
CHINA = timezone(timedelta(hours=8))


@pytest.fixture
def own_suite(suite, tmp_path):
    """Three fresh processes (registry, eligibility, medical priority) with databases of their own."""
    with ExitStack() as stack:
        urls = {name: stack.enter_context(migrated_database(f"avail_{name.replace('-', '_')}", tmp_path,
                                                            ROOT / "services" / SERVICES[name][0] / "alembic.ini"))
                for name in ("registry", "eligibility", "medical-priority")}
        running = Suite(suite.keys_dir, suite.signing_key, urls, tmp_path)
        try:
            running.services["registry"] = start_service("registry", running.env_for("registry", ""), tmp_path)
            registry = running.url("registry")
            running.services["eligibility"] = start_service("eligibility", running.env_for("eligibility", registry),
                                                            tmp_path)
            env = {**running.env_for("medical-priority", registry),
                   **medical_priority_env(running, registry, running.url("eligibility"), "mp-availability")}
            running.services["medical-priority"] = start_service("medical-priority", env, tmp_path)
            yield running
        finally:
            for service in running.services.values():
                service.stop()


def test_lookups_and_visits_go_on_with_registry_and_eligibility_stopped(own_suite):
    registry, cards_url = own_suite.url("registry"), own_suite.url("medical-priority")
    clerk_token = mint_token(own_suite.signing_key, role="clerk", region=REGION, subject="clerk-jh")
    clerk = bearer(clerk_token)
    put_hospital(cards_url, own_suite.signing_key, HOSPITAL, REGION)
    family = register(registry, clerk_token, {
        "region_code": REGION, "hukou_type": "rural", "address": "江汉区某村 9 号",
        "mother": {"name": "钱玉珍", "id_number": id_number(REGION, "1963-02-03", 8)},
        "father": {"name": "冯德胜", "id_number": id_number(REGION, "1961-10-10", 9)},
        "child": {"name": "冯小兵", "birth_date": "1989-03-03"},
        "events": [{"kind": "child_died", "occurred_on": "2017-06-01"}]})
    held = wait_for("cards", lambda: len(cards_of(cards_url, clerk, family["id"], "active")) == 2
                    and cards_of(cards_url, clerk, family["id"], "active"))
    card_no = held[0]["card_no"]
    qr = httpx.get(f"{cards_url}/v1/cards/{card_no}/ecard", headers=clerk).json()["qr"]

    own_suite.services["registry"].stop()
    own_suite.services["eligibility"].stop()
    assert own_suite.services["registry"].process.poll() is not None

    desk = bearer(mint_token(own_suite.signing_key, role="hospital", region=REGION, hospital=HOSPITAL, subject="his-9"))
    for _ in range(3):
        check = httpx.get(f"{cards_url}/v1/cards/{card_no}", headers=desk, timeout=5)
        assert check.status_code == 200
        assert check.json()["valid"] is True
        assert check.elapsed.total_seconds() < 1.0  # no wait on the stopped services
    verified = httpx.post(f"{cards_url}/v1/cards/verify", json={"qr": qr}, headers=desk, timeout=5)
    assert verified.status_code == 200
    assert verified.json()["valid"] is True
    visit = httpx.post(f"{cards_url}/v1/visits", headers={**desk, "Idempotency-Key": "jh-1"}, timeout=5, json={
        "card_no": card_no, "department": "急诊科", "services": ["registration", "ambulance"],
        "waivers": [{"fee": "emergency_registration", "amount": "8.00"}],
        "visited_at": datetime.now(CHINA).replace(microsecond=0).isoformat()})
    assert visit.status_code == 201, visit.text
    assert httpx.get(f"{cards_url}/readyz", timeout=5).status_code == 200
    # The follower waits for the registry to come back instead of failing the service.
    assert own_suite.services["medical-priority"].process.poll() is None
