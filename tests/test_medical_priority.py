"""Priority cards across real processes: the register changes, the cards follow, hospitals check them.

registry → (change feed) → medical-priority → (evaluation on the day) → eligibility → registry.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from tefu_common.testing import bearer, mint_token

from .families import id_number, register

pytestmark = pytest.mark.processes

REGION = "420102"  # 江岸区: no other test registers families here
HOSPITAL = "H420102001"
CHINA = timezone(timedelta(hours=8))


def family_body(serial: int, mother: str, father: str) -> dict:
    return {
        "region_code": REGION, "hukou_type": "urban", "address": "江岸区某街道 3 号",
        "mother": {"name": mother, "id_number": id_number(REGION, "1961-05-06", serial * 2)},
        "father": {"name": father, "id_number": id_number(REGION, "1959-11-12", serial * 2 + 1)},
        "child": {"name": "周小华", "birth_date": "1986-07-01"},
        "events": [{"kind": "child_died", "occurred_on": "2015-08-20"}],
    }


def wait_for(what: str, probe, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    """Poll ``probe`` until it returns something truthy; the cards must follow within a minute."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


def cards_of(url: str, clerk: dict, family_id: int, status: str | None = None) -> list[dict]:
    """Every card of the family (all pages)."""
    params = {"family_id": family_id, **({"status": status} if status else {})}
    found: list[dict] = []
    cursor = None
    while True:
        response = httpx.get(f"{url}/v1/cards", params={**params, **({"cursor": cursor} if cursor else {})}, headers=clerk)
        response.raise_for_status()
        page = response.json()
        found += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def put_hospital(url: str, signing_key, code: str = HOSPITAL, region: str = REGION) -> None:  # type: ignore[no-untyped-def]
    admin = bearer(mint_token(signing_key, role="admin", region="420000"))
    response = httpx.put(f"{url}/v1/hospitals/{code}", headers=admin, json={
        "name": "武汉市中心医院", "region_code": region, "level": "三级甲等", "designated": True,
        "fee_waivers": ["emergency_registration", "outpatient_registration", "outpatient_infusion"]})
    assert response.status_code == 201, response.text


def test_a_registered_family_gets_cards_and_a_death_revokes_one(suite):
    registry, cards_url = suite.url("registry"), suite.url("medical-priority")
    clerk_token = mint_token(suite.signing_key, role="clerk", region=REGION, subject="clerk-zhou")
    clerk = bearer(clerk_token)
    desk = bearer(mint_token(suite.signing_key, role="hospital", region=REGION, hospital=HOSPITAL, subject="his-001"))
    put_hospital(cards_url, suite.signing_key)

    family = register(registry, clerk_token, family_body(1, "周桂英", "吴志明"))
    members = {m["role"]: m["id"] for m in family["members"]}
    started = time.monotonic()
    held = wait_for("cards for both parents", lambda: len(cards_of(cards_url, clerk, family["id"], "active")) == 2
                    and cards_of(cards_url, clerk, family["id"], "active"))
    assert time.monotonic() - started < 60
    by_role = {card["holder"]["role"]: card for card in held}
    assert set(by_role) == {"mother", "father"}  # the child died: no card for the child
    assert by_role["mother"]["holder"]["member_id"] == members["mother"]
    assert by_role["mother"]["issued_by"] == "sync" and "鄂卫生计生通〔2016〕89号" in by_role["mother"]["rule_citation"]

    father_card = by_role["father"]["card_no"]
    check = httpx.get(f"{cards_url}/v1/cards/{father_card}", headers=desk).json()
    assert check["valid"] is True and check["holder"]["name"] == "吴*明" and check["holder"]["birth_year"] == 1959
    assert {p["code"] for p in check["privileges"]} == {"medical_priority", "fee_waiver", "free_ambulance",
                                                         "free_health_check"}
    assert [s["code"] for s in check["services"]] == ["registration", "payment", "lab", "pharmacy", "admission"]
    assert len(check["fee_waivers"]) == 3 and check["free_ambulance"] is True

    visit = httpx.post(f"{cards_url}/v1/visits", headers={**desk, "Idempotency-Key": "his-001-v1"}, json={
        "card_no": father_card, "department": "心内科门诊", "services": ["registration", "consultation", "lab"],
        "waivers": [{"fee": "outpatient_registration", "amount": "12.00"}],
        "visited_at": datetime.now(CHINA).replace(microsecond=0).isoformat()})
    assert visit.status_code == 201, visit.text

    died_on = datetime.now(CHINA).date().isoformat()
    event = httpx.post(f"{registry}/v1/families/{family['id']}/events", headers=clerk,
                       json={"kind": "parent_died", "member": "father", "occurred_on": died_on})
    assert event.status_code == 201, event.text
    started = time.monotonic()
    wait_for("the father's card revoked",
             lambda: httpx.get(f"{cards_url}/v1/cards/{father_card}", headers=desk).json()["valid"] is False)
    assert time.monotonic() - started < 60
    after = httpx.get(f"{cards_url}/v1/cards/{father_card}", headers=desk).json()
    assert after["status"] == "revoked" and after["reason"] == "no_longer_eligible"  # the desk is not told he died
    assert after["reason_detail"] == "此卡已失效，不能享受就医优先"
    record = httpx.get(f"{cards_url}/v1/cards/{father_card}/record", headers=clerk).json()
    assert record["status_reason"] == "death" and died_on in record["status_note"]
    mother = httpx.get(f"{cards_url}/v1/cards/{by_role['mother']['card_no']}", headers=desk).json()
    assert mother["valid"] is True

    # The registry logged the service's reads of the family under the service's own name.
    auditor = bearer(mint_token(suite.signing_key, role="auditor", region=REGION))
    log = httpx.get(f"{registry}/v1/access-log", params={"family_id": family["id"]}, headers=auditor).json()
    entries = log["items"]
    assert any(e["endpoint"] == "POST /v1/people" and e["subject"] == "client:medical-priority-service" for e in entries)


def test_a_later_birth_revokes_every_card_of_the_family_and_a_clerk_can_issue_by_hand(suite):
    registry, cards_url = suite.url("registry"), suite.url("medical-priority")
    clerk_token = mint_token(suite.signing_key, role="clerk", region=REGION, subject="clerk-zhou")
    clerk = bearer(clerk_token)
    family = register(registry, clerk_token, family_body(2, "郑秀兰", "孙国强"))
    wait_for("two cards", lambda: len(cards_of(cards_url, clerk, family["id"], "active")) == 2)

    mother_id = next(m["id"] for m in family["members"] if m["role"] == "mother")
    already = httpx.post(f"{cards_url}/v1/cards", headers=clerk, json={"family_id": family["id"], "member_id": mother_id})
    assert already.status_code == 409
    assert already.json()["code"] == "card-already-held"

    born = httpx.post(f"{registry}/v1/families/{family['id']}/events", headers=clerk,
                      json={"kind": "later_child_born", "occurred_on": "2020-01-15"})
    assert born.status_code == 201, born.text
    wait_for("both cards revoked", lambda: cards_of(cards_url, clerk, family["id"], "active") == [])
    revoked = cards_of(cards_url, clerk, family["id"], "revoked")
    assert {c["status_reason"] for c in revoked} == {"eligibility_lost"}
    assert all(c["status_note"] for c in revoked)  # the conditions that failed, in words

    refused = httpx.post(f"{cards_url}/v1/cards", headers=clerk, json={"family_id": family["id"], "member_id": mother_id})
    assert refused.status_code == 422
    assert refused.json()["field"] == "body.member_id" and refused.json()["code"] == "member-not-qualified"
    elsewhere = bearer(mint_token(suite.signing_key, role="clerk", region="370306"))
    hidden = httpx.post(f"{cards_url}/v1/cards", headers=elsewhere, json={"family_id": family["id"], "member_id": mother_id})
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "family-not-found"
