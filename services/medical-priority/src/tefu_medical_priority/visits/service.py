"""Recording a visit: the card must have been valid then, and every waiver must apply here."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from tefu_common.calendar import CHINA
from tefu_common.db import savepoint
from tefu_common.errors import Conflict, FieldError, Invalid, NotFound, ValidationFailed
from tefu_common.i18n import Text
from tefu_medical_priority.cards.models import Card
from tefu_medical_priority.cards.numbers import parse_card_no
from tefu_medical_priority.cards.vocabulary import FEE_NAMES
from tefu_medical_priority.hospitals.directory import DeskHospital
from tefu_medical_priority.visits.models import Visit
from tefu_medical_priority.visits.repository import VisitRepository
from tefu_medical_priority.visits.schemas import VisitIn

CLOCK_SKEW = timedelta(minutes=5)


def request_hash(body: VisitIn) -> str:
    return hashlib.sha256(json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


async def _valid_at(visits: VisitRepository, card: Card, at: datetime) -> bool:
    """The card could be honoured at ``at``: within its dates, and active then by its history
    (a visit recorded after the card was revoked still counts if it happened before)."""
    if not card.issued_on <= at.astimezone(CHINA).date() <= card.valid_until:
        return False
    # No change before the visit: the card was issued later that same day (on the spot), active.
    return (await visits.status_at(card, at) or "active") == "active"


def _fees(codes: list[str] | tuple[str, ...]) -> str:
    return "、".join(FEE_NAMES.get(code, code) for code in codes) or "无"


def _waiver_errors(card: Card, hospital: DeskHospital, body: VisitIn) -> list[FieldError]:
    errors = []
    if "ambulance" in body.services and "free_ambulance" not in card.privileges:
        errors.append(Invalid("ambulance-not-entitled", "持卡人没有免费使用 120 救护车的待遇",
                              "the holder has no free 120 ambulance privilege").error("services"))
    for index, waiver in enumerate(body.waivers):
        if "fee_waiver" not in card.privileges:
            errors.append(Invalid("fee-waiver-not-entitled", "持卡人适用的政策不减免任何费用",
                                  "the holder's rules waive no fees").error(f"waivers.{index}.fee"))
        elif waiver.fee not in hospital.fee_waivers or not hospital.designated:
            waived = hospital.fee_waivers if hospital.designated else ()
            errors.append(Invalid("fee-not-waived-here",
                                  f"本院（{hospital.code}）不减免{FEE_NAMES.get(waiver.fee, waiver.fee)}；本院减免：{_fees(waived)}",
                                  f"{waiver.fee} is not waived at hospital {hospital.code} (it waives: "
                                  f"{', '.join(waived) or 'nothing'})").error(f"waivers.{index}.fee"))
        if waiver.amount <= 0:
            errors.append(Invalid("waiver-amount", "减免金额须大于 0", "must be more than 0")
                          .error(f"waivers.{index}.amount"))
    if len({w.fee for w in body.waivers}) != len(body.waivers):
        errors.append(Invalid("fee-waiver-repeated", "每项费用只能填一次", "each fee once").error("waivers"))
    return errors


async def record_visit(visits: VisitRepository, hospital: DeskHospital, body: VisitIn,
                       key: str | None) -> tuple[Visit, str, bool]:
    """The visit, its card's number, and True if it is new (False: already recorded under this key)."""
    digest = request_hash(body)
    card_no = parse_card_no(body.card_no, location="body")
    if key:
        existing = await visits.by_key(hospital.code, key)
        if existing is not None:
            if existing.request_hash != digest:
                raise Invalid("idempotency-key-reused", f"这个 Idempotency-Key 已用于另一条就诊记录（{existing.id}），内容不同",
                              f"already used for visit {existing.id} with other values"
                              ).at("Idempotency-Key", location="header")
            return existing, card_no, False
    card = await visits.card(card_no)
    if card is None:
        raise NotFound(Text("没有这张卡", "no such card"), code="card-not-found")
    now = datetime.now(timezone.utc)
    errors = []
    if body.visited_at > now + CLOCK_SKEW:
        errors.append(Invalid("visit-in-future", "就诊时间晚于现在", "is in the future").error("visited_at"))
    elif not await _valid_at(visits, card, body.visited_at):
        day = body.visited_at.astimezone(CHINA).date()
        raise Conflict(Text(f"卡 {card.card_no} 在 {day} 不是有效卡，这次就诊不属于绿色通道就诊",
                            f"card {card.card_no} was not valid on {day}; the visit is not a green-channel visit"),
                       code="card-not-valid-at-visit")
    errors += _waiver_errors(card, hospital, body)
    if errors:
        raise ValidationFailed(errors)
    visit = Visit(card_id=card.id, member_id=card.member_id, region_code=card.region_code, hospital_code=hospital.code,
                  department=body.department, services=[s.value for s in body.services],
                  waivers=[{"fee": w.fee.value, "amount": f"{w.amount:.2f}"} for w in body.waivers],
                  waived_total=sum((w.amount for w in body.waivers), Decimal("0.00")), visited_at=body.visited_at,
                  recorded_at=now, recorded_by=visits.caller.subject, idempotency_key=key, request_hash=digest)
    try:
        async with savepoint(visits.session):
            visits.session.add(visit)
            await visits.session.flush()
    except IntegrityError:
        # The same key raced in from a retry: the first one wins and both get its visit.
        existing = await visits.by_key(hospital.code, key) if key else None
        if existing is None:
            raise
        return existing, card_no, False
    return visit, card_no, True
