"""Stored reports, for one caller: only those of regions the caller covers."""

from __future__ import annotations

from typing import Annotated

from sqlalchemy import select

from tefu_common.auth import Scope, require
from tefu_common.i18n import Text
from tefu_common.paging import PageRequest, keyset_page
from tefu_common.repository import Repository
from tefu_common.scoping import found_within, region_clause
from tefu_supervision.reports.models import SupervisionReport

REPORT = Text("这份督导报告", "such supervision report")


class ReportRepository(Repository):
    """Reports hold aggregates only (counts, rates, family ids at most): no personal data to log."""

    async def add(self, report: SupervisionReport) -> SupervisionReport:
        self.session.add(report)
        await self.session.flush()
        return report

    async def get(self, report_id: int) -> SupervisionReport:
        report = await self.session.get(SupervisionReport, report_id)
        return found_within(self.caller, report, report.region_code if report else None, REPORT)

    async def previous(self, region: str, period: str, *, before: int | None = None) -> SupervisionReport | None:
        """The latest report kept for the same region and period (before report ``before``, if given)."""
        query = select(SupervisionReport).where(SupervisionReport.region_code == region,
                                                SupervisionReport.period == period)
        if before is not None:
            query = query.where(SupervisionReport.id < before)
        query = query.order_by(SupervisionReport.id.desc()).limit(1)
        return (await self.session.scalars(query)).first()

    async def page(self, page: PageRequest, *, region: str | None, period: str | None) -> tuple[list[SupervisionReport], str | None]:
        query = self.scoped(select(SupervisionReport), SupervisionReport.region_code)
        if region:
            query = query.where(region_clause(SupervisionReport.region_code, region))
        if period:
            query = query.where(SupervisionReport.period == period)
        return await keyset_page(self.session, query, key=[SupervisionReport.id], page=page)


Reports = Annotated[ReportRepository, ReportRepository.dependency(require(Scope.supervision_read))]
"""Stored reports of the caller's region; inspectors and admins (scope ``supervision:read``)."""
