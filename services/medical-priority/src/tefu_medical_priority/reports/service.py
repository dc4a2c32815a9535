"""What inspectors count (Hubei 附件2, 附件3): cards handed out, coverage, holders actually served.

Months are calendar months in China; a card's status at the end of a month is read from its
history, so a past month's report does not change when cards change later. Coverage (who
qualifies against who holds an active card) is as the follower last checked each family: now.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.calendar import CHINA, today
from tefu_common.regions import region_table
from tefu_common.scoping import region_clause
from tefu_medical_priority.cards.models import Card, CardEvent
from tefu_medical_priority.hospitals.models import Hospital
from tefu_medical_priority.sync.models import MemberStanding
from tefu_medical_priority.visits.models import Visit


def month_bounds(first: date) -> tuple[datetime, datetime, date]:
    """The month's start and end as instants in China, and its last day."""
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return (datetime.combine(first, time(0), tzinfo=CHINA), datetime.combine(following, time(0), tzinfo=CHINA),
            following - timedelta(days=1))


def _under(column: Any, region: str) -> Any:
    return region_clause(column, region)


async def card_report(session: AsyncSession, *, region: str, month: date) -> list[dict[str, Any]]:
    start, end, last_day = month_bounds(month)
    counts: dict[str, dict[str, Any]] = {}

    def row(code: str) -> dict[str, Any]:
        return counts.setdefault(code, {"region_code": code, "region_name": region_table().full_name(code[:6]),
                                        "issued": 0, "revoked": 0, "active_at_end": 0, "qualifying": 0,
                                        "with_active_card": 0, "coverage_percent": None})

    events = (select(Card.region_code, CardEvent.to_status, func.count())
              .join(Card, Card.id == CardEvent.card_id)
              .where(CardEvent.at >= start, CardEvent.at < end, _under(Card.region_code, region),
                     ((CardEvent.to_status == "active") & CardEvent.from_status.is_(None)) | (CardEvent.to_status == "revoked"))
              .group_by(Card.region_code, CardEvent.to_status))
    for code, status, count in (await session.execute(events)).all():
        row(code)["issued" if status == "active" else "revoked"] += count

    # Active at the end of the month: the card's last change by then made it active, and it was in date.
    last_change = (select(CardEvent.card_id, func.max(CardEvent.id).label("event_id"))
                   .where(CardEvent.at < end).group_by(CardEvent.card_id).subquery())
    active = (select(Card.region_code, func.count())
              .join(last_change, last_change.c.card_id == Card.id)
              .join(CardEvent, CardEvent.id == last_change.c.event_id)
              .where(CardEvent.to_status == "active", Card.valid_until >= min(last_day, today()),
                     _under(Card.region_code, region))
              .group_by(Card.region_code))
    for code, count in (await session.execute(active)).all():
        row(code)["active_at_end"] = count

    qualifying = (select(MemberStanding.region_code, func.count(), func.count(Card.id))
                  .outerjoin(Card, and_(Card.member_id == MemberStanding.member_id, Card.status == "active",
                                        Card.valid_until >= today()))
                  .where(MemberStanding.qualifies.is_(True), _under(MemberStanding.region_code, region))
                  .group_by(MemberStanding.region_code))
    for code, members, holders in (await session.execute(qualifying)).all():
        entry = row(code)
        entry["qualifying"], entry["with_active_card"] = members, holders
    for entry in counts.values():
        if entry["qualifying"]:
            entry["coverage_percent"] = (Decimal(entry["with_active_card"] * 100) / entry["qualifying"]).quantize(Decimal("0.1"))
    return [counts[code] for code in sorted(counts)]


async def visit_report(session: AsyncSession, *, region: str, month: date) -> list[dict[str, Any]]:
    start, end, _ = month_bounds(month)
    query = (select(Hospital.code, Hospital.name, Hospital.region_code, Hospital.designated, func.count(Visit.id),
                    func.count(distinct(Visit.card_id)), func.coalesce(func.sum(Visit.waived_total), 0))
             .join(Visit, Visit.hospital_code == Hospital.code)
             .where(Visit.visited_at >= start, Visit.visited_at < end, _under(Hospital.region_code, region))
             .group_by(Hospital.code, Hospital.name, Hospital.region_code, Hospital.designated).order_by(Hospital.code))
    return [{"hospital_code": code, "hospital_name": name, "region_code": hospital_region, "designated": designated,
             "visits": visits, "holders_served": holders, "waived_total": Decimal(waived).quantize(Decimal("0.01"))}
            for code, name, hospital_region, designated, visits, holders, waived in (await session.execute(query)).all()]


async def holders_served(session: AsyncSession, *, region: str, month: date) -> int:
    """Distinct holders of the region who were actually served in the month, at any hospital."""
    start, end, _ = month_bounds(month)
    return int(await session.scalar(select(func.count(distinct(Visit.card_id))).where(
        Visit.visited_at >= start, Visit.visited_at < end, _under(Visit.region_code, region))) or 0)
