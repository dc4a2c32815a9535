"""Assigning liaisons (with history) and recording contacts."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from tefu_common.errors import Invalid
from tefu_common.masking import mask_phone
from tefu_registry.changes.service import record_change
from tefu_registry.liaisons.models import Contact, Liaison
from tefu_registry.liaisons.repository import LiaisonRepository
from tefu_registry.liaisons.schemas import ContactIn, LiaisonsAssign

POST_ZH = {"township": "街镇", "village": "村（居）"}


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def assign(liaisons: LiaisonRepository, family_id: int, data: LiaisonsAssign, *, today: date) -> list[Liaison]:
    """Give each named post to the new liaison; the previous holder's period ends the day before."""
    family = await liaisons.for_update(family_id)
    caller = liaisons.caller
    current = {l.post: l for l in await liaisons.liaisons_of(family, current_only=True)}
    changes = []
    for index, new in enumerate(data.liaisons):
        field = f"liaisons.{index}.assigned_on"
        if new.assigned_on > today:
            raise Invalid("date-in-future", f"{new.assigned_on} 是将来的日期", f"{new.assigned_on} is in the future").at(field)
        previous = current.get(new.post.value)
        if previous is not None:
            if new.assigned_on <= previous.assigned_on:
                raise Invalid(
                    "before-current-liaison",
                    f"现任{POST_ZH[new.post.value]}联系人自 {previous.assigned_on} 起任职，交接日期应在此之后",
                    f"the current {new.post.value} liaison has served since {previous.assigned_on}",
                ).at(field)
            previous.ended_on = new.assigned_on - timedelta(days=1)
        liaisons.session.add(Liaison(
            family_id=family.id, post=new.post.value, name=new.name, phone=new.phone, unit=new.unit,
            assigned_on=new.assigned_on, assigned_by=caller.subject, assigned_at=_now(),
        ))
        changes.append({
            "field": f"liaison.{new.post.value}",
            "old": {"name": previous.name, "phone": mask_phone(previous.phone)} if previous else None,
            "new": {"name": new.name, "phone": mask_phone(new.phone), "unit": new.unit,
                    "assigned_on": new.assigned_on.isoformat()},
        })
    await liaisons.session.flush()
    await record_change(liaisons.session, family_id=family.id, region_code=family.region_code, kind="liaison_assigned",
                        actor=caller.subject, changes=changes)
    return await liaisons.shown_liaisons(family)


async def record_contact(liaisons: LiaisonRepository, family_id: int, data: ContactIn, *, today: date) -> Contact:
    family = await liaisons.for_update(family_id)
    if data.contacted_on > today:
        raise Invalid("date-in-future", f"{data.contacted_on} 是将来的日期",
                      f"{data.contacted_on} is in the future").at("contacted_on")
    if data.liaison_id is not None:
        liaison = await liaisons.liaison(data.liaison_id)
        if liaison is None or liaison.family_id != family.id:
            raise Invalid("liaison-not-of-family", f"联系人 {data.liaison_id} 不是这户家庭的联系人",
                          f"liaison {data.liaison_id} is not a liaison of this family").at("liaison_id")
    contact = Contact(
        family_id=family.id, kind=data.kind.value, festival=data.festival, contacted_on=data.contacted_on,
        contacted_by=data.contacted_by, liaison_id=data.liaison_id, findings=data.findings,
        help_given=data.help_given, recorded_by=liaisons.caller.subject, recorded_at=_now(),
    )
    liaisons.session.add(contact)
    await liaisons.session.flush()
    await record_change(
        liaisons.session, family_id=family.id, region_code=family.region_code, kind="contact_recorded",
        actor=liaisons.caller.subject,
        changes=[{"field": "contact", "old": None,
                  "new": {"id": contact.id, "kind": contact.kind, "festival": contact.festival,
                          "contacted_on": contact.contacted_on.isoformat(), "contacted_by": contact.contacted_by}}],
    )
    return contact
