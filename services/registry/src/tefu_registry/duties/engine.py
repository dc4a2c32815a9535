"""Liaison duties checked against the register: pure functions over one family's record.

The duties themselves are data of the eligibility service (``GET /v1/duties``: contact
frequencies, festival visits with their windows, event visits with a deadline, the liaisons a
family must have), dated and layered by jurisdiction; this module only applies them to what the
register holds of a family: its liaisons, its contacts, its life events and its members' birthdays.

How "at least N per week/month/quarter/year" is read: on any day, the N most recent qualifying
contacts must lie within one such period before it. So a weekly call is overdue on the eighth day
after the last one, whatever the day of the week; a family is *overdue since* the first day the rule
fails, and *missed* in a compliance period if it was overdue on any day of it. The clock starts on
the family's first day in the register's care: the earliest of its registration, its first
liaison's assignment and its first recorded contact (and never before the duty took effect).
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

POST_ZH = {"township": "街镇联系人", "village": "村（居）联系人", "county_leader": "县级领导干部联系人"}
PER_ZH = {"week": "周", "month": "月", "quarter": "季度", "year": "年"}
PER_MONTHS = {"month": 1, "quarter": 3, "year": 12}
KIND_ZH = {"home_visit": "上门走访", "phone_call": "电话联系", "online": "线上联系", "festival_visit": "节日走访",
           "family_doctor": "家庭医生随访"}
DUE_SOON_DAYS = 7  # a duty falling due within this many days is "due" in the work list
EVENT_LOOKBACK_DAYS = 365  # an event visit missed longer ago than this no longer heads the work list
# Who the register cannot pick out: the duty is reported, but not counted.
NOT_COMPUTABLE = {
    "special_difficulty": "登记系统未标注“存在特殊困难”的家庭，本项由检查人员核实",
    "family_doctor_signed": "登记系统未记录家庭医生签约情况，本项由检查人员核实",
}


@dataclass(frozen=True)
class LiaisonRecord:
    id: int
    post: str
    name: str
    assigned_on: date
    ended_on: date | None

    def serving_on(self, day: date) -> bool:
        return self.assigned_on <= day and (self.ended_on is None or self.ended_on >= day)


@dataclass(frozen=True)
class ContactRecord:
    kind: str
    festival: str | None
    contacted_on: date


@dataclass(frozen=True)
class MemberRecord:
    role: str
    birth_date: date | None
    death_date: date | None


@dataclass
class FamilyRecord:
    """What the duties are checked against; names are already masked."""

    id: int
    region_code: str
    head_name: str
    registered_on: date
    members: list[MemberRecord] = field(default_factory=list)
    events: list[tuple[str, date]] = field(default_factory=list)  # (kind, occurred_on), corrections applied
    liaisons: list[LiaisonRecord] = field(default_factory=list)
    contacts: list[ContactRecord] = field(default_factory=list)

    @property
    def start(self) -> date:
        """The family's first day in the register's care."""
        days = [self.registered_on, *(l.assigned_on for l in self.liaisons), *(c.contacted_on for c in self.contacts)]
        return min(days)

    def current_liaisons(self, day: date) -> list[LiaisonRecord]:
        return [l for l in self.liaisons if l.serving_on(day)]


@dataclass
class Item:
    """One duty of one family on a day: its state and why, in Chinese."""

    duty: dict[str, Any]
    status: str  # met | due | overdue | outstanding | missed | missing_liaison | not_computable
    reason: str
    since: date | None = None
    due_by: date | None = None
    last_contact_on: date | None = None
    festival: dict[str, Any] | None = None
    event: dict[str, Any] | None = None
    missing_posts: list[str] | None = None

    @property
    def open(self) -> bool:
        return self.status in ("due", "overdue", "outstanding", "missing_liaison")


def add_period(day: date, per: str, count: int = 1) -> date:
    if per == "week":
        return day + timedelta(days=7 * count)
    months = day.month - 1 + PER_MONTHS[per] * count
    year, month = day.year + months // 12, months % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def _started(duty: dict[str, Any], family: FamilyRecord) -> date:
    start = family.start
    effective = duty.get("effective_from")
    if effective:
        start = max(start, date.fromisoformat(str(effective)))
    return start


# --- contact frequencies ------------------------------------------------------------------------

def _qualifying(duty: dict[str, Any], family: FamilyRecord) -> list[date]:
    kinds = set(duty["values"]["contact_kinds"])
    return sorted(c.contacted_on for c in family.contacts if c.kind in kinds)


def _next_due(days: Sequence[date], start: date, on: date, per: str, min_count: int) -> date:
    """The last day the rule holds, seen on ``on``: the min_count-th latest contact (or the start) + one period."""
    before = [d for d in days if start <= d <= on]
    anchor = before[-min_count] if len(before) >= min_count else start
    return add_period(anchor, per)


def overdue_days(duty: dict[str, Any], family: FamilyRecord, first: date, last: date) -> date | None:
    """The first day in [first, last] the family was overdue on this contact duty, or None."""
    values = duty["values"]
    per, min_count = values["per"], int(values["min_count"])
    start = _started(duty, family)
    first = max(first, start)
    if first > last:
        return None
    days = _qualifying(duty, family)
    # Between two contacts the deadline stands still while the days go on: the worst day is the one
    # before each contact (and the last day), so only those need looking at.
    checks = sorted({first, last, *(d - timedelta(days=1) for d in days if first < d <= last)})
    for day in checks:
        due = _next_due(days, start, day, per, min_count)
        if day > due:
            return max(first, due + timedelta(days=1))
    return None


def contact_item(duty: dict[str, Any], family: FamilyRecord, on: date) -> Item:
    values = duty["values"]
    per, min_count = values["per"], int(values["min_count"])
    start = _started(duty, family)
    days = [d for d in _qualifying(duty, family) if d <= on]
    last = days[-1] if days else None
    kinds = "、".join(KIND_ZH.get(k, k) for k in values["contact_kinds"])
    rule = f"每{PER_ZH[per]}至少{min_count}次{kinds}"
    if on < start:
        return Item(duty, "met", "尚未开始计算", last_contact_on=last)
    due = _next_due(days, start, on, per, min_count)
    seen = f"上次{kinds}为{last}" if last else f"自{start}起没有{kinds}记录"
    if on > due:
        late = (on - due).days
        return Item(duty, "overdue", f"{seen}；按“{rule}”，应在{due}前联系，已逾期{late}天",
                    since=due + timedelta(days=1), due_by=due,
                    last_contact_on=last)
    if (due - on).days <= DUE_SOON_DAYS:
        return Item(duty, "due", f"{seen}；按“{rule}”，应在{due}前联系", due_by=due, last_contact_on=last)
    return Item(duty, "met", f"{seen}；下次应在{due}前联系", due_by=due, last_contact_on=last)


# --- festival visits -----------------------------------------------------------------------------

def occurrences(duty: dict[str, Any]) -> list[dict[str, Any]]:
    """The festival's dates with their windows, as eligibility gave them (ISO dates parsed)."""
    return [{**o, "date": date.fromisoformat(str(o["date"])), "window_from": date.fromisoformat(str(o["window_from"])),
             "window_to": date.fromisoformat(str(o["window_to"]))} for o in duty.get("festivals") or []]


def festival_out(duty: dict[str, Any], occurrence: dict[str, Any]) -> dict[str, Any]:
    return {"festival": occurrence["festival"], "name": duty["values"].get("festival_name"),
            "date": occurrence["date"], "window_from": occurrence["window_from"], "window_to": occurrence["window_to"]}


def visited(family: FamilyRecord, occurrence: dict[str, Any]) -> date | None:
    for contact in sorted(family.contacts, key=lambda c: c.contacted_on):
        if (contact.kind == "festival_visit" and contact.festival == occurrence["festival"]
                and occurrence["window_from"] <= contact.contacted_on <= occurrence["window_to"]):
            return contact.contacted_on
    return None


def festival_state(duty: dict[str, Any], family: FamilyRecord, occurrence: dict[str, Any], on: date) -> Item:
    name = duty["values"].get("festival_name") or occurrence["festival"]
    window = f"{occurrence['window_from']}至{occurrence['window_to']}"
    out = festival_out(duty, occurrence)
    made = visited(family, occurrence)
    if made and made <= on:
        return Item(duty, "met", f"{occurrence['year']}年{name}（{occurrence['date']}）已于{made}走访", festival=out,
                    last_contact_on=made)
    if on > occurrence["window_to"]:
        return Item(duty, "missed", f"{occurrence['year']}年{name}（{occurrence['date']}）未在{window}之间走访",
                    festival=out, due_by=occurrence["window_to"])
    if on >= occurrence["window_from"]:
        return Item(duty, "outstanding", f"{occurrence['year']}年{name}为{occurrence['date']}，应在{window}之间走访，尚未走访",
                    festival=out, due_by=occurrence["window_to"])
    return Item(duty, "due", f"{occurrence['year']}年{name}为{occurrence['date']}，走访时间为{window}", festival=out,
                due_by=occurrence["window_to"])


def festival_item(duty: dict[str, Any], family: FamilyRecord, on: date) -> Item | None:
    """The festival visit that matters on ``on``: the window open or about to open, else the last one."""
    start = _started(duty, family)
    ahead = [o for o in occurrences(duty) if o["window_to"] >= on]
    if ahead:
        upcoming = min(ahead, key=lambda o: o["date"])
        if (upcoming["window_from"] - on).days <= DUE_SOON_DAYS:
            return festival_state(duty, family, upcoming, on)
    past = [o for o in occurrences(duty) if o["window_to"] < on and o["date"] >= start]
    if past:
        return festival_state(duty, family, max(past, key=lambda o: o["date"]), on)
    return None


# --- event-triggered visits ----------------------------------------------------------------------

def _birthdays(family: FamilyRecord, first: date, last: date) -> Iterable[tuple[str, date]]:
    for member in family.members:
        if member.role not in ("mother", "father") or member.birth_date is None:
            continue
        for year in range(first.year, last.year + 1):
            day = member.birth_date.replace(year=year, day=min(member.birth_date.day,
                                                              _calendar.monthrange(year, member.birth_date.month)[1]))
            alive = member.death_date is None or member.death_date > day
            if first <= day <= last and alive:
                yield ("birthday", day)


def triggers_of(duty: dict[str, Any]) -> tuple[set[str], list[str]]:
    """The register's event kinds that trigger the duty, and the names of the triggers it cannot see."""
    seen, unseen = set(), []
    for trigger in duty["values"]["triggers"]:
        if trigger.get("registry_event"):
            seen.add(trigger["registry_event"])
        elif trigger["event"] == "birthday":
            seen.add("birthday")  # from the members' dates of birth
        else:
            unseen.append(trigger["name"])
    return seen, unseen


def event_occurrences(duty: dict[str, Any], family: FamilyRecord, first: date, last: date) -> list[tuple[str, date]]:
    """The triggering events of the family that happened in [first, last], once it was in care."""
    kinds, _ = triggers_of(duty)
    first = max(first, _started(duty, family))
    found = [(k, d) for k, d in family.events if k in kinds and first <= d <= last]
    if "birthday" in kinds:
        found.extend(_birthdays(family, first, last))
    return sorted(found, key=lambda e: e[1])


EVENT_ZH = {"child_died": "子女亡故", "parent_died": "父母亡故", "birthday": "生日"}


def event_state(duty: dict[str, Any], family: FamilyRecord, kind: str, occurred: date, on: date) -> Item:
    values = duty["values"]
    deadline = occurred + timedelta(days=int(values["deadline_days"]))
    kinds = set(values["contact_kinds"])
    made = next((c.contacted_on for c in sorted(family.contacts, key=lambda c: c.contacted_on)
                 if c.kind in kinds and occurred <= c.contacted_on <= min(deadline, on)), None)
    name = EVENT_ZH.get(kind, kind)
    event = {"kind": kind, "name": name, "occurred_on": occurred}
    how = "或".join(KIND_ZH.get(k, k) for k in values["contact_kinds"])
    if made:
        return Item(duty, "met", f"{occurred}{name}，已于{made}{how}", event=event, last_contact_on=made)
    if on > deadline:
        return Item(duty, "overdue", f"{occurred}{name}，应在{deadline}前{how}，逾期未走访", event=event,
                    since=deadline + timedelta(days=1), due_by=deadline)
    return Item(duty, "outstanding", f"{occurred}{name}，应在{deadline}前{how}", event=event, due_by=deadline)


def event_items(duty: dict[str, Any], family: FamilyRecord, on: date) -> list[Item]:
    first = on - timedelta(days=EVENT_LOOKBACK_DAYS)
    return [event_state(duty, family, kind, day, on) for kind, day in event_occurrences(duty, family, first, on)]


# --- liaisons ------------------------------------------------------------------------------------

def required_posts(duty: dict[str, Any]) -> list[str]:
    values = duty["values"]
    posts = list(values.get("posts") or [])
    if not posts and (values.get("fixed_contact") or values.get("contact_group")):
        posts = ["any"]  # a contact group with one fixed contact: at least one liaison of any post
    return posts


def liaison_item(duty: dict[str, Any], family: FamilyRecord, on: date) -> Item:
    current = family.current_liaisons(on)
    held = {l.post for l in current}
    missing = [p for p in required_posts(duty) if (p == "any" and not current) or (p != "any" and p not in held)]
    if missing:
        names = "、".join(POST_ZH.get(p, "固定联系人") for p in missing)
        return Item(duty, "missing_liaison", f"缺少{names}", missing_posts=missing)
    shown = "、".join(f"{POST_ZH.get(l.post, l.post)}{l.name}" for l in current) or "无需指定"
    return Item(duty, "met", f"已配备：{shown}")


# --- one family, all duties ----------------------------------------------------------------------

def family_items(duties: Sequence[dict[str, Any]], family: FamilyRecord, on: date) -> list[Item]:
    """Every duty of the family on ``on``, with its state."""
    items: list[Item] = []
    for duty in duties:
        if duty["applies_to"] in NOT_COMPUTABLE:
            items.append(Item(duty, "not_computable", NOT_COMPUTABLE[duty["applies_to"]]))
        elif duty["kind"] == "contact":
            items.append(contact_item(duty, family, on))
        elif duty["kind"] == "festival_visit":
            item = festival_item(duty, family, on)
            if item is not None:
                items.append(item)
        elif duty["kind"] == "event_visit":
            items.extend(event_items(duty, family, on))
        elif duty["kind"] == "liaisons":
            items.append(liaison_item(duty, family, on))
    return items


# --- compliance over a period --------------------------------------------------------------------

@dataclass
class Outcome:
    """One family's part in one duty (one festival, one event) over a period."""

    key: tuple[str, str | None]  # (duty_id, festival date) — each festival is its own row
    duty: dict[str, Any]
    state: str  # met | missed | pending | not_computable
    reason: str = ""
    festival: dict[str, Any] | None = None


def period_outcomes(duties: Sequence[dict[str, Any]], family: FamilyRecord, first: date, last: date,
                    as_of: date) -> list[Outcome]:
    """How the family stood on each duty over [first, last], seen on ``as_of`` (≤ last)."""
    outcomes: list[Outcome] = []
    for duty in duties:
        key = (duty["duty_id"], None)
        if duty["applies_to"] in NOT_COMPUTABLE:
            outcomes.append(Outcome(key, duty, "not_computable", NOT_COMPUTABLE[duty["applies_to"]]))
        elif duty["kind"] == "contact":
            if _started(duty, family) > as_of:
                continue
            since = overdue_days(duty, family, first, as_of)
            if since is None:
                outcomes.append(Outcome(key, duty, "met"))
            else:
                kinds = "、".join(KIND_ZH.get(k, k) for k in duty["values"]["contact_kinds"])
                outcomes.append(Outcome(key, duty, "missed", f"{since}起逾期未{kinds}"))
        elif duty["kind"] == "festival_visit":
            for occurrence in occurrences(duty):
                if not first <= occurrence["date"] <= last or as_of < occurrence["window_from"]:
                    continue
                if _started(duty, family) > occurrence["window_to"]:
                    continue
                item = festival_state(duty, family, occurrence, as_of)
                state = {"met": "met", "missed": "missed"}.get(item.status, "pending")
                outcomes.append(Outcome((duty["duty_id"], occurrence["date"].isoformat()), duty, state, item.reason,
                                        festival=festival_out(duty, occurrence)))
        elif duty["kind"] == "event_visit":
            for kind, day in event_occurrences(duty, family, first, as_of):
                item = event_state(duty, family, kind, day, as_of)
                state = {"met": "met", "overdue": "missed"}.get(item.status, "pending")
                outcomes.append(Outcome(key, duty, state, item.reason))
        elif duty["kind"] == "liaisons":
            item = liaison_item(duty, family, as_of)
            outcomes.append(Outcome(key, duty, "met" if item.status == "met" else "missed", item.reason))
    return outcomes
