"""Queries of payment schedules (no personal data: a region's rhythm of payment)."""

from __future__ import annotations

from typing import Annotated

from sqlalchemy import or_, select

from tefu_common.auth import Role, Scope, require
from tefu_common.paging import PageRequest, keyset_page
from tefu_common.repository import Repository
from tefu_common.scoping import region_clause
from tefu_payments.schedules.models import PaymentSchedule


class ScheduleRepository(Repository):
    async def get(self, region_code: str) -> PaymentSchedule | None:
        return await self.session.get(PaymentSchedule, region_code)

    async def of_regions(self, codes: list[str]) -> dict[str, PaymentSchedule]:
        found = (await self.session.scalars(select(PaymentSchedule).where(PaymentSchedule.region_code.in_(codes)))).all()
        return {s.region_code: s for s in found}

    async def page(self, above: list[str], page: PageRequest) -> tuple[list[PaymentSchedule], str | None]:
        """Schedules of the regions ``above`` the caller's, and of every region within it."""
        statement = select(PaymentSchedule).where(or_(
            PaymentSchedule.region_code.in_(above), region_clause(PaymentSchedule.region_code, self.caller)))
        return await keyset_page(self.session, statement, key=[PaymentSchedule.region_code], page=page)

    async def add(self, schedule: PaymentSchedule) -> None:
        self.session.add(schedule)

    async def remove(self, schedule: PaymentSchedule) -> None:
        await self.session.delete(schedule)
        await self.session.flush()


Schedules = Annotated[ScheduleRepository, ScheduleRepository.dependency(require(Scope.batches_read))]
ScheduleManagers = Annotated[ScheduleRepository, ScheduleRepository.dependency(
    require(Scope.schedules_manage, roles=[Role.admin]))]
