"""Reads of a family's liaisons and contact log: the family found in the caller's region, and
every list shown written to the access log (liaisons' phones and contact findings are personal data)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select

from tefu_common.paging import PageRequest, keyset_page
from tefu_registry.families.models import Family
from tefu_registry.families.repository import FamilyRepository
from tefu_registry.liaisons.models import Contact, Liaison


class LiaisonRepository(FamilyRepository):
    async def liaisons_of(self, family: Family, *, current_only: bool = False) -> list[Liaison]:
        """The liaisons of a family being changed (``for_update``), oldest first."""
        query = select(Liaison).where(Liaison.family_id == family.id).order_by(Liaison.assigned_on, Liaison.id)
        if current_only:
            query = query.where(Liaison.ended_on.is_(None))
        return list((await self.session.scalars(query)).all())

    async def shown_liaisons(self, family: Family) -> list[Liaison]:
        """Every liaison of the family after a change, as the answer shows them; logged."""
        await self.log_reads([{"family_id": family.id, "region_code": family.region_code}])
        return await self.liaisons_of(family)

    async def serving_on(self, family_id: int, day: date) -> list[Liaison]:
        """The family's liaisons serving on ``day`` (the family already found in the caller's region)."""
        query = select(Liaison).where(Liaison.family_id == family_id, Liaison.assigned_on <= day,
                                      or_(Liaison.ended_on.is_(None), Liaison.ended_on >= day))
        return list((await self.session.scalars(query)).all())

    async def liaison(self, liaison_id: int) -> Liaison | None:
        return await self.session.get(Liaison, liaison_id)

    async def liaisons_page(self, family_id: int, page: PageRequest) -> tuple[list[Liaison], str | None]:
        family = await self.for_update(family_id)
        await self.log_reads([{"family_id": family.id, "region_code": family.region_code}])
        return await keyset_page(self.session, select(Liaison).where(Liaison.family_id == family.id),
                                 key=[Liaison.assigned_on, Liaison.id], page=page)

    async def contacts_page(self, family_id: int, page: PageRequest) -> tuple[list[Contact], str | None]:
        family = await self.for_update(family_id)
        await self.log_reads([{"family_id": family.id, "region_code": family.region_code}])
        return await keyset_page(self.session, select(Contact).where(Contact.family_id == family.id),
                                 key=[Contact.contacted_on, Contact.id], page=page)
