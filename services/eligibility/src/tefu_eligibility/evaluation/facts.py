"""The facts a caller sends to ``POST /v1/evaluate`` (the registry's facts documents have the same shape).

Facts that contradict each other are refused with 422 naming the field, never guessed: a later
child dated before the only child, a disability level outside 1-4, a region code that does not
exist, an evaluation date before 1950.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tefu_common.errors import ValidationFailed
from tefu_common.money import MoneyDecimal
from tefu_common.regions import region_table
from tefu_eligibility.household import NEVER, Household, Person, day

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


class LaterChildFacts(Facts):
    kind: Literal["birth", "adoption"]
    date: date
    assisted_reproduction: bool = False


class FamilyFacts(Facts):
    region_code: str = Field(description="Hukou region (GB/T 2260, county or finer) on the evaluation date.")
    hukou_type: Literal["urban", "rural"]
    honor_certificate: bool = Field(False, description="Holds the 《独生子女父母光荣证》.")
    assistance_certificate: bool = Field(False, description="Holds the 《计划生育家庭特别扶助证》.")
    low_income: bool = Field(False, description="Receives the minimum living allowance (低保).")
    extreme_poverty: bool = Field(False, description="Verified extreme poverty (特困).")
    parents: list[ParentFacts] = Field(max_length=2)
    child: ChildFacts | None
    later_children: list[LaterChildFacts] = Field(default_factory=list)


class EvaluateRequest(Facts):
    family_id: int | None = Field(None, description="Registry family id, when the facts come from the registry.")
    as_of: date
    on_the_day: bool = Field(
        False, description="Monthly and yearly benefits held on `as_of` itself, not on any day of its month or year "
                           "(whether a member holds a service today: a card desk's question).")
    family: FamilyFacts


def check_facts(request: EvaluateRequest) -> None:
    """Raise 422 listing every contradiction, each with its field."""
    errors: list[dict[str, Any]] = []

    def fail(field: str, message: str) -> None:
        errors.append({"field": field, "message": message, "type": "value_error"})

    if request.as_of < EARLIEST:
        fail("as_of", f"must be on or after {EARLIEST}; the special-assistance system has no rules before")
    family = request.family
    if region_table().get(family.region_code) is None and not _known_subdivision(family.region_code):
        fail("family.region_code", f"{family.region_code!r} is not a GB/T 2260 region code")
    roles = [p.role for p in family.parents]
    for index, parent in enumerate(family.parents):
        where = f"family.parents[{index}]"
        if roles.count(parent.role) > 1:
            fail(f"{where}.role", f"two parents with the role {parent.role}")
        if parent.death_date and parent.birth_date and parent.death_date < parent.birth_date:
            fail(f"{where}.death_date", "is before the birth date")
        if parent.monthly_basic_pension is not None and parent.monthly_basic_pension < 0:
            fail(f"{where}.monthly_basic_pension", "cannot be negative")
    child = family.child
    if child is not None:
        if child.disability_level is not None and not 1 <= child.disability_level <= 4:
            fail("family.child.disability_level", f"disability levels are 1 to 4, not {child.disability_level}")
        if child.status != "living" and child.event_date is None:
            fail("family.child.event_date", f"a {child.status} child needs the date of the death or certification")
        if child.status == "disabled" and child.disability_level is None:
            fail("family.child.disability_level", "a disabled child needs the certified level")
        if child.adopted and child.adopted_on is not None and child.birth_date and child.adopted_on < child.birth_date:
            fail("family.child.adopted_on", "is before the child's birth date")
        if child.event_date and child.birth_date and child.event_date < child.birth_date:
            fail("family.child.event_date", "is before the child's birth date")
        if child.recovered_on and (child.event_date is None or child.recovered_on < child.event_date):
            fail("family.child.recovered_on", "is before the certification date")
        joined = child.adopted_on if child.adopted and child.adopted_on else child.birth_date
        for index, later in enumerate(family.later_children):
            if joined and later.date < joined:
                fail(f"family.later_children[{index}].date",
                     f"{later.date} is before the only child joined the family ({joined})")
    elif family.later_children:
        fail("family.later_children", "later children without the only child")
    if errors:
        raise ValidationFailed(f"{len(errors)} problem(s) in the facts", errors=errors)


def _known_subdivision(code: str) -> bool:
    """Township (9) and village (12) codes are accepted when their county exists."""
    return len(code) in (9, 12) and code.isdigit() and region_table().get(code[:6]) is not None


def to_household(request: EvaluateRequest) -> Household:
    family = request.family
    people = {p.role: _person(p) for p in family.parents}
    child = family.child
    child_person = None
    child_death = child_certified = child_recovered = child_joined = NEVER
    level = 0
    if child is not None:
        died = day(child.event_date) if child.status == "deceased" else NEVER
        # As a recipient the child counts as living only before the day of the death, which is the
        # day the family becomes a special family (a parent's benefits run through the day of death).
        child_person = Person("child", child.id, child.birth_date, died - 1 if died != NEVER else NEVER,
                              child.in_resident_pension, None)
        child_death = died
        if child.status == "disabled":
            child_certified = day(child.event_date)
            level = child.disability_level or 0
            child_recovered = day(child.recovered_on)
        child_joined = day(child.adopted_on if child.adopted and child.adopted_on else child.birth_date)
    later = sorted(family.later_children, key=lambda c: c.date)
    assisted = [c.date for c in later if c.kind == "birth" and c.assisted_reproduction]
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
        child_certified=child_certified,
        child_level=level,
        child_recovered=child_recovered,
        child_joined=child_joined,
        later_child=day(later[0].date) if later else NEVER,
        assisted_rebirth=day(assisted[0]) if assisted else NEVER,
    )


def _person(parent: ParentFacts) -> Person:
    pension = Decimal(parent.monthly_basic_pension) if parent.monthly_basic_pension is not None else None
    return Person(parent.role, parent.id, parent.birth_date, day(parent.death_date), parent.in_resident_pension, pension)
