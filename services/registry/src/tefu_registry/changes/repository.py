"""Reading the change log: the change feed (commit order, the caller's region) and one family's history.

Neither names a person: the feed carries ids, kinds, times and regions; a family's history shows
personal data only masked, and is read through ``families.repository`` (which finds the family
in the caller's region and logs the read).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.auth import Principal
from tefu_common.paging import PageRequest, keyset_page
from tefu_common.repository import Repository
from tefu_common.scoping import scoped
from tefu_registry.changes.models import FamilyChange


async def changes_after(session: AsyncSession, scope: Principal | str, *, after: int, limit: int) -> list[FamilyChange]:
    """Changes after the position ``after``, in commit order, within the region of ``scope``."""
    query = select(FamilyChange).where(FamilyChange.id > after).order_by(FamilyChange.id).limit(limit)
    return list((await session.scalars(scoped(query, FamilyChange.region_code, scope))).all())


async def history_page(session: AsyncSession, family_id: int, page: PageRequest) -> tuple[list[FamilyChange], str | None]:
    """One page of a family's changes, oldest first."""
    return await keyset_page(session, select(FamilyChange).where(FamilyChange.family_id == family_id),
                             key=[FamilyChange.id], page=page)


class ChangeRepository(Repository):
    """The change feed as the caller may read it."""

    async def feed(self, *, after: int, limit: int) -> list[FamilyChange]:
        return await changes_after(self.session, self.caller, after=after, limit=limit)
