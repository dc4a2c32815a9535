"""Recording life events: what each kind requires of the family, and what it changes."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.auth import Principal
from tefu_common.errors import ValidationFailed
from tefu_common.masking import mask_id_number
from tefu_common.regions import region_table
from tefu_registry.changes.service import record_change
from tefu_registry.drafts import Draft
from tefu_registry.events.models import LifeEvent
from tefu_registry.events.schemas import Correction, EventIn, FactEvent
from tefu_registry.events.timeline import Fact, child_state, effective_facts, parent_death
from tefu_registry.families.models import Family, Member

CHILD_EVENTS = ("child_died", "disability_certified", "disability_level_changed", "child_recovered")


def invalid(field: str, message: str, *, location: str = "body") -> ValidationFailed:
    """A 422 naming one field of the request (``body.mother.id_number``, ``query.as_of`` ...)."""
    return ValidationFailed(message, errors=[{"field": f"{location}.{field}", "message": message, "type": "value_error"}])


async def family_events(session: AsyncSession, family_id: int) -> list[LifeEvent]:
    query = select(LifeEvent).where(LifeEvent.family_id == family_id).order_by(LifeEvent.id)
    return list((await session.scalars(query)).all())


def _member(family: Family, role: str) -> Member | None:
    return next((m for m in family.members if m.role == role), None)


def check_fact(event: FactEvent, family: Family, facts: list[Fact], *, today: date, prefix: str = "") -> None:
    """Refuse an event that cannot be true of this family, naming the field at fault."""
    child = _member(family, "child")
    if event.occurred_on > today:
        raise invalid(f"{prefix}occurred_on", f"{event.occurred_on} is in the future")
    if event.occurred_on.year < 1950:
        raise invalid(f"{prefix}occurred_on", f"{event.occurred_on} is before 1950")
    joined = child.joined_on if child else None
    if joined and event.kind in (*CHILD_EVENTS, "later_child_born", "later_child_adopted") and event.occurred_on < joined:
        raise invalid(f"{prefix}occurred_on", f"{event.occurred_on} is before the only child joined the family ({joined})")
    state = child_state(facts, date.max)
    if event.kind in CHILD_EVENTS and state.died_on and event.occurred_on >= state.died_on:
        raise invalid(f"{prefix}kind", f"the only child died on {state.died_on}")
    if event.kind == "disability_certified" and child is not None and child.id_number:
        expected = f"{child.id_number}{event.category.value}{event.level}"
        if event.certificate_no != expected:
            raise invalid(
                f"{prefix}certificate_no",
                f"a disability certificate number is the child's ID number, the category digit and the level "
                f"digit: expected {mask_id_number(child.id_number)}{event.category.value}{event.level}",
            )
    if event.kind in ("disability_level_changed", "child_recovered") and state.certified_on is None:
        raise invalid(f"{prefix}kind", "the only child has no disability certificate on record")
    if event.kind == "parent_died":
        if _member(family, event.member) is None:
            raise invalid(f"{prefix}member", f"the family has no {event.member} on record")
        died = parent_death(facts, event.member)
        if died:
            raise invalid(f"{prefix}member", f"the {event.member}'s death is already recorded ({died})")
    if event.kind == "hukou_moved":
        table = region_table()
        if len(event.to_region) == 6 and table.level(event.to_region) != "county":
            raise invalid(f"{prefix}to_region", f"{event.to_region} is not a county-level code")
        if not table.is_current(event.to_region[:6]):
            raise invalid(f"{prefix}to_region", f"{event.to_region} is no longer in use")
        if event.to_region == family.region_code:
            raise invalid(f"{prefix}to_region", f"the family's hukou is already in {event.to_region}")


def event_row(event: FactEvent, family: Family | Draft) -> Draft:
    """The column values of a checked fact event (not yet written)."""
    details = event.model_dump(mode="json", exclude={"kind", "occurred_on", "note", "member", "certificate_no"})
    if event.kind == "hukou_moved":
        details["from_region"] = family.region_code
    return Draft(
        family_id=getattr(family, "id", None), kind=event.kind, occurred_on=event.occurred_on,
        member_role=getattr(event, "member", None) or ("child" if event.kind in CHILD_EVENTS else None),
        details=details, certificate_no=getattr(event, "certificate_no", None), note=event.note,
        corrects_event_id=None,
    )


def fact_of(row: Draft, provisional_id: int) -> Fact:
    """A fact for a row not yet flushed (the id only orders it among the family's other new facts)."""
    return Fact(provisional_id, row.kind, row.occurred_on, row.member_role, dict(row.details))


def event_change(event_id: int, row: LifeEvent | Draft) -> dict:
    return {"field": "event", "old": None, "new": {
        "id": event_id, "kind": row.kind, "occurred_on": row.occurred_on.isoformat(), "corrects_event_id": row.corrects_event_id,
    }}


async def record_event(
    session: AsyncSession,
    *,
    family: Family,
    event: EventIn,
    caller: Principal,
    today: date,
) -> LifeEvent:
    """Append one event (after checking it against the family) and log the change."""
    rows = await family_events(session, family.id)
    facts = effective_facts(rows)
    if isinstance(event, Correction):
        row = await _correction_row(event, family, rows, facts, today=today)
    else:
        check_fact(event, family, facts, today=today)
        row = LifeEvent(**event_row(event, family).values())
    row.recorded_at, row.recorded_by = datetime.now(timezone.utc), caller.subject
    session.add(row)
    await session.flush()
    await record_change(session, family_id=family.id, region_code=family.region_code, kind="event_recorded",
                        actor=caller.subject, changes=[event_change(row.id, row)])
    return row


async def _correction_row(
    event: Correction, family: Family, rows: list[LifeEvent], facts: list[Fact], *, today: date
) -> LifeEvent:
    target = next((r for r in rows if r.id == event.corrects_event_id), None)
    if target is None:
        raise invalid("corrects_event_id", f"event {event.corrects_event_id} is not an event of this family")
    if target.kind == "correction":
        raise invalid("corrects_event_id", "correct the original event, not a correction")
    if all(f.event_id != target.id for f in facts):
        raise invalid("corrects_event_id", f"event {target.id} was already voided")
    details: dict = {"reason": event.reason, "replacement": None}
    certificate_no = None
    occurred_on = today
    if event.replacement is not None:
        if event.replacement.kind != target.kind:
            raise invalid("replacement.kind", f"a correction keeps the kind ({target.kind})")
        others = [f for f in facts if f.event_id != target.id]
        check_fact(event.replacement, family, others, today=today, prefix="replacement.")
        replacement = event.replacement.model_dump(mode="json", exclude={"certificate_no"})
        if target.kind == "hukou_moved":
            replacement["from_region"] = target.details.get("from_region")
        details["replacement"] = replacement
        certificate_no = getattr(event.replacement, "certificate_no", None)
        occurred_on = event.replacement.occurred_on
    return LifeEvent(
        family_id=family.id, kind="correction", occurred_on=occurred_on, member_role=target.member_role,
        details=details, certificate_no=certificate_no, corrects_event_id=target.id, note=event.reason,
    )
