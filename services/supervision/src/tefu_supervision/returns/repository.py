"""Produced returns, for one caller: only those of regions the caller covers."""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated

from sqlalchemy import func, select

from tefu_common.auth import Scope, require
from tefu_common.i18n import Text
from tefu_common.paging import PageRequest, keyset_page
from tefu_common.repository import Repository
from tefu_common.scoping import found_within, region_clause
from tefu_supervision.returns.models import SupervisionReturn

RETURN = Text("这份统计报表", "such statistics return")


class ReturnRepository(Repository):
    """Returns hold aggregates only (counts and amounts of a region): no personal data to log."""

    async def add(self, produced: SupervisionReturn) -> SupervisionReturn:
        self.session.add(produced)
        await self.session.flush()
        return produced

    async def get(self, produced_id: int) -> SupervisionReturn:
        produced = await self.session.get(SupervisionReturn, produced_id)
        return found_within(self.caller, produced, produced.region_code if produced else None, RETURN)

    async def latest_produced(self, region: str, return_ids: Collection[str],
                              periods: Collection[str]) -> dict[tuple[str, str], int]:
        """The latest return produced for exactly ``region``, by (return id, period): its id."""
        if not return_ids or not periods:
            return {}
        query = self.scoped(
            select(SupervisionReturn.return_id, SupervisionReturn.period, func.max(SupervisionReturn.id)),
            SupervisionReturn.region_code,
        ).where(SupervisionReturn.region_code == region, SupervisionReturn.return_id.in_(list(return_ids)),
                SupervisionReturn.period.in_(list(periods))
                ).group_by(SupervisionReturn.return_id, SupervisionReturn.period)
        return {(return_id, period): latest for return_id, period, latest in (await self.session.execute(query)).all()}

    async def page(self, page: PageRequest, *, region: str | None, return_id: str | None,
                   period: str | None) -> tuple[list[SupervisionReturn], str | None]:
        query = self.scoped(select(SupervisionReturn), SupervisionReturn.region_code)
        if region:
            query = query.where(region_clause(SupervisionReturn.region_code, region))
        if return_id:
            query = query.where(SupervisionReturn.return_id == return_id)
        if period:
            query = query.where(SupervisionReturn.period == period)
        return await keyset_page(self.session, query, key=[SupervisionReturn.id], page=page, descending=True)


Returns = Annotated[ReturnRepository, ReturnRepository.dependency(require(Scope.supervision_read))]
"""Produced returns of the caller's region; inspectors and admins (scope ``supervision:read``)."""
