"""Assigning liaisons (with history) and recording contacts."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from tefu_common.errors import Invalid
from tefu_common.masking import mask_phone
from tefu_registry.changes.service import record_change
from tefu_registry.liaisons.models import Contact, Liaison
from tefu_registry.liaisons.repository import LiaisonRepository
from tefu_registry.liaisons.schemas import ContactIn, LiaisonsAssign
from tefu_registry.upstreams import EligibilityClient, county_of

POST_ZH = {"township": "街镇", "village": "村（居）", "county_leader": "县级领导干部"}


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


async def record_contact(liaisons: LiaisonRepository, eligibility: EligibilityClient, family_id: int, data: ContactIn,
                         *, today: date) -> Contact:
    """Record a contact once it is known to count: not in the future, a festival visit inside the
    region's window around the festival (the eligibility service's duties, with the real date from
    the lunar calendar), and made by the family's liaison if it names one."""
    family = await liaisons.for_update(family_id)
    if data.contacted_on > today:
        raise Invalid("date-in-future", f"{data.contacted_on} 是将来的日期",
                      f"{data.contacted_on} is in the future").at("contacted_on")
    liaison_id = await _liaison_of(liaisons, family.id, data)
    if data.festival is not None:
        check = await eligibility.festival_visit(county_of(family.region_code), data.festival, data.contacted_on)
        if not check["admitted"]:
            raise Invalid("festival-outside-window", check["reason"],
                          f"a visit on {data.contacted_on} lies outside the window {check['window_from']} – "
                          f"{check['window_to']} of the festival on {check['festival_date']}").at("contacted_on")
    contact = Contact(
        family_id=family.id, kind=data.kind.value, festival=data.festival, contacted_on=data.contacted_on,
        contacted_by=data.contacted_by, liaison_id=liaison_id, findings=data.findings,
        help_given=data.help_given, recorded_by=liaisons.caller.subject, recorded_at=_now(),
    )
    liaisons.session.add(contact)
    await liaisons.session.flush()
    await record_change(
        liaisons.session, family_id=family.id, region_code=family.region_code, kind="contact_recorded",
        actor=liaisons.caller.subject,
        changes=[{"field": "contact", "old": None,
                  "new": {"id": contact.id, "kind": contact.kind, "festival": contact.festival,
                          "contacted_on": contact.contacted_on.isoformat(), "contacted_by": contact.contacted_by,
                          "liaison_id": contact.liaison_id}}],
    )
    return contact


async def _liaison_of(liaisons: LiaisonRepository, family_id: int, data: ContactIn) -> int | None:
    """The family's liaison who made the contact: the one named, checked, or the one ``contacted_by`` names."""
    day = data.contacted_on
    if data.liaison_id is not None:
        liaison = await liaisons.liaison(data.liaison_id)
        if liaison is None or liaison.family_id != family_id:
            raise Invalid("liaison-not-of-family", f"联系人 {data.liaison_id} 不是这户家庭的联系人",
                          f"liaison {data.liaison_id} is not a liaison of this family").at("liaison_id")
        if liaison.assigned_on > day or (liaison.ended_on is not None and liaison.ended_on < day):
            served = f"{liaison.assigned_on}至{liaison.ended_on or '今'}"
            raise Invalid("liaison-not-serving", f"联系人{liaison.name}的任期为{served}，{day}不在任期内",
                          f"liaison {data.liaison_id} served {liaison.assigned_on} – {liaison.ended_on or 'now'}, "
                          f"not on {day}").at("liaison_id")
        return liaison.id
    serving = [l for l in await liaisons.serving_on(family_id, day) if l.name == data.contacted_by.strip()]
    return serving[0].id if len(serving) == 1 else None
