"""The hospital directory as a caller of a region reads and keeps it (no personal data: not logged)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select

from tefu_common.auth import Role, Scope, require
from tefu_common.errors import NotFound
from tefu_common.i18n import Text
from tefu_common.paging import PageRequest, keyset_page
from tefu_common.repository import Repository
from tefu_common.scoping import region_clause
from tefu_medical_priority.hospitals.models import Hospital
from tefu_medical_priority.hospitals.directory import HospitalDirectory


class HospitalRepository(Repository):
    async def get(self, code: str) -> Hospital:
        """The hospital of the caller's region (404 otherwise, as if it did not exist)."""
        hospital = await self.session.get(Hospital, code)
        if hospital is None or not self.covers(hospital.region_code):
            raise NotFound(Text(f"没有编码为 {code} 的医院（或不在你的辖区）", f"no hospital {code} (or not in your region)"),
                           code="hospital-not-found")
        return hospital

    async def any_region(self, code: str) -> Hospital | None:
        """The hospital of that code wherever it is: a code is taken once in the whole directory."""
        return await self.session.get(Hospital, code)

    async def page(self, page: PageRequest, *, region: str | None, designated: bool | None
                   ) -> tuple[list[Hospital], str | None]:
        statement = self.scoped(select(Hospital), Hospital.region_code)
        if region:
            statement = statement.where(region_clause(Hospital.region_code, region))
        if designated is not None:
            statement = statement.where(Hospital.designated.is_(designated))
        return await keyset_page(self.session, statement, key=[Hospital.code], page=page)  # type: ignore[return-value]

    def add(self, hospital: Hospital) -> None:
        self.session.add(hospital)

    async def flush(self) -> None:
        await self.session.flush()


Hospitals = Annotated[HospitalRepository, HospitalRepository.dependency(require(Scope.cards_read))]
"""The directory of the caller's region, for anyone who may read cards."""
ManagedHospitals = Annotated[HospitalRepository,
                             HospitalRepository.dependency(require(Scope.hospitals_manage, roles=[Role.admin]))]
"""The directory of the caller's region, for the admins who keep it."""


def hospital_directory(request: Request) -> HospitalDirectory:
    directory: HospitalDirectory = request.app.state.hospital_directory
    return directory


Directory = Annotated[HospitalDirectory, Depends(hospital_directory)]
"""The lookups' cache of the directory (a change to a hospital is forgotten there at once)."""
