"""Visits as hospitals record them and as the log is read: a hospital sees its own, others their region's.

A visit says who was treated where and for what, so every visit a list shows is recorded in the
lookup log, like a read of a card.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from sqlalchemy import select

from tefu_common.auth import Role, Scope, require
from tefu_common.paging import PageRequest, keyset_page
from tefu_common.repository import Repository
from tefu_medical_priority.access_log.models import lookup_log
from tefu_medical_priority.cards.models import Card, CardEvent
from tefu_medical_priority.cards.numbers import parse_card_no
from tefu_medical_priority.hospitals.models import Hospital
from tefu_medical_priority.visits.models import Visit


class VisitRepository(Repository):
    access_log = lookup_log

    async def card(self, card_no: str) -> Card | None:
        """The card a hospital serves (a holder may be treated anywhere: not limited to a region)."""
        return await self.session.scalar(select(Card).where(Card.card_no == card_no))

    async def status_at(self, card: Card, at: datetime) -> str | None:
        """The card's status after its last change at or before ``at`` (None: no change by then)."""
        return await self.session.scalar(select(CardEvent.to_status)
                                         .where(CardEvent.card_id == card.id, CardEvent.at <= at)
                                         .order_by(CardEvent.at.desc(), CardEvent.id.desc()).limit(1))

    async def by_key(self, hospital_code: str, key: str) -> Visit | None:
        return await self.session.scalar(select(Visit).where(Visit.hospital_code == hospital_code,
                                                             Visit.idempotency_key == key))

    async def page(self, page: PageRequest, *, card_no: str | None, hospital: str | None, since: datetime | None,
                   until: datetime | None) -> tuple[list[tuple[Visit, str]], str | None]:
        """A page of visits, oldest first: a hospital's own, or those of the caller's region's holders."""
        statement = select(Visit, Card.card_no).join(Card, Card.id == Visit.card_id)
        if self.caller.role is Role.hospital:
            # Its own visits, and only while the hospital lies in the token's region.
            own = statement.join(Hospital, Hospital.code == Visit.hospital_code).where(
                Visit.hospital_code == (self.caller.institution.id if self.caller.institution else ""))
            statement = self.scoped(own, Hospital.region_code)
        else:
            statement = self.scoped(statement, Visit.region_code)
        if card_no:
            statement = statement.where(Card.card_no == parse_card_no(card_no, location="query"))
        if hospital:
            statement = statement.where(Visit.hospital_code == hospital)
        if since:
            statement = statement.where(Visit.visited_at >= since)
        if until:
            statement = statement.where(Visit.visited_at < until)
        rows, next_cursor = await keyset_page(self.session, statement, key=[Visit.id], page=page, scalars=False)
        await self.log_reads({"how": "visits", "card_id": visit.card_id, "region_code": visit.region_code,
                              "outcome": "shown"} for visit, _ in rows)
        return [(visit, number) for visit, number in rows], next_cursor


HospitalVisits = Annotated[VisitRepository, VisitRepository.dependency(require(Scope.visits_write, roles=[Role.hospital]))]
"""Visits for the hospital HIS clients that record them."""
Visits = Annotated[VisitRepository, VisitRepository.dependency(
    # A hospital reads the visits it recorded (visits:write); the others read cards (cards:read).
    require(roles=[Role.hospital, Role.clerk, Role.auditor, Role.admin, Role.service],
            any_of=[Scope.visits_write, Scope.cards_read]))]
"""Visits for those who read the log: a hospital its own, clerks, inspectors and services their region's."""
