"""The bulk facts stream says exactly what the single-family facts say, on random event histories.

On PostgreSQL the stream's documents are computed by one SQL statement (facts_sql.py), the single
family's by ``facts_document`` in Python: two definitions that must agree. The events are written
straight to the table, so the histories include what the API refuses or rarely sees: events out
of date order, several on one day (the event id decides), a status begun twice, repeated
certifications and recoveries, level changes and recoveries with no certificate held, events
after the child's death, chains of corrections and voids, a correction of a correction.
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from tefu_common.db import Database
from tefu_registry.access_log.models import AccessLogEntry, AccessLogFamily
from tefu_registry.events.models import LifeEvent
from tefu_registry.families import facts

from tefu_common.testing import bearer

from .builders import family_body

# Kinds that decide something together; a family's history draws on two of these groups.
KIND_GROUPS = (
    ("low_income_began", "low_income_ended"), ("extreme_poverty_began", "extreme_poverty_ended"),
    ("disability_certified", "disability_level_changed", "child_recovered"), ("child_died", "disability_certified"),
    ("hukou_moved",), ("parent_died",), ("later_child_born", "later_child_adopted"), ("divorced", "child_recovered"),
    ("divorced", "remarried", "later_child_born"),
    ("child_died", "disability_certified", "disability_level_changed", "child_recovered"),
)
CHILD_KINDS = ("child_died", "disability_certified", "disability_level_changed", "child_recovered")
# Few distinct days, so that events often share one.
DAYS = [date(2008, 1, 1) + timedelta(days=700 * n) for n in range(6)]
AS_OF = ("2007-06-01", "2009-02-05", "2012-03-01", "2015-07-15", "2018-01-01", "2024-01-01")


def random_fact(rng: random.Random, kinds: list[str], day: date) -> dict:
    """Kind, day, member and details of a random event, in the shape a correction's replacement has."""
    kind = rng.choice(kinds)
    fact: dict = {"kind": kind, "occurred_on": day.isoformat()}
    if kind in ("parent_died", "remarried"):
        fact["member"] = rng.choice(["mother", "father"])
    elif kind in ("later_child_born", "later_child_adopted") and rng.random() < 0.5:
        fact["member"] = rng.choice(["mother", "father"])  # a child of one parent alone
    elif kind in CHILD_KINDS:
        fact["member"] = "child"
    if kind in ("disability_certified", "disability_level_changed"):
        fact["level"] = rng.randint(1, 4)
    if kind == "disability_certified":
        fact["category"] = "4"
    if kind == "hukou_moved":
        fact["to_region"] = rng.choice(["440605", "440606", "370306"])
    if kind == "later_child_born" and rng.random() < 0.7:
        fact["assisted_reproduction"] = rng.random() < 0.5
    return fact


async def write_history(database: Database, rng: random.Random, family_id: int) -> None:
    recorded: list[int] = []
    kinds = [kind for group in rng.sample(KIND_GROUPS, 2) for kind in group]
    day = rng.choice(DAYS)
    async with database.sessionmaker() as session:
        for _ in range(rng.randint(0, 12)):
            day = day if rng.random() < 0.4 else rng.choice(DAYS)  # often the day of the event before
            if recorded and rng.random() < 0.25:
                choice = rng.random()  # a replacement, or a void: a null replacement or none at all
                details = ({"replacement": random_fact(rng, kinds, day) | {"note": "re-read"}} if choice < 0.6
                           else {"replacement": None} if choice < 0.8 else {})
                target = rng.choice(recorded) if rng.random() < 0.95 else None  # no target: ignored
                event = LifeEvent(family_id=family_id, kind="correction", occurred_on=rng.choice(DAYS), details=details,
                                  corrects_event_id=target)
            else:
                fact = random_fact(rng, kinds, day)
                event = LifeEvent(family_id=family_id, kind=fact.pop("kind"),
                                  occurred_on=date.fromisoformat(fact.pop("occurred_on")),
                                  member_role=fact.pop("member", None), details=fact)
            event.recorded_at, event.recorded_by = datetime.now(timezone.utc), "test"
            session.add(event)
            await session.flush()
            recorded.append(event.id)
        await session.commit()


async def test_streamed_facts_equal_single_facts_on_random_histories(client, token, settings, monkeypatch):
    # Tiny chunks: the stream's chunk boundaries and chunks in flight are part of what is checked.
    monkeypatch.setattr(facts, "POSTGRESQL_CHUNK_SIZE", 4)
    monkeypatch.setattr(facts, "GENERIC_CHUNK_SIZE", 4)
    rng = random.Random(20261122)
    clerk = bearer(token(role="clerk", region="440600"))
    database = Database(settings.database_url)
    ids = []
    try:
        for n in range(60):
            mother = n % 5 != 1  # a family needs at least one parent
            body = family_body(rng.choice(["440604", "440605"]), mother=mother, father=n % 4 != 2 or not mother)
            if n % 3 == 0:
                body["child"]["adopted"], body["child"]["adopted_on"] = True, "1991-09-01"
            if n % 7 == 0:
                body["assistance_certificate"] = {"number": f"FZ-{n}", "issued_on": "2012-01-01"}
            response = await client.post("/v1/families", json=body, headers=clerk)
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
            await write_history(database, rng, ids[-1])

        for as_of in AS_OF:
            stream = await client.get("/v1/facts", params={"region": "440600", "as_of": as_of}, headers=clerk)
            assert stream.status_code == 200
            streamed = [json.loads(line) for line in stream.text.splitlines()]
            assert [d["family_id"] for d in streamed] == ids  # every family once, in id order
            for document in streamed:
                single = await client.get(f"/v1/families/{document['family_id']}/facts", params={"as_of": as_of},
                                          headers=clerk)
                assert document == single.json(), (as_of, document["family_id"])

        async with database.sessionmaker() as session:  # every family logged once per stream read
            logged = await session.scalar(select(func.count()).select_from(AccessLogFamily).join(
                AccessLogEntry, AccessLogEntry.id == AccessLogFamily.entry_id).where(
                AccessLogEntry.endpoint == "GET /v1/facts", AccessLogFamily.family_id.in_(ids)))
            entries = await session.scalar(select(func.count()).select_from(AccessLogEntry).where(
                AccessLogEntry.endpoint == "GET /v1/facts"))
        assert logged == len(ids) * len(AS_OF)
        assert entries == len(AS_OF) * 15  # one entry per chunk (60 families, 4 a chunk), however many it shows
    finally:
        await database.dispose()
