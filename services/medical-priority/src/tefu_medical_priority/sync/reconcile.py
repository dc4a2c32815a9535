"""Making a family's cards right: what the rules say today against the cards its members hold.

- A member the rules give the green channel today (eligibility, on the day itself) and who holds
  no live card gets one, unless a clerk revoked their last card by hand: then a clerk decides.
- A live card of a member who died is revoked (reason ``death``); of a member who no longer
  qualifies, revoked with the conditions that failed (``eligibility_lost``).
- A live card that stays has its privileges and holder details brought up to date.
- A family with holders or qualifying members has its parents' standing kept for the desk's
  guardianship rule (liaisons/mirror.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.masking import mask_name
from tefu_medical_priority.cards import service as cards
from tefu_medical_priority.cards.models import LIVE_STATES, Card
from tefu_medical_priority.cards.standing import FamilyStanding, Standing, holder_of, standing_of
from tefu_medical_priority.cards.vocabulary import RevokeReason
from tefu_medical_priority.liaisons.mirror import refresh_parents
from tefu_medical_priority.sync.models import MemberStanding
from tefu_medical_priority.upstreams import EligibilityClient, RegistryClient

log = logging.getLogger("tefu.cards.sync")
# A clerk's revocation for these reasons stands until a clerk issues again.
BY_HAND = {RevokeReason.clerk_decision.value, RevokeReason.lost.value}


@dataclass
class Outcome:
    issued: list[str] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    refreshed: int = 0


def _dead(person: dict[str, Any] | None, today: date) -> bool:
    return bool(person and person.get("death_date") and date.fromisoformat(person["death_date"]) <= today)


async def reconcile_family(session: AsyncSession, registry: RegistryClient, eligibility: EligibilityClient,
                           family_id: int, *, today: date, validity_years: int,
                           actor: str = cards.SYNC_ACTOR) -> Outcome:
    standing = standing_of(await eligibility.evaluation(family_id, today))
    query = select(Card).where(Card.family_id == family_id, Card.status.in_(LIVE_STATES)).order_by(Card.id)
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update()  # a clerk acting on the same cards waits for us, or we for them
    live = list((await session.scalars(query)).all())
    wanted = sorted(set(standing.qualifying) | {card.member_id for card in live})
    people = await registry.people(wanted) if wanted else {}
    outcome = Outcome()
    for card in live:
        person = people.get(card.member_id)
        if _dead(person, today):
            await cards.revoke(session, card, reason=RevokeReason.death, actor=actor,
                               note=f"持卡人于 {person['death_date']} 去世" if person else None)
            outcome.revoked.append(card.card_no)
        elif card.member_id not in standing.qualifying:
            await cards.revoke(session, card, reason=RevokeReason.eligibility_lost, actor=actor, note=standing.why_not)
            outcome.revoked.append(card.card_no)
        else:
            outcome.refreshed += _refresh(card, standing.qualifying[card.member_id], person)
    holders = {card.member_id for card in live if card.status in LIVE_STATES}
    for member_id, member_standing in standing.qualifying.items():
        person = people.get(member_id)
        if member_id in holders or person is None or _dead(person, today) or await _left_to_a_clerk(session, member_id):
            continue
        card = await cards.issue(session, holder=holder_of(person), standing=member_standing, actor=actor, today=today,
                                 validity_years=validity_years)
        outcome.issued.append(card.card_no)
    await _record_standing(session, family_id, standing, people, today)
    if wanted:
        await refresh_parents(session, registry, family_id, today=today)
    if outcome.issued or outcome.revoked:
        log.info("family %s: issued %s, revoked %s", family_id, outcome.issued, outcome.revoked)
    return outcome


def _refresh(card: Card, standing: Standing, person: dict[str, Any] | None) -> int:
    changes: dict[str, Any] = {"services": standing.services, "privileges": standing.privileges,
                               "rule_citation": standing.citation}
    if person is not None:
        if person["name"] != card.holder_name:  # a corrected name in the register
            changes.update(holder_name=person["name"], masked_name=mask_name(person["name"]),
                           name_index=cards.name_index(person["name"]))
        changes["region_code"] = person["region_code"]  # the family's hukou moved within the rules' reach
    changed = {k: v for k, v in changes.items() if getattr(card, k) != v}
    for key, value in changed.items():
        setattr(card, key, value)
    if changed:
        card.updated_at = datetime.now(timezone.utc)
    return 1 if changed else 0


async def _left_to_a_clerk(session: AsyncSession, member_id: int) -> bool:
    # Every card of the member (a handful at most), the last picked here: with ``ORDER BY id DESC
    # LIMIT 1`` the planner walked the whole table backwards by id for a member with no card yet,
    # seconds a fresh family once a register holds a million cards.
    cards = (await session.execute(select(Card.id, Card.status, Card.status_reason)
                                   .where(Card.member_id == member_id))).all()
    if not cards:
        return False
    last = max(cards, key=lambda card: card.id)
    return last.status == "revoked" and last.status_reason in BY_HAND


async def _record_standing(session: AsyncSession, family_id: int, standing: FamilyStanding,
                           people: dict[int, dict[str, Any]], today: date) -> None:
    """Who qualifies, for coverage reports: qualifying members in, the others of the family out."""
    now = datetime.now(timezone.utc)
    known = {row.member_id: row for row in (await session.scalars(
        select(MemberStanding).where(MemberStanding.family_id == family_id))).all()}
    for member_id in standing.qualifying:
        person = people.get(member_id)
        row = known.get(member_id)
        if row is None and person is not None:
            session.add(MemberStanding(member_id=member_id, family_id=family_id, region_code=person["region_code"],
                                       qualifies=True, since=today, checked_at=now))
        elif row is not None:
            if not row.qualifies:
                row.qualifies, row.since = True, today
            row.checked_at = now
    gone = [m for m, row in known.items() if row.qualifies and m not in standing.qualifying]
    if gone:
        await session.execute(update(MemberStanding).where(MemberStanding.member_id.in_(gone))
                              .values(qualifies=False, since=today, checked_at=now))
    await session.flush()
