"""Assigning liaisons (with history) and recording contacts."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.auth import Principal
from tefu_common.masking import mask_phone
from tefu_registry.changes.service import record_change
from tefu_registry.events.service import invalid
from tefu_registry.families.models import Family
from tefu_registry.liaisons.models import Contact, Liaison
from tefu_registry.liaisons.schemas import ContactIn, LiaisonsAssign


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def liaisons_of(session: AsyncSession, family_id: int, *, current_only: bool = False) -> list[Liaison]:
    query = select(Liaison).where(Liaison.family_id == family_id).order_by(Liaison.assigned_on, Liaison.id)
    if current_only:
        query = query.where(Liaison.ended_on.is_(None))
    return list((await session.scalars(query)).all())


async def assign(
    session: AsyncSession, *, family: Family, data: LiaisonsAssign, caller: Principal, today: date
) -> list[Liaison]:
    """Give each named post to the new liaison; the previous holder's period ends the day before."""
    current = {l.post: l for l in await liaisons_of(session, family.id, current_only=True)}
    changes = []
    for index, new in enumerate(data.liaisons):
        if new.assigned_on > today:
            raise invalid(f"liaisons.{index}.assigned_on", f"{new.assigned_on} is in the future")
        previous = current.get(new.post.value)
        if previous is not None:
            if new.assigned_on <= previous.assigned_on:
                raise invalid(
                    f"liaisons.{index}.assigned_on",
                    f"the current {new.post.value} liaison has served since {previous.assigned_on}",
                )
            previous.ended_on = new.assigned_on - timedelta(days=1)
        session.add(Liaison(
            family_id=family.id, post=new.post.value, name=new.name, phone=new.phone, unit=new.unit,
            assigned_on=new.assigned_on, assigned_by=caller.subject, assigned_at=_now(),
        ))
        changes.append({
            "field": f"liaison.{new.post.value}",
            "old": {"name": previous.name, "phone": mask_phone(previous.phone)} if previous else None,
            "new": {"name": new.name, "phone": mask_phone(new.phone), "unit": new.unit,
                    "assigned_on": new.assigned_on.isoformat()},
        })
    await session.flush()
    await record_change(session, family_id=family.id, region_code=family.region_code, kind="liaison_assigned",
                        actor=caller.subject, changes=changes)
    return await liaisons_of(session, family.id)


async def record_contact(
    session: AsyncSession, *, family: Family, data: ContactIn, caller: Principal, today: date
) -> Contact:
    if data.contacted_on > today:
        raise invalid("contacted_on", f"{data.contacted_on} is in the future")
    if data.liaison_id is not None:
        liaison = await session.get(Liaison, data.liaison_id)
        if liaison is None or liaison.family_id != family.id:
            raise invalid("liaison_id", f"liaison {data.liaison_id} is not a liaison of this family")
    contact = Contact(
        family_id=family.id, kind=data.kind.value, festival=data.festival, contacted_on=data.contacted_on,
        contacted_by=data.contacted_by, liaison_id=data.liaison_id, findings=data.findings,
        help_given=data.help_given, recorded_by=caller.subject, recorded_at=_now(),
    )
    session.add(contact)
    await session.flush()
    await record_change(
        session, family_id=family.id, region_code=family.region_code, kind="contact_recorded", actor=caller.subject,
        changes=[{"field": "contact", "old": None,
                  "new": {"id": contact.id, "kind": contact.kind, "festival": contact.festival,
                          "contacted_on": contact.contacted_on.isoformat(), "contacted_by": contact.contacted_by}}],
    )
    return contact


async def contacts_of(session: AsyncSession, family_id: int) -> list[Contact]:
    query = select(Contact).where(Contact.family_id == family_id).order_by(Contact.contacted_on, Contact.id)
    return list((await session.scalars(query)).all())
