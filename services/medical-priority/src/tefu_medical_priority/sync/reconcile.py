"""Making a family's cards right: what the rules say today against the cards its members hold.

- A member the rules give the green channel today (eligibility, on the day itself) and who holds
  no live card gets one, unless a clerk revoked their last card by hand: then a clerk decides.
- A live card of a member who died is revoked (reason ``death``); of a member who no longer
  qualifies, revoked with the conditions that failed (``eligibility_lost``).
- A live card that stays has its privileges and holder details brought up to date.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.errors import Conflict, ValidationFailed
from tefu_common.masking import mask_name
from tefu_medical_priority.cards import service as cards
from tefu_medical_priority.cards.models import LIVE_STATES, Card
from tefu_medical_priority.cards.vocabulary import Privilege, RevokeReason
from tefu_medical_priority.sync.models import MemberStanding
from tefu_medical_priority.sync.upstream import Upstream

log = logging.getLogger("tefu.cards.sync")
BENEFIT = "medical_priority"
# A clerk's revocation for these reasons stands until a clerk issues again.
BY_HAND = {RevokeReason.clerk_decision.value, RevokeReason.lost.value}


@dataclass
class FamilyStanding:
    qualifying: dict[int, cards.Standing] = field(default_factory=dict)  # by member id
    why_not: str = ""


@dataclass
class Outcome:
    issued: list[str] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    refreshed: int = 0


def standing_of(evaluation: dict[str, Any] | None) -> FamilyStanding:
    """Who holds the green channel on the day, with their services and other hospital privileges."""
    if evaluation is None:
        return FamilyStanding(why_not="the family is no longer in the register")
    benefits = {b["code"]: b for b in evaluation["benefits"]}
    priority = benefits.get(BENEFIT)
    if priority is None:
        return FamilyStanding(why_not=_why_not(evaluation))
    citation = priority["citation"]
    standing = FamilyStanding(why_not=_why_not(evaluation))
    for recipient in priority["recipient_details"]:
        member = recipient["member_id"]
        if member is None:
            continue
        privileges = [p.value for p in Privilege
                      if any(r["member_id"] == member for r in benefits.get(p.value, {}).get("recipient_details", []))]
        standing.qualifying[member] = cards.Standing(
            services=list(priority.get("services", [])), privileges=privileges,
            citation=f"{citation['document']} {citation.get('clause') or ''}".strip()[:200])
    return standing


def _why_not(evaluation: dict[str, Any]) -> str:
    reasons = [r["text"] for r in evaluation.get("special_family_reasons", []) if not r["met"]]
    reasons += [r["text"] for n in evaluation.get("not_eligible", []) if n["code"] == BENEFIT for r in n["reasons"]]
    return "；".join(dict.fromkeys(reasons))[:300] or "不再符合就医优先条件"


def holder_of(person: dict[str, Any]) -> cards.Holder:
    birth = person.get("birth_date")
    return cards.Holder(member_id=person["member_id"], family_id=person["family_id"], role=person["role"],
                        region_code=person["region_code"], name=person["name"], id_number=person.get("id_number"),
                        sex=person.get("sex"), birth_year=int(birth[:4]) if birth else None)


def _dead(person: dict[str, Any] | None, today: date) -> bool:
    return bool(person and person.get("death_date") and date.fromisoformat(person["death_date"]) <= today)


async def reconcile_family(session: AsyncSession, upstream: Upstream, family_id: int, *, today: date,
                           validity_years: int, actor: str = cards.SYNC_ACTOR) -> Outcome:
    standing = standing_of(await upstream.evaluation(family_id, today))
    query = select(Card).where(Card.family_id == family_id, Card.status.in_(LIVE_STATES)).order_by(Card.id)
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update()  # a clerk acting on the same cards waits for us, or we for them
    live = list((await session.scalars(query)).all())
    wanted = sorted(set(standing.qualifying) | {card.member_id for card in live})
    people = await upstream.people(wanted) if wanted else {}
    outcome = Outcome()
    for card in live:
        person = people.get(card.member_id)
        if _dead(person, today):
            await cards.revoke(session, card, reason=RevokeReason.death, actor=actor,
                               note=f"died on {person['death_date']}" if person else None)
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
    if outcome.issued or outcome.revoked:
        log.info("family %s: issued %s, revoked %s", family_id, outcome.issued, outcome.revoked)
    return outcome


def _refresh(card: Card, standing: cards.Standing, person: dict[str, Any] | None) -> int:
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
    last = await session.scalar(select(Card).where(Card.member_id == member_id).order_by(Card.id.desc()).limit(1))
    return last is not None and last.status == "revoked" and last.status_reason in BY_HAND


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


async def issue_by_hand(session: AsyncSession, upstream: Upstream, *, family_id: int, member_id: int, clerk: str,
                        clerk_auth: httpx.Auth, note: str | None, today: date, validity_years: int) -> Card:
    """A clerk issues a card: the member must qualify today (checked with the clerk's own token)."""
    standing = standing_of(await upstream.evaluation(family_id, today, auth=clerk_auth))
    if member_id not in standing.qualifying:
        raise ValidationFailed(f"member {member_id} of family {family_id} does not qualify for the green channel today",
                               errors=[{"field": "member_id", "message": standing.why_not, "type": "value_error"}])
    if await cards.live_card(session, member_id) is not None:
        raise Conflict(f"member {member_id} already holds a live card; reissue it instead")
    person = (await upstream.people([member_id])).get(member_id)
    if person is None or person["family_id"] != family_id:
        raise ValidationFailed("the registry does not know the member", errors=[
            {"field": "member_id", "message": f"no member {member_id}", "type": "value_error"}])
    return await cards.issue(session, holder=holder_of(person), standing=standing.qualifying[member_id], actor=clerk,
                             today=today, validity_years=validity_years, reason="issued_by_hand", note=note)
