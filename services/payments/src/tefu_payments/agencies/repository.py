"""Queries of agency profiles (no personal data: banks, their regions, their file formats)."""

from __future__ import annotations

from typing import Annotated

from sqlalchemy import select

from tefu_common.auth import Role, Scope, require
from tefu_common.repository import Repository
from tefu_payments.agencies.models import Agency


class AgencyRepository(Repository):
    async def get(self, agency_id: str) -> Agency | None:
        return await self.session.get(Agency, agency_id)

    async def every(self) -> list[Agency]:
        """Every agency, by id: agent banks are a few dozen at most."""
        return list((await self.session.scalars(select(Agency).order_by(Agency.id))).all())

    async def add(self, agency: Agency) -> Agency:
        self.session.add(agency)
        await self.session.flush()
        return agency


Agencies = Annotated[AgencyRepository, AgencyRepository.dependency(require(Scope.batches_read))]
AgencyManagers = Annotated[AgencyRepository, AgencyRepository.dependency(
    require(Scope.agencies_manage, roles=[Role.admin]))]
