"""Queries of parameter overlays (no personal data: the amounts a region pays, and who set them)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from tefu_common.auth import Scope, require
from tefu_common.errors import Conflict, NotFound
from tefu_common.i18n import Text
from tefu_common.paging import PageRequest, keyset_page
from tefu_common.repository import Repository
from tefu_eligibility.access import overlay_admin
from tefu_eligibility.overlays.models import ParameterOverlay


def proposal_not_found(overlay_id: int, region: str, parameter: str) -> NotFound:
    return NotFound(Text(f"{region} 的参数 {parameter} 没有编号为 {overlay_id} 的记录",
                         f"no overlay {overlay_id} of parameter {parameter} in region {region}"),
                    code="proposal-not-found")


class OverlayRepository(Repository):
    async def get(self, overlay_id: int, region: str, parameter: str, *, lock: bool = False) -> ParameterOverlay:
        """The row, if it is of this region and parameter; 404 ``proposal-not-found`` otherwise."""
        statement = select(ParameterOverlay).where(ParameterOverlay.id == overlay_id,
                                                   ParameterOverlay.region_code == region,
                                                   ParameterOverlay.parameter == parameter)
        if lock and self.session.bind.dialect.name == "postgresql":
            statement = statement.with_for_update()
        row = await self.session.scalar(statement)
        if row is None:
            raise proposal_not_found(overlay_id, region, parameter)
        return row

    async def pending(self, region: str, parameter: str | None = None, *, lock: bool = False) -> list[ParameterOverlay]:
        """The proposals of the region (of one parameter, if named) waiting for a decision."""
        statement = select(ParameterOverlay).where(ParameterOverlay.region_code == region,
                                                   ParameterOverlay.status == "proposed")
        if parameter is not None:
            statement = statement.where(ParameterOverlay.parameter == parameter)
        if lock and self.session.bind.dialect.name == "postgresql":
            statement = statement.with_for_update()
        return list((await self.session.scalars(statement.order_by(ParameterOverlay.parameter,
                                                                   ParameterOverlay.id))).all())

    async def approved(self, region: str, parameter: str) -> list[ParameterOverlay]:
        """The approved values of one (region, parameter), by start."""
        statement = (select(ParameterOverlay)
                     .where(ParameterOverlay.region_code == region, ParameterOverlay.parameter == parameter,
                            ParameterOverlay.status == "approved")
                     .order_by(ParameterOverlay.valid_from, ParameterOverlay.id))
        return list((await self.session.scalars(statement)).all())

    async def in_force(self, regions: list[str], day: date) -> list[ParameterOverlay]:
        """Approved values of any of ``regions`` in force on ``day``."""
        statement = select(ParameterOverlay).where(
            ParameterOverlay.region_code.in_(regions), ParameterOverlay.status == "approved",
            ParameterOverlay.valid_from <= day,
            or_(ParameterOverlay.valid_to.is_(None), ParameterOverlay.valid_to >= day))
        return list((await self.session.scalars(statement)).all())

    async def history(self, region: str, parameter: str, page: PageRequest) -> tuple[list[ParameterOverlay], str | None]:
        """Every row of one (region, parameter), newest first, in pages (keyset on the id, descending)."""
        statement = select(ParameterOverlay).where(ParameterOverlay.region_code == region,
                                                   ParameterOverlay.parameter == parameter)
        return await keyset_page(self.session, statement, key=[ParameterOverlay.id], page=page, descending=True)

    async def add(self, row: ParameterOverlay) -> ParameterOverlay:
        """Insert a proposal; 409 if another proposal of the same (region, parameter) was made meanwhile."""
        self.session.add(row)
        try:
            await self.session.flush()
        except IntegrityError:
            raise Conflict(Text(f"{row.region_code} 的参数 {row.parameter} 刚刚有另一项提议，请刷新后再提交",
                                f"another proposal for {row.parameter} in {row.region_code} was just made; reload "
                                "and propose again"), code="proposal-in-progress") from None
        return row


rules_reader = require(Scope.rules_read)

OverlayReaders = Annotated[OverlayRepository, OverlayRepository.dependency(rules_reader)]
OverlayAdmins = Annotated[OverlayRepository, OverlayRepository.dependency(overlay_admin)]
