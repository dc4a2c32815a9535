"""The facts a caller sends to ``POST /v1/evaluate`` (the registry's facts documents have the same shape).

Facts that contradict each other are refused with 422 naming the field, never guessed: a later
child dated before the only child (``later-child-before-only-child``), a disability level outside
1-4 (``disability-level-range``), a region code that does not exist (``region-code-unknown``), an
evaluation date before 1950 (``date-before-1950``), a child's history out of date order
(``child-history-order``), with an entry after the death (``child-history-after-death``), a level
change or recovery while no certificate is held (``child-history-no-certificate``) or saying
otherwise than ``status`` (``child-history-contradicts-status``). Each has its code and its reason
in Chinese and English; every one found is listed, not only the first.

The child's history (``child.history``) is what the rules read when it is given; an older caller's
single status (``status``, ``event_date``, ``disability_level``, ``recovered_on``) is read as the
history it implies.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tefu_common.errors import FieldError, Invalid, ValidationFailed
from tefu_common.money import MoneyDecimal
from tefu_common.regions import COUNTRY_CODE, validate_region_code
from tefu_eligibility.household import (
    NEVER,
    DisabilityPeriod,
    Household,
    Person,
    child_timeline,
    day,
    first_qualifying_day,
)

EARLIEST = date(1950, 1, 1)


class Facts(BaseModel):
    # Registry documents carry ids the evaluation passes through; anything else is refused.
    model_config = ConfigDict(extra="forbid")


class ParentFacts(Facts):
    id: int | None = Field(None, description="Registry member id (names the recipient of a payment).")
    role: Literal["mother", "father"]
    birth_date: date | None
    death_date: date | None = None
    in_resident_pension: bool = False
    monthly_basic_pension: MoneyDecimal | None = Field(None, description="Own monthly basic pension, yuan.")


class ChildHistoryEntry(Facts):
    kind: Literal["disabled", "level_changed", "recovered", "died"] = Field(
        description="disabled: a disability certificate issued (or issued again after a recovery); level_changed: "
                    "the level re-assessed while the certificate is held; recovered: the disability no longer "
                    "counts (the day itself still does); died: the child died (nothing may follow).")
    on: date
    level: int | None = Field(None, description="1 (most severe) to 4, for disabled and level_changed.")
    certificate: str | None = Field(None, max_length=20,
                                    description="The certificate's disability category (GB/T 26341 digit), if known.")


class ChildFacts(Facts):
    id: int | None = None
    birth_date: date | None
    adopted: bool = False
    adopted_on: date | None = Field(None, description="Adoption date of an adopted child.")
    status: Literal["deceased", "disabled", "living"] = Field(
        description="deceased: the child died; disabled: holds a disability certificate; living: neither.")
    event_date: date | None = Field(None, description="The death date, or the certification date.")
    disability_level: int | None = Field(None, description="1 (most severe) to 4, for a disabled child.")
    recovered_on: date | None = None
    in_resident_pension: bool = False
    history: list[ChildHistoryEntry] | None = Field(
        None, max_length=50, description="The child's certifications, level changes, recovery and death in date order (the "
                          "registry's facts documents carry it). When given, it decides: a child certified "
                          "disabled and later dead was a disabled family until the death and a bereaved one "
                          "after. Without it the history is read from `status`, `event_date`, "
                          "`disability_level` and `recovered_on`.")


class LaterChildFacts(Facts):
    kind: Literal["birth", "adoption"]
    date: date
    assisted_reproduction: bool = False
    parent: Literal["mother", "father"] | None = Field(
        None, description="The parent whose child it is alone (with a new spouse, after a divorce): it ends only "
                          "that parent's own benefits. Null: the couple's child, which ends both.")


class MarriageEntry(Facts):
    kind: Literal["divorced", "remarried"]
    on: date
    member: Literal["mother", "father"] | None = Field(None, description="Who remarried; null for the divorce.")


class FamilyFacts(Facts):
    region_code: str = Field(description="Hukou region (GB/T 2260, county or finer) on the evaluation date.")
    hukou_type: Literal["urban", "rural"]
    honor_certificate: bool = Field(False, description="Holds the 《独生子女父母光荣证》.")
    assistance_certificate: bool = Field(False, description="Holds the 《计划生育家庭特别扶助证》.")
    low_income: bool = Field(False, description="Receives the minimum living allowance (低保).")
    extreme_poverty: bool = Field(False, description="Verified extreme poverty (特困).")
    parents: list[ParentFacts] = Field(max_length=2)
    child: ChildFacts | None
    later_children: list[LaterChildFacts] = Field(default_factory=list, max_length=20)
    marriage: list[MarriageEntry] = Field(
        default_factory=list, max_length=20, description="The parents' divorce and remarriages in date order. After a divorce, "
                                          "\"the woman has reached 49\" is judged on a parent recipient's own age.")


EVALUATE_EXAMPLE = {
    "family_id": 7,
    "as_of": "2020-06-15",
    "family": {
        "region_code": "370306", "hukou_type": "rural", "honor_certificate": True, "assistance_certificate": False,
        "low_income": False, "extreme_poverty": False,
        "parents": [
            {"id": 11, "role": "mother", "birth_date": "1965-03-02", "death_date": None, "in_resident_pension": True,
             "monthly_basic_pension": "150.00"},
            {"id": 12, "role": "father", "birth_date": "1963-07-09", "death_date": None}],
        "child": {"id": 13, "birth_date": "1990-05-01", "adopted": False, "status": "deceased",
                  "event_date": "2019-03-10", "disability_level": None, "recovered_on": None},
        "later_children": [],
    },
}


class EvaluateRequest(Facts):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EVALUATE_EXAMPLE]})

    family_id: int | None = Field(None, description="Registry family id, when the facts come from the registry.")
    as_of: date
    on_the_day: bool = Field(
        False, description="Monthly and yearly benefits held on `as_of` itself, not on any day of its month or year "
                           "(whether a member holds a service today: a card desk's question).")
    family: FamilyFacts


def check_facts(request: EvaluateRequest, *, location: str = "body") -> None:
    """Raise 422 listing every contradiction, each with its field and code.

    ``location`` says where the facts came from: the request ``body``, or the registry's
    ``facts`` document of a registered family (a contradiction there is the register's to fix).
    """
    errors: list[FieldError] = []

    def fail(field: str, code: str, zh: str, en: str) -> None:
        errors.append(Invalid(code, zh, en).error(field, location=location))

    if request.as_of < EARLIEST:
        problem = too_early(request.as_of)
        errors.append(problem.error("as_of", location=location))
    family = request.family
    region = region_problem(family.region_code)
    if region is not None:
        errors.append(region.error("family.region_code", location=location))
    roles = [p.role for p in family.parents]
    for index, parent in enumerate(family.parents):
        where = f"family.parents.{index}"
        if roles.count(parent.role) > 1:
            fail(f"{where}.role", "parent-role-repeated", f"有两位{_ROLE_NAMES[parent.role]}",
                 f"two parents with the role {parent.role}")
        if parent.death_date and parent.birth_date and parent.death_date < parent.birth_date:
            fail(f"{where}.death_date", "death-before-birth", f"死亡日期 {parent.death_date} 早于出生日期 {parent.birth_date}",
                 f"the death date {parent.death_date} is before the birth date {parent.birth_date}")
        if parent.monthly_basic_pension is not None and parent.monthly_basic_pension < 0:
            fail(f"{where}.monthly_basic_pension", "pension-negative", "基本养老金不能为负数",
                 "the basic pension cannot be negative")
    child = family.child
    if child is not None:
        if child.disability_level is not None and not 1 <= child.disability_level <= 4:
            fail("family.child.disability_level", "disability-level-range",
                 f"残疾等级为一至四级（1–4），不能是 {child.disability_level}",
                 f"disability levels are 1 to 4, not {child.disability_level}")
        if child.status != "living" and child.event_date is None:
            fail("family.child.event_date", "child-event-date-missing",
                 "子女死亡的须填写死亡日期" if child.status == "deceased" else "子女残疾的须填写残疾评定日期",
                 f"a {child.status} child needs the date of the "
                 + ("death" if child.status == "deceased" else "certification"))
        if child.status == "disabled" and child.disability_level is None:
            fail("family.child.disability_level", "disability-level-missing", "子女残疾的须填写评定的残疾等级",
                 "a disabled child needs the certified level")
        if child.adopted and child.adopted_on is not None and child.birth_date and child.adopted_on < child.birth_date:
            fail("family.child.adopted_on", "adoption-before-birth",
                 f"收养日期 {child.adopted_on} 早于子女出生日期 {child.birth_date}",
                 f"the adoption date {child.adopted_on} is before the child's birth date {child.birth_date}")
        if child.event_date and child.birth_date and child.event_date < child.birth_date:
            fail("family.child.event_date", "child-event-before-birth",
                 f"死亡或评定日期 {child.event_date} 早于子女出生日期 {child.birth_date}",
                 f"the date {child.event_date} is before the child's birth date {child.birth_date}")
        if child.status == "disabled" and child.recovered_on and (
                child.event_date is None or child.recovered_on < child.event_date):
            fail("family.child.recovered_on", "recovery-before-certification",
                 f"康复日期 {child.recovered_on} 早于残疾评定日期" + (f" {child.event_date}" if child.event_date else ""),
                 f"the recovery date {child.recovered_on} is before the certification date")
        if child.history is not None:
            _check_history(child, fail)
        joined = child.adopted_on if child.adopted and child.adopted_on else child.birth_date
        for index, later in enumerate(family.later_children):
            if joined and later.date < joined:
                fail(f"family.later_children.{index}.date", "later-child-before-only-child",
                     f"{later.date} 早于独生子女出生（或被收养）的日期 {joined}",
                     f"{later.date} is before the only child joined the family ({joined})")
    elif family.later_children:
        fail("family.later_children", "later-children-without-child", "没有独生子女，却填写了再生育或收养的子女",
             "later children without the only child")
    for index, later in enumerate(family.later_children):
        if later.parent is not None and later.parent not in roles:
            fail(f"family.later_children.{index}.parent", "later-child-parent-missing",
                 f"填写的是{_ROLE_NAMES[later.parent]}再生育或收养的子女，但没有填写{_ROLE_NAMES[later.parent]}",
                 f"a later child of the {later.parent}, but no {later.parent} is given")
    for index, entry in enumerate(family.marriage):
        if index and entry.on < family.marriage[index - 1].on:
            fail(f"family.marriage.{index}.on", "marriage-order", "婚姻变动须按日期先后填写",
                 "marriage entries must be in date order")
        if entry.kind == "remarried" and entry.member is None:
            fail(f"family.marriage.{index}.member", "remarried-member-missing", "再婚须写明是母亲还是父亲",
                 "a remarriage names the mother or the father")
    if errors:
        raise ValidationFailed(errors)


def _check_history(child: ChildFacts, fail: Any) -> None:
    """The child's history must be a possible one: in date order, levels 1–4, a level change or a
    recovery only while a certificate is held, nothing after the death, and saying what ``status``
    says."""
    assert child.history is not None
    held = died = False
    for index, entry in enumerate(child.history):
        where = f"family.child.history.{index}"
        if died:
            fail(f"{where}.kind", "child-history-after-death", f"{entry.on} 的记录在子女死亡之后",
                 f"the entry of {entry.on} follows the child's death")
            break
        if index and entry.on < child.history[index - 1].on:
            fail(f"{where}.on", "child-history-order",
                 f"子女的经历须按日期先后填写：{entry.on} 早于上一条的 {child.history[index - 1].on}",
                 f"the child's history must be in date order: {entry.on} is before {child.history[index - 1].on}")
        if child.birth_date and entry.on < child.birth_date:
            fail(f"{where}.on", "child-event-before-birth", f"{entry.on} 早于子女出生日期 {child.birth_date}",
                 f"the date {entry.on} is before the child's birth date {child.birth_date}")
        if entry.kind in ("disabled", "level_changed"):
            if entry.level is None:
                fail(f"{where}.level", "disability-level-missing", "残疾评定和等级变更须填写残疾等级",
                     "a certification or a level change needs the level")
            elif not 1 <= entry.level <= 4:
                fail(f"{where}.level", "disability-level-range", f"残疾等级为一至四级（1–4），不能是 {entry.level}",
                     f"disability levels are 1 to 4, not {entry.level}")
        if entry.kind in ("level_changed", "recovered") and not held:
            fail(f"{where}.kind", "child-history-no-certificate",
                 f"{entry.on} 的{'等级变更' if entry.kind == 'level_changed' else '康复'}之前子女没有持有残疾人证",
                 f"the {entry.kind.replace('_', ' ')} of {entry.on} comes while the child holds no certificate")
        held = entry.kind in ("disabled", "level_changed") or (held and entry.kind != "recovered")
        died = entry.kind == "died"
    said = "deceased" if died else "disabled" if any(e.kind == "disabled" for e in child.history) else "living"
    if said != child.status:
        fail("family.child.status", "child-history-contradicts-status",
             f"子女状态为 {child.status}，与其经历（{_STATUS_ZH[said]}）不符",
             f"the status {child.status} contradicts the child's history ({said})")


_STATUS_ZH = {"deceased": "已死亡", "disabled": "持有残疾人证", "living": "未死亡也未评定残疾"}


def too_early(as_of: date) -> Invalid:
    """An evaluation date before the special-assistance system had any rule."""
    return Invalid("date-before-1950", f"日期 {as_of} 早于 {EARLIEST}：此前没有计划生育扶助的规定",
                   f"{as_of} is before {EARLIEST}: the special-assistance system has no rules before")


def region_problem(code: str) -> Invalid | None:
    """Why ``code`` cannot be a family's hukou region (None when it can)."""
    if code == COUNTRY_CODE:
        return Invalid("region-code-country", "家庭的户籍地须是具体的行政区划，不能是全国（000000）",
                       "a family's hukou region is a division, not the whole country (000000)")
    try:
        validate_region_code(code)
    except Invalid as problem:
        return problem
    return None


_ROLE_NAMES = {"mother": "母亲", "father": "父亲"}


def history_entries(child: ChildFacts) -> list[tuple[str, int, int | None]]:
    """(kind, day, level) of the child's history; without ``history``, read from the single status
    as before: a death, or a certification and perhaps a recovery."""
    if child.history is not None:
        return [(e.kind, e.on.toordinal(), e.level) for e in child.history]
    if child.status == "deceased":
        return [("died", day(child.event_date), None)]
    if child.status == "disabled":
        entries = [("disabled", day(child.event_date), child.disability_level)]
        if child.recovered_on is not None:
            entries.append(("recovered", child.recovered_on.toordinal(), None))
        return entries
    return []


def first_later_child(later: list[LaterChildFacts], role: str | None = None) -> int:
    """The first later child (of ``role`` alone or of the couple, when ``role`` is given)."""
    return min((day(c.date) for c in later if role is None or c.parent in (None, role)), default=NEVER)


def to_household(request: EvaluateRequest) -> Household:
    family = request.family
    people = {p.role: _person(p) for p in family.parents}
    child = family.child
    child_person = None
    child_death = child_certified = child_joined = NEVER
    periods: tuple[DisabilityPeriod, ...] = ()
    if child is not None:
        child_death, periods = child_timeline(history_entries(child))
        # As a recipient the child counts as living only before the day of the death, which is the
        # day the family becomes a special family (a parent's benefits run through the day of death).
        child_person = Person("child", child.id, child.birth_date, child_death - 1 if child_death != NEVER else NEVER,
                              child.in_resident_pension, None)
        child_certified = first_qualifying_day(periods)
        child_joined = day(child.adopted_on if child.adopted and child.adopted_on else child.birth_date)
    later = family.later_children
    assisted = [day(c.date) for c in later if c.kind == "birth" and c.assisted_reproduction]
    return Household(
        family_id=request.family_id,
        region_code=family.region_code,
        urban=family.hukou_type == "urban",
        honor_certificate=family.honor_certificate,
        assistance_certificate=family.assistance_certificate,
        low_income=family.low_income,
        extreme_poverty=family.extreme_poverty,
        mother=people.get("mother"),
        father=people.get("father"),
        child=child_person,
        child_death=child_death,
        child_periods=periods,
        child_certified=child_certified,
        child_joined=child_joined,
        later_child=first_later_child(later),
        later_child_mother=first_later_child(later, "mother"),
        later_child_father=first_later_child(later, "father"),
        assisted_rebirth=min(assisted, default=NEVER),
        divorced=min((e.on.toordinal() for e in family.marriage if e.kind == "divorced"), default=NEVER),
    )


def _person(parent: ParentFacts) -> Person:
    pension = Decimal(parent.monthly_basic_pension) if parent.monthly_basic_pension is not None else None
    return Person(parent.role, parent.id, parent.birth_date, day(parent.death_date), parent.in_resident_pension, pension)
