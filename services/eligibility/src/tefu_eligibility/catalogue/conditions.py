"""The condition language of the rule files: one definition, two evaluators.

A condition in a rule file is a tree of mappings:

    all: [ ... ]          every branch holds
    any: [ ... ]          at least one branch holds
    not: { ... }          the branch does not hold
    ref: name             a named condition defined in the catalogue (national or above the region)
    <predicate>: <value>  one of the predicates below

Each predicate says whether it holds for a recipient of a household *on a given day*, in two
forms that must agree (tests check them against each other on random households):
- ``holds(household, recipient, day)`` for one household, used by the explaining evaluator;
- ``vector(rows, days)`` for numpy arrays of many recipients at once, used by bulk entitlements.
``days`` broadcasts against the rows: ``(1, D)`` for the days of a month, ``(rows, 1)`` for one
trigger day per recipient. Nothing here evaluates strings as code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Protocol

import numpy as np

from tefu_eligibility.catalogue.errors import ConditionError
from tefu_eligibility.household import NEVER, PARENT_ROLES, Household, Person, turning


class Rows(Protocol):
    """What the vector form reads: per-recipient arrays (see entitlements/columns.py)."""

    def __getattr__(self, name: str) -> np.ndarray: ...
    def turning(self, whose: str, years: int) -> np.ndarray: ...


class Condition:
    def holds(self, household: Household, recipient: Person | None, day: int) -> bool:
        raise NotImplementedError

    def vector(self, rows: Rows, days: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def leaves(self) -> list[Predicate]:
        raise NotImplementedError

    def to_data(self) -> Any:
        """The condition as it reads in a rule file (for the policies API)."""
        raise NotImplementedError


class Predicate(Condition):
    name: ClassVar[str]
    recipient_level: ClassVar[bool] = False  # reads the recipient, not only the household

    def __init__(self, value: Any) -> None:
        self.value = self.check(value)

    def check(self, value: Any) -> Any:
        if value is not True and value is not False:
            raise ConditionError("condition-not-a-flag", f"{self.name} 的取值应为 true 或 false，而不是 {value!r}",
                                 f"{self.name} takes true or false, not {value!r}")
        return value

    def leaves(self) -> list[Predicate]:
        return [self]

    def to_data(self) -> Any:
        return {self.name: self.value.isoformat() if isinstance(self.value, date) else self.value}

    def describe(self, household: Household, recipient: Person | None) -> str:
        """What the facts say about this predicate, in words a clerk reads."""
        raise NotImplementedError


class _Flag(Predicate):
    """A yes/no fact of the household (certificates, 低保, 特困)."""

    attribute: ClassVar[str]
    label: ClassVar[str]

    def holds(self, household: Household, recipient: Person | None, day: int) -> bool:
        return getattr(household, self.attribute) is self.value

    def vector(self, rows: Rows, days: np.ndarray) -> np.ndarray:
        column = getattr(rows, self.attribute)
        return (column if self.value else ~column)[:, None]

    def describe(self, household: Household, recipient: Person | None) -> str:
        return ("持有" if getattr(household, self.attribute) else "未持有") + self.label if self.label.startswith("《") \
            else ("享受" if getattr(household, self.attribute) else "未享受") + self.label


class HonorCertificate(_Flag):
    name, attribute, label = "honor_certificate", "honor_certificate", "《独生子女父母光荣证》"


class AssistanceCertificate(_Flag):
    name, attribute, label = "assistance_certificate", "assistance_certificate", "《计划生育家庭特别扶助证》"


class LowIncome(_Flag):
    name, attribute, label = "low_income", "low_income", "最低生活保障（低保）"


class ExtremePoverty(_Flag):
    name, attribute, label = "extreme_poverty", "extreme_poverty", "特困人员救助供养（经核定的特困家庭）"


class HukouType(Predicate):
    name = "hukou_type"

    def check(self, value: Any) -> Any:
        if value not in ("urban", "rural"):
            raise ConditionError("condition-hukou-type", f"hukou_type 的取值应为 urban 或 rural，而不是 {value!r}",
                                 f"hukou_type is urban or rural, not {value!r}")
        return value

    def holds(self, household: Household, recipient: Person | None, day: int) -> bool:
        return household.urban is (self.value == "urban")

    def vector(self, rows: Rows, days: np.ndarray) -> np.ndarray:
        return (rows.urban if self.value == "urban" else ~rows.urban)[:, None]

    def describe(self, household: Household, recipient: Person | None) -> str:
        return "城镇户籍" if household.urban else "农村户籍"


class ChildDeceased(Predicate):
    name = "child_deceased"

    def holds(self, household: Household, recipient: Person | None, day: int) -> bool:
        return (household.child_death <= day) is self.value

    def vector(self, rows: Rows, days: np.ndarray) -> np.ndarray:
        died = rows.child_death[:, None] <= days
        return died if self.value else ~died

    def describe(self, household: Household, recipient: Person | None) -> str:
        if household.child_death == NEVER:
            return "独生子女未死亡"
        return f"独生子女于{date.fromordinal(household.child_death)}死亡"


class ChildDisabled(Predicate):
    """Certified disabled at level 1 to ``value`` (三级以上 is 3: level 3 counts, level 4 does not)."""

    name = "child_disabled_at_level"

    def check(self, value: Any) -> Any:
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 4:
            raise ConditionError("condition-disability-level",
                                 f"child_disabled_at_level 的取值是符合条件的最低残疾等级（1 至 4），而不是 {value!r}",
                                 f"child_disabled_at_level takes the lowest qualifying level, 1 to 4, not {value!r}")
        return value

    def holds(self, household: Household, recipient: Person | None, day: int) -> bool:
        # Inside a disability period of a qualifying level (a level change splits periods; a
        # recovery or the death ends one).
        return any(p.start <= day <= p.end and 1 <= p.level <= self.value for p in household.child_periods)

    def vector(self, rows: Rows, days: np.ndarray) -> np.ndarray:
        start, end, level = rows.child_period_start, rows.child_period_end, rows.child_period_level
        result = np.zeros((rows.size, 1), dtype=bool)
        for k in range(start.shape[1]):
            level_ok = ((level[:, k] >= 1) & (level[:, k] <= self.value))[:, None]
            result = result | (level_ok & (start[:, k, None] <= days) & (days <= end[:, k, None]))
        return result

    def describe(self, household: Household, recipient: Person | None) -> str:
        periods = household.child_periods
        if not periods:
            return "独生子女无残疾证" if household.child_death == NEVER else "独生子女已死亡（死亡前未持有残疾人证）"
        parts = []
        for index, period in enumerate(periods):
            text = f"{date.fromordinal(period.start)}起为{period.level}级残疾"
            if period.level > self.value:
                text += f"（需{'一二三四'[self.value - 1]}级以上）"
            following = periods[index + 1] if index + 1 < len(periods) else None
            if period.end != NEVER and (following is None or following.start != period.end + 1):
                death_next = household.child_death == period.end + 1
                text += "" if death_next else f"，{date.fromordinal(period.end)}康复"
            parts.append(text)
        text = "独生子女" + "；".join(parts)
        if household.child_death != NEVER:
            text += f"；{date.fromordinal(household.child_death)}死亡"
        return text


class NoLaterChild(Predicate):
    name = "no_later_child"

    """No later child born or adopted: for a parent, none of that parent's own (with a new spouse)
    or of the couple; for the household, none at all."""

    def holds(self, household: Household, recipient: Person | None, day: int) -> bool:
        return (day <= household.later_child_for(recipient)) is self.value

    def vector(self, rows: Rows, days: np.ndarray) -> np.ndarray:
        none_yet = days <= rows.recipient_later_child[:, None]
        return none_yet if self.value else ~none_yet

    def describe(self, household: Household, recipient: Person | None) -> str:
        later = household.later_child_for(recipient)
        if later == NEVER:
            if household.later_child != NEVER and recipient is not None:
                return f"{_ROLE_NAMES[recipient.role]}本人未再生育或收养子女（另一方与他人再生育或收养不影响）"
            return "未再生育或收养子女"
        return f"{date.fromordinal(later)}再生育或收养子女（此后不再符合）"


class ChildJoinedOnOrBefore(Predicate):
    """The only child was born (or, if adopted, adopted) on or before a date."""

    name = "child_joined_on_or_before"

    def check(self, value: Any) -> Any:
        if not isinstance(value, date):
            raise ConditionError("condition-not-a-date", f"child_joined_on_or_before 的取值应为日期，而不是 {value!r}",
                                 f"child_joined_on_or_before takes a date, not {value!r}")
        return value

    def holds(self, household: Household, recipient: Person | None, day: int) -> bool:
        return household.child_joined <= self.value.toordinal()

    def vector(self, rows: Rows, days: np.ndarray) -> np.ndarray:
        return (rows.child_joined <= self.value.toordinal())[:, None]

    def describe(self, household: Household, recipient: Person | None) -> str:
        if household.child_joined == NEVER:
            return "独生子女出生（收养）日期未知"
        return f"独生子女于{date.fromordinal(household.child_joined)}出生或被收养（须在{self.value}前）"


class ParentsBornOnOrAfter(Predicate):
    name = "parents_born_on_or_after"

    def check(self, value: Any) -> Any:
        if not isinstance(value, date):
            raise ConditionError("condition-not-a-date", f"parents_born_on_or_after 的取值应为日期，而不是 {value!r}",
                                 f"parents_born_on_or_after takes a date, not {value!r}")
        return value

    def holds(self, household: Household, recipient: Person | None, day: int) -> bool:
        return all(p.birth_date is not None and p.birth_date >= self.value for p in household.parents)

    def vector(self, rows: Rows, days: np.ndarray) -> np.ndarray:
        return (rows.parents_born_from >= self.value.toordinal())[:, None]

    def describe(self, household: Household, recipient: Person | None) -> str:
        born = "、".join(f"{_ROLE_NAMES[p.role]}{p.birth_date}出生" for p in household.parents)
        return f"{born}（夫妻双方须在{self.value}以后出生）"


class _Age(Predicate):
    """An age threshold: ``at least`` holds from the birthday on; ``below`` until the day before."""

    at_least: ClassVar[bool]
    whose: ClassVar[str]  # recipient | mother | woman

    def check(self, value: Any) -> Any:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 150:
            raise ConditionError("condition-not-an-age", f"{self.name} 的取值应为周岁数，而不是 {value!r}",
                                 f"{self.name} takes an age in years, not {value!r}")
        return value

    def _person(self, household: Household, recipient: Person | None, day: int) -> Person | None:
        if self.whose == "recipient":
            return recipient
        if self.whose == "mother":
            return household.mother
        # The woman's age decides for a couple; "a single surviving or divorced parent must be 49
        # himself": after a divorce a parent recipient's own age decides (a remarriage does not
        # change it: the new spouse is not the only child's parent), and when there is no living
        # mother, the father's. A household benefit keeps the couple's rule.
        if recipient is not None and recipient.role in PARENT_ROLES and household.divorced <= day:
            return recipient
        mother = household.mother
        if mother is not None and mother.alive_on(day):
            return mother
        return household.father

    def holds(self, household: Household, recipient: Person | None, day: int) -> bool:
        person = self._person(household, recipient, day)
        if person is None:
            return False
        reached = turning(person.birth_date, self.value) <= day
        return reached if self.at_least else person.birth_date is not None and not reached

    def vector(self, rows: Rows, days: np.ndarray) -> np.ndarray:
        if self.whose == "woman":
            mother_alive = rows.mother_present[:, None] & (days <= rows.mother_death[:, None])
            birthday = np.where(mother_alive, rows.turning("mother", self.value)[:, None],
                                rows.turning("father", self.value)[:, None])
            known = mother_alive | rows.father_present[:, None]
            own = rows.recipient_is_parent[:, None] & (rows.divorced[:, None] <= days)
            if own.any():
                birthday = np.where(own, rows.turning("recipient", self.value)[:, None], birthday)
                known = known | own
        else:
            birthday = rows.turning(self.whose, self.value)[:, None]
            known = rows.mother_present[:, None] if self.whose == "mother" else True
        reached = birthday <= days
        return known & (reached if self.at_least else ~reached & (birthday < NEVER))

    def describe(self, household: Household, recipient: Person | None) -> str:
        divorced_parent = (self.whose == "woman" and recipient is not None and recipient.role in PARENT_ROLES
                           and household.divorced != NEVER)
        person = self._person(household, recipient, NEVER - 1) if self.whose != "woman" or divorced_parent else (
            household.mother if household.mother is not None else household.father)
        if divorced_parent and person is not None:
            since = date.fromordinal(household.divorced)
            prefix = f"{since}离婚，此后看本人年龄：" if person.birth_date is not None else f"{since}离婚，"
            return prefix + self._age_text(person)
        if person is None:
            return f"无{'女方' if self.whose != 'recipient' else '领取人'}信息"
        return self._age_text(person)

    def _age_text(self, person: Person) -> str:
        if person.birth_date is None:
            return f"{_ROLE_NAMES[person.role]}出生日期未知"
        reached = date.fromordinal(turning(person.birth_date, self.value))
        return f"{_ROLE_NAMES[person.role]}{person.birth_date}出生，{reached}年满{self.value}周岁"


class WomanAgeAtLeast(_Age):
    name, at_least, whose = "woman_age_at_least", True, "woman"


class MotherAgeBelow(_Age):
    name, at_least, whose = "mother_age_below", False, "mother"


class RecipientAgeAtLeast(_Age):
    name, at_least, whose, recipient_level = "recipient_age_at_least", True, "recipient", True


class RecipientAgeBelow(_Age):
    name, at_least, whose, recipient_level = "recipient_age_below", False, "recipient", True


class RecipientAlive(Predicate):
    """The recipient lives on the day; for a household benefit, at least one parent does."""

    name = "recipient_alive"

    def holds(self, household: Household, recipient: Person | None, day: int) -> bool:
        if recipient is None:
            alive = any(p.alive_on(day) for p in household.parents)
        else:
            alive = recipient.alive_on(day)
        return alive is self.value

    def vector(self, rows: Rows, days: np.ndarray) -> np.ndarray:
        alive = days <= rows.recipient_death[:, None]
        return alive if self.value else ~alive

    def describe(self, household: Household, recipient: Person | None) -> str:
        people = [recipient] if recipient is not None else household.parents
        dead = [p for p in people if p.death != NEVER]
        if not dead:
            return "在世"
        return "，".join(
            f"{_ROLE_NAMES[p.role]}于{date.fromordinal(household.child_death if p.role == 'child' else p.death)}死亡"
            for p in dead)


class RecipientInResidentPension(Predicate):
    name, recipient_level = "recipient_in_resident_pension", True

    def holds(self, household: Household, recipient: Person | None, day: int) -> bool:
        return recipient is not None and recipient.in_resident_pension is self.value

    def vector(self, rows: Rows, days: np.ndarray) -> np.ndarray:
        return (rows.recipient_in_pension if self.value else ~rows.recipient_in_pension)[:, None]

    def describe(self, household: Household, recipient: Person | None) -> str:
        joined = recipient is not None and recipient.in_resident_pension
        who = _ROLE_NAMES[recipient.role] if recipient is not None else ""
        return f"{who}{'已' if joined else '未'}参加城乡居民基本养老保险"


PREDICATES: dict[str, type[Predicate]] = {
    cls.name: cls
    for cls in (
        HonorCertificate, AssistanceCertificate, LowIncome, ExtremePoverty, HukouType, ChildDeceased,
        ChildDisabled, NoLaterChild, ChildJoinedOnOrBefore, ParentsBornOnOrAfter, WomanAgeAtLeast,
        MotherAgeBelow, RecipientAgeAtLeast, RecipientAgeBelow, RecipientAlive, RecipientInResidentPension,
    )
}

_ROLE_NAMES = {"mother": "母亲", "father": "父亲", "child": "子女"}


@dataclass
class All(Condition):
    parts: list[Condition]

    def holds(self, household: Household, recipient: Person | None, day: int) -> bool:
        return all(part.holds(household, recipient, day) for part in self.parts)

    def vector(self, rows: Rows, days: np.ndarray) -> np.ndarray:
        if not self.parts:
            return np.ones((rows.size, 1), dtype=bool)
        result = self.parts[0].vector(rows, days)
        for part in self.parts[1:]:
            result = result & part.vector(rows, days)
        return result

    def leaves(self) -> list[Predicate]:
        return [leaf for part in self.parts for leaf in part.leaves()]

    def to_data(self) -> Any:
        return {"all": [part.to_data() for part in self.parts]}


@dataclass
class Any_(Condition):
    parts: list[Condition]

    def holds(self, household: Household, recipient: Person | None, day: int) -> bool:
        return any(part.holds(household, recipient, day) for part in self.parts)

    def vector(self, rows: Rows, days: np.ndarray) -> np.ndarray:
        result = self.parts[0].vector(rows, days)
        for part in self.parts[1:]:
            result = result | part.vector(rows, days)
        return result

    def leaves(self) -> list[Predicate]:
        return [leaf for part in self.parts for leaf in part.leaves()]

    def to_data(self) -> Any:
        return {"any": [part.to_data() for part in self.parts]}


@dataclass
class Not(Condition):
    part: Condition

    def holds(self, household: Household, recipient: Person | None, day: int) -> bool:
        return not self.part.holds(household, recipient, day)

    def vector(self, rows: Rows, days: np.ndarray) -> np.ndarray:
        return ~self.part.vector(rows, days)

    def leaves(self) -> list[Predicate]:
        return self.part.leaves()

    def to_data(self) -> Any:
        return {"not": self.part.to_data()}


@dataclass
class During(Condition):
    """``part`` must hold only between two days (a document's extra condition while it is in force)."""

    start: int
    end: int
    part: Condition

    def holds(self, household: Household, recipient: Person | None, day: int) -> bool:
        return not self.start <= day <= self.end or self.part.holds(household, recipient, day)

    def vector(self, rows: Rows, days: np.ndarray) -> np.ndarray:
        return ((days < self.start) | (days > self.end)) | self.part.vector(rows, days)

    def leaves(self) -> list[Predicate]:
        return self.part.leaves()

    def to_data(self) -> Any:
        return self.part.to_data()


@dataclass
class Ref(Condition):
    """A named condition, resolved when a region's rule set is built."""

    name: str
    target: Condition | None = None

    def _resolved(self) -> Condition:
        if self.target is None:
            raise ConditionError("condition-unresolved", f"条件 {self.name!r} 未被解析",
                                 f"condition {self.name!r} was never resolved")
        return self.target

    def holds(self, household: Household, recipient: Person | None, day: int) -> bool:
        return self._resolved().holds(household, recipient, day)

    def vector(self, rows: Rows, days: np.ndarray) -> np.ndarray:
        return self._resolved().vector(rows, days)

    def leaves(self) -> list[Predicate]:
        return self._resolved().leaves()

    def to_data(self) -> Any:
        return {"ref": self.name}


TRUE = All([])


def parse_condition(data: Any, where: str) -> Condition:
    """Build a condition tree from its YAML form; errors name the place in the file."""
    if not isinstance(data, dict) or len(data) != 1:
        raise ConditionError("condition-shape", f"条件应是只有一个键的映射，而不是 {data!r}",
                             f"a condition is a mapping with exactly one key, got {data!r}", where=where)
    (key, value), = data.items()
    if key in ("all", "any"):
        if not isinstance(value, list) or not value:
            raise ConditionError("condition-empty-list", "需要一个非空的条件列表", "needs a non-empty list of conditions",
                                 where=f"{where}.{key}")
        parts = [parse_condition(item, f"{where}.{key}[{i}]") for i, item in enumerate(value)]
        return All(parts) if key == "all" else Any_(parts)
    if key == "not":
        return Not(parse_condition(value, f"{where}.not"))
    if key == "ref":
        if not isinstance(value, str):
            raise ConditionError("condition-ref", f"ref 应写条件的名称，而不是 {value!r}", f"names a condition, got {value!r}",
                                 where=f"{where}.ref")
        return Ref(value)
    predicate = PREDICATES.get(key)
    if predicate is None:
        known = f"{', '.join(sorted(PREDICATES))}, all, any, not, ref"
        raise ConditionError("condition-unknown", f"不认识的条件 {key!r}（可用：{known}）",
                             f"unknown condition {key!r} (known: {known})", where=where)
    try:
        return predicate(value)
    except ConditionError as exc:
        raise exc.within(where) from None


def all_of(parts: list[Condition]) -> Condition:
    parts = [part for part in parts if not (isinstance(part, All) and not part.parts)]
    return parts[0] if len(parts) == 1 else All(parts)
