"""Bulk reconciliation of cards equals the one-family path, card by card, across real processes.

A register of a few hundred families with random histories (a child who died, or certified at a
level that does or does not qualify; parents who died; adopted children; later children of the
couple or of one parent; families across jurisdictions whose rules differ) is followed by two
medical-priority services side by side, each with its own database: one checks every family on
its own (``BULK_RECONCILE=false``), the other runs bulk passes (its first follow, then a pass
resumed after later events: deaths, later children, recoveries, level changes, hukou moves). Both
must end with the same cards (status, reason, note, privileges, holder details, validity), the
same card histories, the same members' standing and the same copy of who of the parents lives.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from tefu_common.db import Database
from tefu_common.testing import migrated_database, mint_token
from tefu_medical_priority.cards.models import Card, CardEvent
from tefu_medical_priority.liaisons.models import FamilyParents
from tefu_medical_priority.sync.follower import BULK_DONE, BULK_STARTED
from tefu_medical_priority.sync.models import DailyRun, FeedCursor, MemberStanding, PendingFamily

from .conftest import ROOT, ServiceProcess, Suite, medical_priority_env, running_suite, start_service
from .families import id_number

pytestmark = pytest.mark.processes

FAMILIES = 240
# Hubei (three privileges besides the green channel), Hunan, Jiading and Zhoucun: rules that differ.
REGIONS = ["420106", "430102", "310114", "370306"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "秀英建国明华丽军芳强敏静磊洋艳勇娟涛超霞平刚桂兰"


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def random_registration(rng: random.Random, serial: int) -> dict:
    region = rng.choice(REGIONS)
    mother_born = _day(rng, date(1940, 1, 1), date(1978, 12, 31))
    father_born = mother_born + timedelta(days=rng.randint(-1500, 1500))
    child_born = mother_born + timedelta(days=rng.randint(7300, 11000))
    body: dict = {"region_code": region, "hukou_type": rng.choice(["urban", "rural"]), "address": f"{region} 某街道 {serial} 号"}
    if rng.random() < 0.85:
        body["honor_certificate"] = {"number": f"GRZ-{serial}", "issued_on": "1990-01-05"}
    if rng.random() < 0.4:
        body["assistance_certificate"] = {"number": f"TFZ-{serial}", "issued_on": "2012-03-01"}
    roles = [r for r in ("mother", "father") if rng.random() < 0.93] or ["mother"]
    born = {"mother": mother_born, "father": father_born}
    # The ID number's 17th digit says the sex: even for the mother, odd for the father.
    for role in roles:
        body[role] = {"name": _name(rng), "id_number": id_number(region, born[role].isoformat(),
                                                                 serial % 100 * 10 + (0 if role == "mother" else 1))}
    child_id = id_number(region, child_born.isoformat(), serial % 100 * 10 + rng.choice([2, 3]))
    adopted = rng.random() < 0.08
    body["child"] = {"name": _name(rng), "id_number": child_id, "birth_date": child_born.isoformat(),
                     "adopted": adopted, **({"adopted_on": (child_born + timedelta(days=400)).isoformat()} if adopted else {})}
    events: list[dict] = []
    fate = rng.random()
    joined = child_born + timedelta(days=400 if adopted else 0)
    if fate < 0.5:
        events.append({"kind": "child_died", "occurred_on": _day(rng, joined + timedelta(days=30), date(2024, 6, 30)).isoformat()})
    elif fate < 0.9:
        level = rng.choice([1, 2, 3, 3, 4])
        category = rng.choice("1234567")
        events.append({"kind": "disability_certified", "occurred_on": _day(rng, joined + timedelta(days=30), date(2024, 6, 30)).isoformat(),
                       "category": category, "level": level, "certificate_no": f"{child_id}{category}{level}"})
    body["events"] = events
    return body


def later_events(rng: random.Random, family: dict, today: date) -> list[dict]:
    """Random things that happen to a registered family afterwards (each valid on its own)."""
    found: list[dict] = []
    parents = [m["role"] for m in family["members"] if m["role"] in ("mother", "father")]
    disabled = any(e["kind"] == "disability_certified" for e in family["_events"])
    for _ in range(rng.choice([1, 1, 2])):
        kind = rng.choice(["parent_died", "later_child_born", "hukou_moved", "recovered", "level_4"])
        on = _day(rng, date(2025, 1, 1), today - timedelta(days=2)).isoformat()
        if kind == "parent_died" and parents:
            found.append({"kind": "parent_died", "member": parents.pop(rng.randrange(len(parents))), "occurred_on": on})
        elif kind == "later_child_born":
            found.append({"kind": "later_child_born", "occurred_on": on,
                          **({"member": rng.choice(parents)} if parents and rng.random() < 0.4 else {})})
            break
        elif kind == "hukou_moved":
            found.append({"kind": "hukou_moved", "occurred_on": on,
                          "to_region": rng.choice([r for r in REGIONS if r != family["region_code"]])})
            break
        elif kind == "recovered" and disabled:
            found.append({"kind": "child_recovered", "occurred_on": on})
            break
        elif kind == "level_4" and disabled:
            found.append({"kind": "disability_level_changed", "occurred_on": on, "level": 4})
            break
    return found


# --- what each service holds ----------------------------------------------------------------------


async def _state(url: str) -> dict:
    database = Database(url)
    try:
        async with database.sessionmaker() as session:
            # Columns only: the encrypted name and ID number are compared through their blind indexes.
            cards = (await session.execute(select(
                Card.id, Card.member_id, Card.family_id, Card.holder_role, Card.region_code, Card.masked_name,
                Card.name_index, Card.id_number_index, Card.id_last4, Card.sex, Card.birth_year, Card.status,
                Card.status_reason, Card.status_note, Card.issued_on, Card.valid_until, Card.services, Card.privileges,
                Card.rule_citation, Card.issued_by, Card.card_no, Card.replaces_card_id).order_by(Card.member_id, Card.id))).all()
            events = (await session.scalars(select(CardEvent).order_by(CardEvent.card_id, CardEvent.id))).all()
            standing = (await session.scalars(select(MemberStanding))).all()
            parents = (await session.scalars(select(FamilyParents))).all()
    finally:
        await database.dispose()
    history: dict[int, list] = {}
    for event in events:
        history.setdefault(event.card_id, []).append((event.from_status, event.to_status, event.reason, event.note,
                                                      event.actor))
    by_member: dict[int, list] = {}
    for c in cards:
        by_member.setdefault(c.member_id, []).append((
            c.family_id, c.holder_role, c.region_code, c.masked_name, c.name_index, c.id_number_index, c.id_last4, c.sex, c.birth_year, c.status, c.status_reason, c.status_note, c.issued_on,
            c.valid_until, tuple(c.services), tuple(c.privileges), c.rule_citation, c.issued_by, c.card_no[:6],
            len(c.card_no), c.replaces_card_id is not None, tuple(history.get(c.id, []))))
    return {
        "cards": by_member,
        "standing": {s.member_id: (s.family_id, s.region_code, s.qualifies, s.since) for s in standing},
        "parents": {p.family_id: (p.mother_alive, p.father_alive, p.checked_on) for p in parents},
    }


def state(url: str) -> dict:
    return asyncio.run(_state(url))


async def _progress(url: str) -> tuple[int | None, int, datetime | None, datetime | None]:
    database = Database(url)
    try:
        async with database.sessionmaker() as session:
            cursor = await session.get(FeedCursor, "registry")
            pending = len((await session.scalars(select(PendingFamily.family_id))).all())
            started = await session.get(DailyRun, BULK_STARTED)
            done = await session.get(DailyRun, BULK_DONE)
    finally:
        await database.dispose()
    return (cursor.cursor if cursor else None, pending, started.at if started else None, done.at if done else None)


async def _resume_a_pass(url: str) -> None:
    """As if a bulk pass had been cut short: the service runs one again when it starts."""
    database = Database(url)
    try:
        async with database.sessionmaker() as session, session.begin():
            await session.execute(update(DailyRun).where(DailyRun.job == BULK_STARTED)
                                  .values(at=datetime.now(timezone.utc)))
    finally:
        await database.dispose()


def feed_head(registry_url: str, admin: dict) -> int:
    after = 0
    while True:
        page = httpx.get(f"{registry_url}/v1/changes", params={"after": after, "limit": 1000}, headers=admin).json()
        if not page["items"]:
            return after
        after = page["next_after"]


def settled(url: str, head: int, *, bulk_since: datetime | None = None, timeout: float = 300.0) -> None:
    """Wait until the service has read the feed to ``head`` and has nothing queued (and, for a bulk
    service, a pass that started after ``bulk_since`` has finished)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        cursor, pending, started, done = last = asyncio.run(_progress(url))
        passes = bulk_since is None or (done is not None and started is not None and done >= started and done >= bulk_since)
        if cursor == head and pending == 0 and passes:
            return
        time.sleep(0.5)
    raise AssertionError(f"not settled within {timeout:.0f} s: cursor, queued, pass started, pass done = {last}")


def start_follower(running: Suite, name: str, database_url: str, *, bulk: bool) -> ServiceProcess:
    registry_url, eligibility_url = running.url("registry"), running.url("eligibility")
    env = {**running.env_for("medical-priority", registry_url),
           **medical_priority_env(running, registry_url, eligibility_url, client_id=f"medical-priority-{name}"),
           "TEFU_MEDICAL_PRIORITY_DATABASE_URL": database_url,
           "TEFU_MEDICAL_PRIORITY_BULK_RECONCILE": "true" if bulk else "false",
           # The test's changes were all committed long before a pass starts.
           "TEFU_MEDICAL_PRIORITY_BULK_COVER_MARGIN_SECONDS": "0"}
    return start_service("medical-priority", env, running.log_dir)


def compare(one_by_one: dict, bulk: dict) -> None:
    assert one_by_one["cards"].keys() == bulk["cards"].keys()
    for member, cards in one_by_one["cards"].items():
        assert bulk["cards"][member] == cards, member
    assert bulk["standing"] == one_by_one["standing"]
    assert bulk["parents"] == one_by_one["parents"]


def test_bulk_passes_give_the_cards_of_the_one_family_path(tmp_path: Path) -> None:
    rng = random.Random(20261202)
    with running_suite(tmp_path) as running:
        running.services.pop("medical-priority").stop()  # two followers of their own, below
        registry_url = running.url("registry")
        admin = {"Authorization": "Bearer " + mint_token(running.signing_key, role="admin", region="000000")}
        families = []
        with httpx.Client(timeout=30) as http:
            for serial in range(1, FAMILIES + 1):
                body = random_registration(rng, serial)
                clerk = mint_token(running.signing_key, role="clerk", region=body["region_code"])
                response = http.post(f"{registry_url}/v1/families", json=body, headers={"Authorization": f"Bearer {clerk}"})
                assert response.status_code == 201, response.text
                families.append({**response.json(), "_events": body["events"]})
        with migrated_database("mp_single", tmp_path, ROOT / "services/medical-priority/alembic.ini") as single_url, \
                migrated_database("mp_bulk", tmp_path, ROOT / "services/medical-priority/alembic.ini") as bulk_url:
            single = start_follower(running, "single", single_url, bulk=False)
            bulk = start_follower(running, "bulk", bulk_url, bulk=True)
            try:
                head = feed_head(registry_url, admin)
                settled(single_url, head)
                settled(bulk_url, head, bulk_since=datetime(2000, 1, 1, tzinfo=timezone.utc))
                first = state(single_url)
                assert sum(1 for cards in first["cards"].values() for c in cards if c[9] == "active") > 50
                compare(first, state(bulk_url))
                assert "bulk pass (first_follow)" in bulk.log()

                # Later events, while the bulk service is down; it resumes a pass when it starts.
                bulk.stop()
                today = date.today()
                with httpx.Client(timeout=30) as http:
                    for family in rng.sample(families, FAMILIES // 2):
                        clerk = mint_token(running.signing_key, role="clerk", region=family["region_code"])
                        for event in later_events(rng, family, today):
                            response = http.post(f"{registry_url}/v1/families/{family['id']}/events", json=event,
                                                 headers={"Authorization": f"Bearer {clerk}"})
                            assert response.status_code == 201, (event, response.text)
                asyncio.run(_resume_a_pass(bulk_url))
                restarted = datetime.now(timezone.utc)
                bulk = start_follower(running, "bulk-again", bulk_url, bulk=True)
                head = feed_head(registry_url, admin)
                settled(single_url, head)
                settled(bulk_url, head, bulk_since=restarted)
                second = state(single_url)
                assert second != first  # the events changed cards
                revoked = {c[10] for cards in second["cards"].values() for c in cards if c[9] == "revoked"}
                assert {"death", "eligibility_lost"} <= revoked
                compare(second, state(bulk_url))
                assert "bulk pass (resumed)" in bulk.log()
            finally:
                single.stop()
                bulk.stop()
