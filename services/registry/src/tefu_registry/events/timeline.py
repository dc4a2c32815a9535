"""From recorded events to facts: corrections applied, then the special-family status on a date.

``effective_facts`` replays the event rows in the order they were recorded: a correction
replaces (or voids) the event it names, so what remains is what the register now holds to be
true. ``special_family_status`` then answers, for any date, whether the family was a special
family (计划生育特殊家庭) on that day and which facts made it so or not, by the national rule:
the only child died, or holds a disability certificate of level 1–3 and has not recovered; no
later child was born or adopted; at least one parent is alive. ``child_history`` and ``marriage``
keep the order of what happened for the facts documents (facts_sql.py says the same in SQL).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tefu_common.i18n import Text
from tefu_registry.events.models import LifeEvent
from tefu_registry.events.schemas import SpecialFamilyStatus, StatusReason

LATER_CHILD_KINDS = ("later_child_born", "later_child_adopted")
QUALIFYING_LEVELS = (1, 2, 3)


@dataclass(frozen=True)
class Fact:
    """An event as it currently stands (after corrections)."""

    event_id: int
    kind: str
    occurred_on: date
    member: str | None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def level(self) -> int | None:
        return self.details.get("level")


def effective_facts(events: list[LifeEvent]) -> list[Fact]:
    """The family's facts in date order, with every correction applied."""
    current: dict[int, Fact] = {}
    for event in sorted(events, key=lambda e: e.id):
        if event.kind != "correction":
            current[event.id] = Fact(event.id, event.kind, event.occurred_on, event.member_role, dict(event.details))
            continue
        target = event.corrects_event_id
        replacement = event.details.get("replacement")
        if target is None:
            continue
        if replacement is None:
            current.pop(target, None)
        else:
            details = {k: v for k, v in replacement.items() if k not in ("kind", "occurred_on", "member", "note")}
            current[target] = Fact(
                target, replacement["kind"], date.fromisoformat(replacement["occurred_on"]),
                replacement.get("member"), details,
            )
    return sorted(current.values(), key=lambda f: (f.occurred_on, f.event_id))


@dataclass
class ChildState:
    """What the facts say about the only child on a date."""

    died_on: date | None = None
    certified_on: date | None = None
    level: int | None = None
    recovered_on: date | None = None


def child_state(facts: list[Fact], as_of: date) -> ChildState:
    state = ChildState()
    for fact in facts:
        if fact.occurred_on > as_of:
            break
        if fact.kind == "child_died" and state.died_on is None:
            state.died_on = fact.occurred_on
        elif fact.kind == "disability_certified":
            state.certified_on = state.certified_on or fact.occurred_on
            state.level, state.recovered_on = fact.level, None
        elif fact.kind == "disability_level_changed":
            state.level = fact.level
        elif fact.kind == "child_recovered":
            state.recovered_on = fact.occurred_on
    return state


def child_history(facts: list[Fact], as_of: date) -> list[dict[str, Any]]:
    """The only child's history up to ``as_of`` as dated entries, in the order they happened.

    It reads the facts as ``child_state`` does, keeping only what can follow what: a level change
    or a recovery counts while a certificate is held (after a certification not yet followed by a
    recovery); the first death ends the history. ``certificate`` is the certificate's disability
    category (GB/T 26341 digit): the number itself embeds the child's ID number and stays here.
    """
    history: list[dict[str, Any]] = []
    held = False
    for fact in facts:
        if fact.occurred_on > as_of:
            break
        level = certificate = None
        if fact.kind == "child_died":
            kind = "died"
        elif fact.kind == "disability_certified":
            kind, level, certificate, held = "disabled", fact.level, fact.details.get("category"), True
        elif fact.kind == "disability_level_changed" and held:
            kind, level = "level_changed", fact.level
        elif fact.kind == "child_recovered" and held:
            kind, held = "recovered", False
        else:
            continue
        history.append({"kind": kind, "on": fact.occurred_on.isoformat(), "level": level, "certificate": certificate})
        if kind == "died":
            break
    return history


MARRIAGE_KINDS = ("divorced", "remarried")
PARENTS = ("mother", "father")


def marriage(facts: list[Fact], as_of: date) -> list[dict[str, Any]]:
    """Divorces and remarriages up to ``as_of``, in date order (``member``: who remarried)."""
    return [{"kind": f.kind, "on": f.occurred_on.isoformat(), "member": f.member if f.member in PARENTS else None}
            for f in facts if f.kind in MARRIAGE_KINDS and f.occurred_on <= as_of]


def parent_death(facts: list[Fact], role: str, as_of: date | None = None) -> date | None:
    for fact in facts:
        if fact.kind == "parent_died" and fact.member == role and (as_of is None or fact.occurred_on <= as_of):
            return fact.occurred_on
    return None


def later_children(facts: list[Fact], as_of: date) -> list[Fact]:
    return [f for f in facts if f.kind in LATER_CHILD_KINDS and f.occurred_on <= as_of]


def region_on(facts: list[Fact], registered_region: str, as_of: date) -> str:
    region = registered_region
    for fact in facts:
        if fact.kind == "hukou_moved" and fact.occurred_on <= as_of:
            region = fact.details["to_region"]
    return region


def status_flag(facts: list[Fact], began: str, ended: str, as_of: date) -> bool:
    """Whether a status with began/ended events (低保, 特困) held on ``as_of``."""
    held = False
    for fact in facts:
        if fact.occurred_on > as_of:
            break
        if fact.kind == began:
            held = True
        elif fact.kind == ended:
            held = False
    return held


def _reason(code: str, on: date | None, zh: str, en: str) -> StatusReason:
    return StatusReason(code=code, on=on, detail=Text(zh, en).render())


def special_family_status(
    *, facts: list[Fact], child_joined_on: date | None, parent_roles: list[str], as_of: date
) -> SpecialFamilyStatus:
    reasons: list[StatusReason] = []
    basis = None
    if child_joined_on is not None and child_joined_on > as_of:
        reasons.append(_reason("child_not_yet_in_family", child_joined_on, "独生子女当时尚未出生或尚未被收养",
                               "the only child had not yet been born or adopted"))
    child = child_state(facts, as_of)
    if child.died_on:
        basis = "child_died"
        reasons.append(_reason("child_died", child.died_on, "独生子女死亡", "the only child died"))
    elif child.level in QUALIFYING_LEVELS and child.recovered_on is None:
        basis = "child_disabled"
        reasons.append(_reason("child_disabled", child.certified_on, f"独生子女持有{child.level}级残疾人证",
                               f"the only child holds a level {child.level} disability certificate"))
    elif child.recovered_on:
        reasons.append(_reason("child_recovered", child.recovered_on, "独生子女已康复，残疾不再计入",
                               "the only child recovered; the disability no longer counts"))
    elif child.level is not None:
        reasons.append(_reason("disability_level_4", child.certified_on, "四级残疾不构成特殊家庭（一至三级才构成）",
                               "a level 4 disability does not make a special family (levels 1–3 do)"))
    else:
        reasons.append(_reason("no_qualifying_event", None, "独生子女既未死亡，也未被评定为一至三级残疾",
                               "the only child has neither died nor been certified disabled at level 1–3"))
    later = later_children(facts, as_of)
    for fact in later:
        born = fact.kind == "later_child_born"
        reasons.append(_reason(fact.kind, fact.occurred_on,
                               f"家庭又{'生育' if born else '收养'}了子女，不再符合条件",
                               f"another child was {'born' if born else 'adopted'}; the family no longer qualifies"))
    living = [role for role in parent_roles if parent_death(facts, role, as_of) is None]
    if not living:
        reasons.append(_reason("no_living_parent", None, "家庭中已无在世的父母", "no parent of the family is alive"))
    special = basis is not None and not later and bool(living) and not (child_joined_on and child_joined_on > as_of)
    return SpecialFamilyStatus(as_of=as_of, special_family=special, basis=basis if special else None, reasons=reasons)
