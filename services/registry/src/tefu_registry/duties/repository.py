"""Reads for the duty checks: the special families of a region with what the duties look at.

A family's liaisons, contacts (kind, festival and date only: the findings stay encrypted, unread),
life events and members' dates are read in one pass per chunk of families, so a county is checked
in a few queries whatever its size. Every family shown (a work-list page, a family's duties, the
missed families of a compliance answer) is written to the access log by the service that shows it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tefu_common.calendar import CHINA
from tefu_common.masking import mask_name
from tefu_common.scoping import region_clause
from tefu_registry.duties.engine import ContactRecord, FamilyRecord, LiaisonRecord, MemberRecord
from tefu_registry.events.models import LifeEvent
from tefu_registry.events.timeline import effective_facts
from tefu_registry.families.models import Family
from tefu_registry.families.repository import FamilyRepository
from tefu_registry.families.review_tasks import OPEN, ReviewTask
from tefu_registry.liaisons.models import Contact, Liaison

CHUNK = 500


def head_name(family: Family) -> str:
    """The parents' names, masked, as every list shows them."""
    return "、".join(mask_name(m.name) for m in family.members if m.role in ("mother", "father"))


class DutyRepository(FamilyRepository):
    async def open_review_tasks(self, region: str) -> dict[int, list[ReviewTask]]:
        """The open review tasks (banks' returns) of the region's families, by family."""
        query = select(ReviewTask).where(ReviewTask.status == OPEN, region_clause(ReviewTask.region_code, region))
        found: dict[int, list[ReviewTask]] = defaultdict(list)
        for task in (await self.session.scalars(self.scoped(query, ReviewTask.region_code))).all():
            found[task.family_id].append(task)
        return found

    async def families_chunk(self, region: str, *, after: int, limit: int = CHUNK) -> list[FamilyRecord]:
        """Special families under ``region`` (within the caller's) with id > ``after``, in id order."""
        query = (self.scoped(select(Family), Family.region_code)
                 .where(region_clause(Family.region_code, region), Family.special_family.is_(True), Family.id > after)
                 .order_by(Family.id).limit(limit).options(selectinload(Family.members)))
        families = list((await self.session.scalars(query)).all())
        return await self._records(families)

    async def family_record(self, family_id: int) -> FamilyRecord:
        """One family of the caller's region (404 otherwise), special or not."""
        family = await self.for_update(family_id)
        return (await self._records([family]))[0]

    async def log_shown(self, families: Iterable[FamilyRecord]) -> None:
        await self.log_reads([{"family_id": f.id, "region_code": f.region_code} for f in families])

    async def _records(self, families: Sequence[Family]) -> list[FamilyRecord]:
        ids = [f.id for f in families]
        if not ids:
            return []
        liaisons: dict[int, list[LiaisonRecord]] = defaultdict(list)
        for row in (await self.session.execute(
                select(Liaison.family_id, Liaison.id, Liaison.post, Liaison.name, Liaison.assigned_on, Liaison.ended_on)
                .where(Liaison.family_id.in_(ids)).order_by(Liaison.assigned_on, Liaison.id))).all():
            liaisons[row.family_id].append(LiaisonRecord(row.id, row.post, row.name, row.assigned_on, row.ended_on))
        contacts: dict[int, list[ContactRecord]] = defaultdict(list)
        for row in (await self.session.execute(
                select(Contact.family_id, Contact.kind, Contact.festival, Contact.contacted_on)
                .where(Contact.family_id.in_(ids)).order_by(Contact.contacted_on, Contact.id))).all():
            contacts[row.family_id].append(ContactRecord(row.kind, row.festival, row.contacted_on))
        events: dict[int, list[LifeEvent]] = defaultdict(list)
        for event in (await self.session.scalars(
                select(LifeEvent).where(LifeEvent.family_id.in_(ids)).order_by(LifeEvent.id))).all():
            events[event.family_id].append(event)
        return [FamilyRecord(
            id=f.id, region_code=f.region_code, head_name=head_name(f),
            registered_on=f.created_at.astimezone(CHINA).date(),
            members=[MemberRecord(m.role, m.birth_date, m.death_date) for m in f.members],
            events=[(fact.kind, fact.occurred_on) for fact in effective_facts(events[f.id])],
            liaisons=liaisons[f.id], contacts=contacts[f.id],
        ) for f in families]
