"""Recording a visit: the card must have been valid then, and every waiver must apply here."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.auth import Principal, Role
from tefu_common.calendar import CHINA
from tefu_common.errors import Conflict, NotFound, ValidationFailed
from tefu_common.regions import region_prefix
from tefu_medical_priority.cards.models import Card, CardEvent
from tefu_medical_priority.cards.service import parse_card_no
from tefu_medical_priority.hospitals.service import DeskHospital
from tefu_medical_priority.visits.models import Visit
from tefu_medical_priority.visits.schemas import VisitIn

CLOCK_SKEW = timedelta(minutes=5)


def request_hash(body: VisitIn) -> str:
    return hashlib.sha256(json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


def _invalid(errors: list[tuple[str, str]]) -> ValidationFailed:
    return ValidationFailed("the visit cannot be recorded: " + "; ".join(f"{f}: {m}" for f, m in errors),
                            errors=[{"field": f, "message": m, "type": "value_error"} for f, m in errors])


async def _valid_at(session: AsyncSession, card: Card, at: datetime) -> bool:
    """The card could be honoured at ``at``: within its dates, and active then by its history
    (a visit recorded after the card was revoked still counts if it happened before)."""
    if not card.issued_on <= at.astimezone(CHINA).date() <= card.valid_until:
        return False
    status_then = await session.scalar(select(CardEvent.to_status).where(CardEvent.card_id == card.id, CardEvent.at <= at)
                                       .order_by(CardEvent.at.desc(), CardEvent.id.desc()).limit(1))
    # No change before the visit: the card was issued later that same day (on the spot), active.
    return (status_then or "active") == "active"


async def record_visit(session: AsyncSession, caller: Principal, hospital: DeskHospital, body: VisitIn,
                       key: str | None) -> tuple[Visit, str, bool]:
    """The visit, its card's number, and True if it is new (False: already recorded under this key)."""
    digest = request_hash(body)
    card_no = parse_card_no(body.card_no, "card_no")
    if key:
        existing = await session.scalar(select(Visit).where(Visit.hospital_code == hospital.code,
                                                            Visit.idempotency_key == key))
        if existing is not None:
            if existing.request_hash != digest:
                raise ValidationFailed("this Idempotency-Key was used for another visit", errors=[
                    {"field": "Idempotency-Key", "message": f"already used for visit {existing.id} with other values",
                     "type": "value_error"}])
            return existing, card_no, False
    card = await session.scalar(select(Card).where(Card.card_no == card_no))
    if card is None:
        raise NotFound(f"no card {body.card_no}")
    now = datetime.now(timezone.utc)
    errors: list[tuple[str, str]] = []
    if body.visited_at > now + CLOCK_SKEW:
        errors.append(("visited_at", "is in the future"))
    elif not await _valid_at(session, card, body.visited_at):
        raise Conflict(f"card {card.card_no} was not valid on {body.visited_at.astimezone(CHINA).date()} "
                       f"(it is {card.status}); the visit is not a green-channel visit")
    if "ambulance" in body.services and "free_ambulance" not in card.privileges:
        errors.append(("services", "the holder has no free 120 ambulance privilege"))
    for index, waiver in enumerate(body.waivers):
        if "fee_waiver" not in card.privileges:
            errors.append((f"waivers[{index}].fee", "the holder's rules waive no fees"))
        elif waiver.fee not in hospital.fee_waivers or not hospital.designated:
            errors.append((f"waivers[{index}].fee", f"{waiver.fee} is not waived at hospital {hospital.code} "
                                                    f"(it waives: {', '.join(hospital.fee_waivers) or 'nothing'})"))
        if waiver.amount <= 0:
            errors.append((f"waivers[{index}].amount", "must be more than 0"))
    if len({w.fee for w in body.waivers}) != len(body.waivers):
        errors.append(("waivers", "each fee once"))
    if errors:
        raise _invalid(errors)
    visit = Visit(card_id=card.id, member_id=card.member_id, region_code=card.region_code, hospital_code=hospital.code,
                  department=body.department, services=[s.value for s in body.services],
                  waivers=[{"fee": w.fee.value, "amount": f"{w.amount:.2f}"} for w in body.waivers],
                  waived_total=sum((w.amount for w in body.waivers), Decimal("0.00")), visited_at=body.visited_at,
                  recorded_at=now, recorded_by=caller.subject, idempotency_key=key, request_hash=digest)
    try:
        async with session.begin_nested():
            session.add(visit)
            await session.flush()
    except IntegrityError:
        # The same key raced in from a retry: the first one wins and both get its visit.
        existing = await session.scalar(select(Visit).where(Visit.hospital_code == hospital.code,
                                                            Visit.idempotency_key == key))
        if existing is None:
            raise
        return existing, card_no, False
    return visit, card_no, True


async def list_visits(session: AsyncSession, caller: Principal, *, card_no: str | None, hospital: str | None,
                      since: datetime | None, until: datetime | None, after: int, limit: int) -> list[tuple[Visit, str]]:
    query = (select(Visit, Card.card_no).join(Card, Card.id == Visit.card_id).where(Visit.id > after)
             .order_by(Visit.id).limit(limit))
    if caller.role is Role.hospital:
        query = query.where(Visit.hospital_code == (caller.institution.id if caller.institution else ""))
    else:
        prefix = region_prefix(caller.region)
        if prefix:
            query = query.where(Visit.region_code.startswith(prefix, autoescape=True))
    if card_no:
        query = query.where(Card.card_no == parse_card_no(card_no))
    if hospital:
        query = query.where(Visit.hospital_code == hospital)
    if since:
        query = query.where(Visit.visited_at >= since)
    if until:
        query = query.where(Visit.visited_at < until)
    return [(visit, number) for visit, number in (await session.execute(query)).all()]
