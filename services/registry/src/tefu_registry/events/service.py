"""Recording life events: what each kind requires of the family, and what it changes.

The family is whatever holds ``members`` and ``region_code``: a stored family or one being
prepared for registration (``families.registration``), checked by the same rules.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.auth import Principal
from tefu_common.errors import Invalid, ValidationFailed
from tefu_common.masking import mask_id_number
from tefu_common.regions import region_table
from tefu_registry.changes.service import record_change
from tefu_registry.drafts import Draft
from tefu_registry.events.models import LifeEvent
from tefu_registry.events.repository import family_events
from tefu_registry.events.schemas import Correction, EventIn, FactEvent
from tefu_registry.events.timeline import Fact, child_state, effective_facts, parent_death

CHILD_EVENTS = ("child_died", "disability_certified", "disability_level_changed", "child_recovered")
ROLE_ZH = {"mother": "母亲", "father": "父亲", "child": "子女"}
# Events that may name one parent (a later child of that parent alone, a remarriage, a death).
PARENT_EVENTS = ("parent_died", "remarried", "later_child_born", "later_child_adopted")


def _member(family: Any, role: str) -> Any:
    return next((m for m in family.members if m.role == role), None)


def _wrong(field: str, code: str, zh: str, en: str) -> ValidationFailed:
    return Invalid(code, zh, en).at(field)


def check_fact(event: FactEvent, family: Any, facts: list[Fact], *, today: date, prefix: str = "") -> None:
    """Refuse an event that cannot be true of this family, naming the field at fault (``prefix`` +
    the event's own field, e.g. ``replacement.occurred_on``)."""
    child = _member(family, "child")
    day = event.occurred_on
    if day > today:
        raise _wrong(f"{prefix}occurred_on", "date-in-future", f"{day} 是将来的日期", f"{day} is in the future")
    if day.year < 1950:
        raise _wrong(f"{prefix}occurred_on", "date-before-1950", f"{day} 早于 1950 年", f"{day} is before 1950")
    joined = child.joined_on if child else None
    if joined and event.kind in (*CHILD_EVENTS, "later_child_born", "later_child_adopted") and day < joined:
        raise _wrong(f"{prefix}occurred_on", "before-child-joined",
                     f"{day} 早于独生子女出生或被收养的日期（{joined}）",
                     f"{day} is before the only child joined the family ({joined})")
    state = child_state(facts, date.max)
    if event.kind in CHILD_EVENTS and state.died_on and day >= state.died_on:
        raise _wrong(f"{prefix}kind", "child-already-died", f"独生子女已于 {state.died_on} 死亡",
                     f"the only child died on {state.died_on}")
    if event.kind == "disability_certified" and child is not None and child.id_number:
        expected = f"{mask_id_number(child.id_number)}{event.category.value}{event.level}"
        if event.certificate_no != f"{child.id_number}{event.category.value}{event.level}":
            raise _wrong(f"{prefix}certificate_no", "certificate-number-mismatch",
                         f"残疾人证号应为子女身份证号加残疾类别和残疾等级各一位：{expected}",
                         f"a disability certificate number is the child's ID number, the category digit and the "
                         f"level digit: expected {expected}")
    if event.kind in ("disability_level_changed", "child_recovered") and state.certified_on is None:
        raise _wrong(f"{prefix}kind", "no-disability-certificate", "独生子女没有登记残疾人证",
                     "the only child has no disability certificate on record")
    parent = getattr(event, "member", None) if event.kind in PARENT_EVENTS else None
    if parent is not None and _member(family, parent) is None:
        raise _wrong(f"{prefix}member", "member-not-in-family", f"这户家庭没有登记{ROLE_ZH[parent]}",
                     f"the family has no {parent} on record")
    if event.kind == "remarried":
        _check_single(event.member, day, family, facts, prefix)
    if event.kind == "parent_died":
        role = ROLE_ZH[event.member]
        died = parent_death(facts, event.member)
        if died:
            raise _wrong(f"{prefix}member", "death-already-recorded", f"{role}的死亡已登记（{died}）",
                         f"the {event.member}'s death is already recorded ({died})")
    if event.kind == "hukou_moved":
        table, code = region_table(), event.to_region
        if len(code) == 6 and table.level(code) != "county":
            raise _wrong(f"{prefix}to_region", "region-not-county", f"{code} 不是县级区划代码",
                         f"{code} is not a county-level code")
        if not table.is_current(code[:6]):
            raise _wrong(f"{prefix}to_region", "region-retired", f"{code} 已停止使用", f"{code} is no longer in use")
        if code == family.region_code:
            raise _wrong(f"{prefix}to_region", "hukou-already-there", f"这户家庭的户籍已在 {code}",
                         f"the family's hukou is already in {code}")


def _check_single(role: str, day: date, family: Any, facts: list[Fact], prefix: str) -> None:
    """A parent remarries only after the couple divorced or the other parent died (or is not on record)."""
    other = "father" if role == "mother" else "mother"
    divorced = any(f.kind == "divorced" and f.occurred_on <= day for f in facts)
    widowed = (died := parent_death(facts, other)) is not None and died <= day
    if not (divorced or widowed or _member(family, other) is None):
        raise _wrong(f"{prefix}occurred_on", "parent-not-single",
                     f"{day} 时{ROLE_ZH[role]}既未离婚也未丧偶，不能登记再婚",
                     f"on {day} the {role} was neither divorced nor widowed: a remarriage cannot be recorded")


def event_row(event: FactEvent, family: Any) -> Draft:
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
    family: Any,
    event: EventIn,
    caller: Principal,
    today: date,
) -> LifeEvent:
    """Append one event (after checking it against the family) and log the change."""
    rows = await family_events(session, family.id)
    facts = effective_facts(rows)
    if isinstance(event, Correction):
        row = _correction_row(event, family, rows, facts, today=today)
    else:
        check_fact(event, family, facts, today=today)
        row = LifeEvent(**event_row(event, family).values())
    row.recorded_at, row.recorded_by = datetime.now(timezone.utc), caller.subject
    session.add(row)
    await session.flush()
    await record_change(session, family_id=family.id, region_code=family.region_code, kind="event_recorded",
                        actor=caller.subject, changes=[event_change(row.id, row)])
    return row


def _correction_row(event: Correction, family: Any, rows: list[LifeEvent], facts: list[Fact], *, today: date) -> LifeEvent:
    target = next((r for r in rows if r.id == event.corrects_event_id), None)
    number = event.corrects_event_id
    if target is None:
        raise _wrong("corrects_event_id", "event-not-in-family", f"事件 {number} 不是这户家庭的事件",
                     f"event {number} is not an event of this family")
    if target.kind == "correction":
        raise _wrong("corrects_event_id", "correcting-a-correction", "请更正原来的事件，而不是更正记录",
                     "correct the original event, not a correction")
    if all(f.event_id != target.id for f in facts):
        raise _wrong("corrects_event_id", "event-already-voided", f"事件 {target.id} 已被作废",
                     f"event {target.id} was already voided")
    details: dict = {"reason": event.reason, "replacement": None}
    certificate_no = None
    occurred_on = today
    if event.replacement is not None:
        if event.replacement.kind != target.kind:
            raise _wrong("replacement.kind", "correction-changes-kind", f"更正不能改变事件类型（{target.kind}）",
                         f"a correction keeps the kind ({target.kind})")
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
