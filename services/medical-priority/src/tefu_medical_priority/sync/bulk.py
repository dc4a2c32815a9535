"""A bulk pass: every family of the register checked at once, with the outcome of ``reconcile_family``.

Used for the first follow of a register, the daily re-check and a large backlog, where checking
families one by one (an evaluation, an identity read and a facts read each) would take hours for
a province. The pass reads:

- eligibility's standing stream on the day (``POST /v1/standing``: who holds the green channel and
  the hospital privileges, and each family's parents, over the registry's facts stream), in
  batches of families;
- the registry's identities of the members it needs (``POST /v1/people``), one call a batch,
  several batches in flight;

and writes each batch in one transaction: cards issued with multi-row inserts
(``cards.service.issue_many``), deaths revoked, privileges and holder details brought up to date,
members' standing and the parents' copy (``liaisons.mirror.record_parents_many``) kept.

Card by card it decides as ``reconcile.reconcile_family`` does. What a bulk pass cannot decide
the same way it hands to the one-family path (queued, after fresh changes): a family with a live
card whose holder no longer qualifies (its revocation keeps the evaluation's reasons, which only
the one-family evaluation gives), a family gone from the register, a family whose cards changed
between the pass's two reads. A family checked on its own while the pass ran (a fresh change)
was checked against fresher facts: the pass leaves it as it is. The family locks are the
one-family path's, so the two never write one family at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import ARRAY, Integer, bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tefu_common.bulk import insert_rows
from tefu_common.db import among
from tefu_common.masking import mask_name
from tefu_medical_priority.cards import service as cards
from tefu_medical_priority.cards.models import LIVE_STATES, Card
from tefu_medical_priority.cards.standing import BENEFIT, FamilyStanding, Standing, holder_of
from tefu_medical_priority.cards.vocabulary import Privilege, RevokeReason
from tefu_medical_priority.liaisons.mirror import record_parents_many
from tefu_medical_priority.sync.models import FamilyCheck, MemberStanding
from tefu_medical_priority.sync.reconcile import BY_HAND
from tefu_medical_priority.upstreams import EligibilityClient, RegistryClient

log = logging.getLogger("tefu.cards.bulk")
PRIVILEGES = [p.value for p in Privilege]  # in the enum's order, as ``standing_of`` lists them
BENEFITS = [BENEFIT, *PRIVILEGES]
BATCH = 1000  # families a transaction (and as many advisory locks)
# A family checked on its own this long before a batch arrived may have been checked against
# facts fresher than the batch's (the stream reads ahead): the batch leaves it alone.
FRESHNESS_MARGIN = timedelta(seconds=60)


@dataclass
class BulkCounts:
    families: int = 0
    issued: int = 0
    revoked: int = 0
    refreshed: int = 0
    handed_off: int = 0
    left_alone: int = 0
    batches: int = 0
    # Where the time went, summed over the batches (they overlap: several are in flight).
    seconds_identities: float = 0.0
    seconds_writing: float = 0.0
    seconds_waiting_for_stream: float = 0.0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def standing_of_line(line: dict[str, Any]) -> FamilyStanding:
    """``cards.standing.standing_of`` for a line of the standing stream (a family still registered)."""
    benefits = line["benefits"]
    standing = FamilyStanding()
    holders = benefits.get(BENEFIT)
    if not holders:
        return standing
    # Who holds each privilege, looked up once per family (a line per family, a million a pass).
    privileged = [(code, {h["member_id"] for h in benefits[code]}) for code in PRIVILEGES if code in benefits]
    for holder in holders:
        member = holder["member_id"]
        if member is None:
            continue
        citation = holder["citation"]
        key = (tuple(holder.get("services", ())), tuple(code for code, members in privileged if member in members),
               citation["document"], citation.get("clause"))
        standing.qualifying[member] = _standing(key)
    return standing


@lru_cache(maxsize=4096)
def _standing(key: tuple[tuple[str, ...], tuple[str, ...], str, str | None]) -> Standing:
    """One (never changed) ``Standing`` for each combination of services, privileges and rule: a
    register has a handful, and a pass would otherwise build one for each of a million holders."""
    services, privileges, document, clause = key
    return Standing(services=list(services), privileges=list(privileges),
                    citation=f"{document} {clause or ''}".strip()[:200])


def _dead(person: dict[str, Any] | None, today: date) -> bool:
    return bool(person and person.get("death_date") and date.fromisoformat(person["death_date"]) <= today)


def _now() -> datetime:
    return datetime.now(timezone.utc)


class BulkPass:
    """One pass over the register of ``region`` on ``today``."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], registry: RegistryClient,
                 eligibility: EligibilityClient, *, region: str, today: date, validity_years: int, workers: int,
                 handoff: Any) -> None:
        self.sessionmaker = sessionmaker
        self.registry = registry
        self.eligibility = eligibility
        self.region = region
        self.today = today
        self.validity_years = validity_years
        self.workers = workers
        self.handoff = handoff  # async (session, family_ids) -> None: queue them for the one-family path
        self.counts = BulkCounts()
        self._failure: BaseException | None = None

    async def run(self) -> BulkCounts:
        """The pass; raises (after the batches in flight) if a batch or the stream failed: batches
        written stay written, and the next pass starts again from the beginning."""
        queue: asyncio.Queue[tuple[list[dict[str, Any]], datetime, int | None] | None] = asyncio.Queue(self.workers * 2)
        tasks = [asyncio.create_task(self._work(queue), name=f"card-bulk-{i}") for i in range(self.workers)]
        after: int | None = 0  # the families' ids come in order: live cards between them are of families gone
        try:
            async with self.eligibility.standing(self.region, self.today, BENEFITS, batch=BATCH) as batches:
                waited = time.perf_counter()
                async for lines in batches:
                    self.counts.seconds_waiting_for_stream += time.perf_counter() - waited
                    if self._failure is not None:
                        break
                    ids = [line["family_id"] for line in lines]
                    ordered = after is not None and ids == sorted(ids) and ids[0] > after
                    await queue.put((lines, _now(), after if ordered else None))
                    after = ids[-1] if ordered else None
                    waited = time.perf_counter()
        finally:
            for _ in tasks:
                await queue.put(None)
            await asyncio.gather(*tasks)
        if self._failure is not None:
            raise self._failure
        if after is not None:
            await self._gone_after(after)
        return self.counts

    async def _work(self, queue: asyncio.Queue[tuple[list[dict[str, Any]], datetime, int | None] | None]) -> None:
        while (item := await queue.get()) is not None:
            if self._failure is not None:
                continue  # drain: the pass has failed
            lines, arrived, after = item
            try:
                await self.batch(lines, arrived, after)
            except BaseException as exc:  # noqa: BLE001 - handed to run(), which raises it
                self._failure = exc

    async def _gone_after(self, after: int) -> None:
        """Live cards of families after the last one streamed: families gone from the register."""
        async with self.sessionmaker() as session, session.begin():
            gone = list((await session.scalars(select(Card.family_id).where(
                Card.family_id > after, Card.status.in_(LIVE_STATES)).distinct())).all())
            if gone:
                await self.handoff(session, gone)
                self.counts.handed_off += len(gone)

    async def batch(self, lines: list[dict[str, Any]], arrived: datetime, after: int | None) -> None:
        today = self.today
        ids = [line["family_id"] for line in lines]
        standings = {line["family_id"]: standing_of_line(line) for line in lines}
        parents = {line["family_id"]: line["parents"] for line in lines}
        # Whom to ask the registry about: qualifying members and holders of live cards (read again below).
        async with self.sessionmaker() as session:
            seen = {(f, m) for f, m in (await session.execute(
                select(Card.family_id, Card.member_id).where(_among(session, Card.family_id, ids),
                                                         Card.status.in_(LIVE_STATES)))).all()}
        members = sorted({m for s in standings.values() for m in s.qualifying} | {m for _, m in seen})
        clock = time.perf_counter()
        people = await self.registry.people(members) if members else {}
        self.counts.seconds_identities += time.perf_counter() - clock
        clock = time.perf_counter()
        async with self.sessionmaker() as session, session.begin():
            if session.bind.dialect.name == "postgresql":
                # The batch's commit does not wait for its WAL to reach the disk: a crash may lose the
                # last batches written, and then the pass, not yet marked done, runs again from the
                # beginning; marking it done commits synchronously, which flushes every batch before.
                await session.execute(text("SET LOCAL synchronous_commit = off"))
            locked = await _lock(session, ids)
            fresh = set((await session.scalars(select(FamilyCheck.family_id).where(
                _among(session, FamilyCheck.family_id, ids), FamilyCheck.checked_at >= arrived - FRESHNESS_MARGIN))).all())
            where = [Card.status.in_(LIVE_STATES)]
            where.append(_among(session, Card.family_id, ids) if after is None else (Card.family_id > after) & (Card.family_id <= ids[-1]))
            query = select(Card.id, Card.family_id, Card.member_id, Card.services, Card.privileges, Card.rule_citation,
                           Card.region_code, Card.name_index).where(*where)
            if session.bind.dialect.name == "postgresql":
                query = query.with_for_update()
            live: dict[int, list[Any]] = defaultdict(list)
            for row in (await session.execute(query)).all():
                live[row.family_id].append(row)
            in_batch = set(ids)
            handoff = sorted(f for f in live if f not in in_batch)  # gone from the register
            self.counts.left_alone += len((in_batch - locked) | (in_batch & fresh))
            work = [f for f in ids if f in locked and f not in fresh]
            deaths: list[tuple[int, str]] = []
            refresh_plain: list[dict[str, Any]] = []
            refresh_named: list[dict[str, Any]] = []
            candidates: dict[int, tuple[int, Standing]] = {}
            done: list[int] = []
            for family_id in work:
                standing = standings[family_id]
                cards_of = live.get(family_id, [])
                if {(family_id, c.member_id) for c in cards_of} - seen or any(
                        not _dead(people.get(c.member_id), today) and c.member_id not in standing.qualifying
                        for c in cards_of):
                    handoff.append(family_id)  # a card issued meanwhile, or a holder who no longer qualifies
                    continue
                done.append(family_id)
                holders = set()
                for card in cards_of:
                    person = people.get(card.member_id)
                    if _dead(person, today):
                        deaths.append((card.id, f"持卡人于 {person['death_date']} 去世"))  # type: ignore[index]
                        continue
                    holders.add(card.member_id)
                    _refresh(card, standing.qualifying[card.member_id], person, refresh_plain, refresh_named)
                for member_id, member_standing in standing.qualifying.items():
                    person = people.get(member_id)
                    if member_id in holders or person is None or _dead(person, today):
                        continue
                    candidates[member_id] = (family_id, member_standing)
            by_hand = await _left_to_a_clerk(session, list(candidates))
            wanted = [(holder_of(people[m]), s) for m, (_, s) in candidates.items() if m not in by_hand]
            for card_id, note in deaths:
                card = await session.get(Card, card_id)
                assert card is not None
                await cards.revoke(session, card, reason=RevokeReason.death, actor=cards.SYNC_ACTOR, note=note)
            now = _now()
            if refresh_plain:
                await session.execute(update(Card.__table__).where(Card.__table__.c.id == bindparam("card_id")).values(
                    services=bindparam("services"), privileges=bindparam("privileges"),
                    rule_citation=bindparam("rule_citation"), region_code=bindparam("region_code"), updated_at=now),
                    refresh_plain)
            if refresh_named:
                await session.execute(update(Card.__table__).where(Card.__table__.c.id == bindparam("card_id")).values(
                    services=bindparam("services"), privileges=bindparam("privileges"),
                    rule_citation=bindparam("rule_citation"), region_code=bindparam("region_code"),
                    holder_name=bindparam("holder_name"), masked_name=bindparam("masked_name"),
                    name_index=bindparam("name_index"), updated_at=now), refresh_named)
            issued = await cards.issue_many(session, wanted, actor=cards.SYNC_ACTOR, today=today,
                                            validity_years=self.validity_years)
            await _record_standing_many(session, {f: standings[f] for f in done}, people, today)
            await record_parents_many(session, {f: parents[f] for f in done
                                                if standings[f].qualifying or live.get(f)}, today=today)
            if handoff:
                await self.handoff(session, handoff)
        counts = self.counts
        counts.seconds_writing += time.perf_counter() - clock
        counts.families += len(lines)
        counts.batches += 1
        counts.issued += len(issued)
        counts.revoked += len(deaths)
        counts.refreshed += len(refresh_plain) + len(refresh_named)
        counts.handed_off += len(handoff)


def _refresh(card: Any, standing: Standing, person: dict[str, Any] | None, plain: list[dict[str, Any]],
             named: list[dict[str, Any]]) -> None:
    """``reconcile._refresh`` for a card read as a row: the update, if anything changed."""
    values: dict[str, Any] = {"card_id": card.id, "services": standing.services, "privileges": standing.privileges,
                              "rule_citation": standing.citation, "region_code": card.region_code}
    renamed = False
    if person is not None:
        values["region_code"] = person["region_code"]
        index = cards.name_index(person["name"])
        if index != card.name_index:  # a corrected name in the register
            renamed = True
            values.update(holder_name=person["name"], masked_name=mask_name(person["name"]), name_index=index)
    if not renamed and (values["services"], values["privileges"], values["rule_citation"], values["region_code"]) == (
            card.services, card.privileges, card.rule_citation, card.region_code):
        return
    (named if renamed else plain).append(values)


def _among(session: AsyncSession, column: Any, values: list[int]) -> Any:
    return among(column, values, session.bind.dialect.name)


async def _lock(session: AsyncSession, family_ids: list[int]) -> set[int]:
    """The families of the batch this transaction now holds (the one-family path's locks)."""
    if session.bind.dialect.name != "postgresql":
        return set(family_ids)  # SQLite has one writer at a time anyway
    statement = text("SELECT f FROM unnest(CAST(:ids AS integer[])) AS f WHERE pg_try_advisory_xact_lock(f)").bindparams(
        bindparam("ids", type_=ARRAY(Integer)))
    return set((await session.scalars(statement, {"ids": family_ids})).all())


async def _left_to_a_clerk(session: AsyncSession, member_ids: list[int]) -> set[int]:
    """``reconcile._left_to_a_clerk`` for many: members whose last card a clerk revoked by hand."""
    found: set[int] = set()
    for start in range(0, len(member_ids), 5000):
        chunk = member_ids[start:start + 5000]
        last = select(func.max(Card.id)).where(_among(session, Card.member_id, chunk)).group_by(Card.member_id)
        found |= set((await session.scalars(select(Card.member_id).where(
            Card.id.in_(last), Card.status == "revoked", Card.status_reason.in_(BY_HAND)))).all())
    return found


async def _record_standing_many(session: AsyncSession, standings: dict[int, FamilyStanding],
                                people: dict[int, dict[str, Any]], today: date) -> None:
    """``reconcile._record_standing`` for many families."""
    if not standings:
        return
    now = _now()
    known = {row.member_id: row for row in (await session.execute(
        select(MemberStanding.member_id, MemberStanding.qualifies).where(
            _among(session, MemberStanding.family_id, list(standings))))).all()}
    new, again, still, gone = [], [], [], []
    qualifying = set()
    for family_id, standing in standings.items():
        for member_id in standing.qualifying:
            qualifying.add(member_id)
            person = people.get(member_id)
            row = known.get(member_id)
            if row is None and person is not None:
                new.append({"member_id": member_id, "family_id": family_id, "region_code": person["region_code"],
                            "qualifies": True, "since": today, "checked_at": now})
            elif row is not None:
                (still if row.qualifies else again).append(member_id)
    gone = [m for m, row in known.items() if row.qualifies and m not in qualifying]
    table = MemberStanding.__table__
    await insert_rows(session, table, new)
    for members, values in ((still, {"checked_at": now}), (again, {"qualifies": True, "since": today, "checked_at": now}),
                            (gone, {"qualifies": False, "since": today, "checked_at": now})):
        for start in range(0, len(members), 5000):
            await session.execute(update(table).where(_among(session, table.c.member_id, members[start:start + 5000]))
                                  .values(**values))
