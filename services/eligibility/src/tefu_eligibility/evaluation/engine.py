"""The explaining evaluator: one household, one date, every benefit of its region, with reasons.

Semantics (also in the API description):
- a monthly (yearly) benefit is due for the month (year) of the evaluation date if the recipient
  was eligible on at least one day of it; the amount is the one in force on the first such day;
- a once-only benefit arises on its trigger date (the child's death, a certification, a successful
  assisted rebirth) if a rule granting it is in force that day and its conditions hold that day;
  it is reported with ``due_on`` once that date is on or before the evaluation date;
- a per-hospital-day benefit is reported with its daily amount and the most days it pays.

Conditions only change truth value on known days (a birthday, a death, a certification, a
document coming into force…), so instead of trying every day of a period the evaluator tries the
first day and each of those days inside it: exact, and fast enough for a registration desk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from tefu_eligibility.catalogue.catalogue import NO_CASE, Amount, Benefit, CompiledRule, RuleSet, unpriced
from tefu_eligibility.catalogue.conditions import Condition, During, Predicate, _Age
from tefu_eligibility.catalogue.schema import Frequency
from tefu_eligibility.household import NEVER, Household, Person, to_date, turning
from tefu_eligibility.periods import Period, month_period, period_for, trigger_day


@dataclass
class Reason:
    condition: str
    met: bool
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"condition": self.condition, "met": self.met, "text": self.text}


@dataclass
class Grant:
    """One recipient's share of a benefit that is due."""

    role: str  # mother | father | child | household
    member_id: int | None
    priced: Amount | None  # None: a service, which has no amount
    first_day: int
    version: CompiledRule

    @property
    def amount(self) -> Decimal | None:
        return self.priced.value if self.priced else None


@dataclass
class Outcome:
    benefit: Benefit
    period: Period | None
    grants: list[Grant] = field(default_factory=list)
    due_on: date | None = None
    reasons: list[Reason] = field(default_factory=list)


def recipients_of(household: Household, rule_recipients: Any) -> list[tuple[str, Person | None]]:
    """(role, person) pairs a benefit can go to; a household benefit has the role ``household``."""
    if rule_recipients == "household":
        return [("household", None)]
    people = {"mother": household.mother, "father": household.father, "child": household.child}
    return [(role, people[role]) for role in rule_recipients if people[role] is not None]


def member_of(household: Household, role: str, person: Person | None) -> int | None:
    if role == "household":
        payee = household.payee()
        return payee.member_id if payee else None
    return person.member_id if person else None


def breakpoints(household: Household, rules: RuleSet) -> list[int]:
    """Every day on which some condition of the rule set can change for this household."""
    days = {household.child_death, household.child_certified, household.later_child + 1,
            household.later_child_mother + 1, household.later_child_father + 1, household.divorced}
    for period in household.child_periods:  # a level change, a recovery or the death ends one
        days.update((period.start, period.end + 1))
    ages = _ages(rules)
    for person in (household.mother, household.father, household.child):
        if person is not None:
            days.add(person.death + 1)
            days.update(turning(person.birth_date, years) for years in ages)
    days.update(_window_days(rules))
    return sorted(d for d in days if d < NEVER)


def _ages(rules: RuleSet) -> set[int]:
    found = {leaf.value for leaf in _all_leaves(rules) if isinstance(leaf, _Age)}
    return found


def _all_leaves(rules: RuleSet) -> list[Predicate]:
    leaves = rules.special_family.leaves()
    for benefit in rules.benefits.values():
        for version in benefit.versions:
            leaves += version.condition.leaves()
            leaves += [leaf for condition, _ in version.amount_cases for leaf in condition.leaves()]
    return leaves


def _window_days(rules: RuleSet) -> set[int]:
    days: set[int] = set()
    stack: list[Condition] = [rules.special_family]
    for benefit in rules.benefits.values():
        for version in benefit.versions:
            days.update((version.start, version.end + 1))
            stack.append(version.condition)  # a region's own special-family window is inside its rules
    while stack:
        node = stack.pop()
        if isinstance(node, During):
            days.update((node.start, node.end + 1))
        stack.extend(getattr(node, "parts", []) or [])
        if isinstance(getattr(node, "part", None), Condition):
            stack.append(node.part)  # type: ignore[attr-defined]
    return days


def candidate_days(period: Period, points: list[int]) -> list[int]:
    return [period.start] + [d for d in points if period.start < d <= period.end]


def amount_on(rules: RuleSet, version: CompiledRule, household: Household, person: Person | None,
              day_number: int) -> Amount | None:
    """The amount of one recipient's grant with its status; None for a service without an amount."""
    if not version.amount_cases:
        return unpriced(version.rule)
    for condition, formula in version.amount_cases:
        if condition.holds(household, person, day_number):
            pension = person.monthly_basic_pension if person is not None else None
            return rules.amount(formula, day_number, pension)
    return NO_CASE


def not_adopted(version: CompiledRule, priced: Amount | None) -> bool:
    """An optional measure ("有条件的地区可发放") the region has not set an amount for."""
    return version.rule.optional and (priced is None or priced.value is None)


NOT_ADOPTED = "本地未设立：文件规定“有条件的地区可发放”，标准由各地自行确定，本地区尚未设置标准"


def share_of_year(benefit: Benefit, household: Household, person: Person | None, year: int, points: list[int],
                  priced: Amount | None) -> Amount | None:
    """A yearly amount shared by the months of the year the recipient holds it (``yearly_share: by_month``)."""
    if priced is None or priced.value is None:
        return priced
    months = sum(1 for month in range(1, 13)
                 if first_eligible_day(benefit, household, person, candidate_days(month_period(year, month), points)))
    return priced.for_months(months)


def first_eligible_day(benefit: Benefit, household: Household, person: Person | None, days: list[int]) -> tuple[int, CompiledRule] | None:
    for day_number in days:
        version = benefit.version_on(day_number)
        if version is not None and version.condition.holds(household, person, day_number):
            return day_number, version
    return None


def evaluate_benefit(rules: RuleSet, benefit: Benefit, household: Household, as_of: date,
                     points: list[int], *, on_the_day: bool = False) -> Outcome:
    frequency = benefit.versions[0].rule.frequency
    if frequency.once:
        return _evaluate_once(rules, benefit, household, as_of)
    # On the day: is the benefit held on as_of itself (a card desk's question), rather than on
    # any day of its month or year (a payment's question)?
    period = Period(as_of.isoformat(), as_of.toordinal(), as_of.toordinal()) if on_the_day else period_for(frequency, as_of)
    assert period is not None
    outcome = Outcome(benefit, period)
    days = candidate_days(period, points)
    refused_optional = False
    for role, person in recipients_of(household, benefit.versions[0].rule.recipients):
        found = first_eligible_day(benefit, household, person, days)
        if found is not None:
            first, version = found
            priced = amount_on(rules, version, household, person, first)
            if not_adopted(version, priced):
                refused_optional = True
                continue
            if version.rule.yearly_share == "by_month" and frequency is Frequency.yearly and not on_the_day:
                priced = share_of_year(benefit, household, person, period.first_day.year, points, priced)
            outcome.grants.append(Grant(role, member_of(household, role, person), priced, first, version))
    if refused_optional and not outcome.grants:
        outcome.reasons = [Reason("optional", False, NOT_ADOPTED)]
    elif not outcome.grants:
        outcome.reasons = why_not(benefit, household, period.start if period.start > as_of.toordinal() else as_of.toordinal(),
                                  recipients_of(household, benefit.versions[0].rule.recipients))
    return outcome


def _evaluate_once(rules: RuleSet, benefit: Benefit, household: Household, as_of: date) -> Outcome:
    trigger = benefit.versions[0].rule.trigger
    assert trigger is not None
    outcome = Outcome(benefit, None)
    on = trigger_day(household, trigger)
    recipients = recipients_of(household, benefit.versions[0].rule.recipients)
    if on > as_of.toordinal():
        what = {"child_death": "独生子女死亡", "child_certified": "独生子女残疾评定", "child_event": "独生子女死亡或残疾评定",
                "assisted_rebirth": "通过辅助生殖技术成功再生育"}[trigger.value]
        outcome.reasons = [Reason("trigger", False, f"截至{as_of}，未发生“{what}”")]
        return outcome
    version = benefit.version_on(on)
    if version is None:
        on = arising_day(benefit, on)
        version = benefit.version_on(on) if on < NEVER else None
    if version is None:
        outcome.reasons = [Reason("in_force", False, f"{to_date(trigger_day(household, trigger))}（触发日）无有效的规定："
                                                     f"{_windows(benefit)}")]
        return outcome
    if on > as_of.toordinal():
        outcome.reasons = [Reason("in_force", False, f"当年发生，自{to_date(on)}（文件施行之日）起发放")]
        return outcome
    refused_optional = False
    for role, person in recipients:
        if version.condition.holds(household, person, on):
            priced = amount_on(rules, version, household, person, on)
            if not_adopted(version, priced):
                refused_optional = True
                continue
            outcome.grants.append(Grant(role, member_of(household, role, person), priced, on, version))
    if refused_optional and not outcome.grants:
        outcome.reasons = [Reason("optional", False, NOT_ADOPTED)]
    elif outcome.grants:
        outcome.due_on = to_date(on)
    else:
        outcome.reasons = why_not(benefit, household, on, recipients)
    return outcome


def arising_day(benefit: Benefit, on: int) -> int:
    """For "当年" benefits (``arises: same_year``): an event earlier in a year, before the rule came
    into force, counts from the rule's first day that year. NEVER when no such rule."""
    if on >= NEVER:
        return NEVER
    year_end = date(to_date(on).year, 12, 31).toordinal()  # type: ignore[union-attr]
    starts = [v.start for v in benefit.versions if v.rule.arises == "same_year" and on < v.start <= year_end]
    return min(starts, default=NEVER)


def _windows(benefit: Benefit) -> str:
    parts = []
    for version in benefit.versions:
        start, end = to_date(version.start), to_date(version.end)
        parts.append(f"{version.layer.file.document.number} {start or '…'} 至 {end or '…'}")
    return "；".join(parts)


def why_not(benefit: Benefit, household: Household, day_number: int,
            recipients: list[tuple[str, Person | None]]) -> list[Reason]:
    """The conditions that fail on the day, for the first recipient (or why no rule applies)."""
    version = benefit.version_on(day_number)
    if version is None:
        return [Reason("in_force", False, f"{to_date(day_number)}无有效的规定：{_windows(benefit)}")]
    if not recipients:
        return [Reason("recipients", False, "家庭中没有该待遇的领取对象")]
    reasons: list[Reason] = []
    seen: set[str] = set()
    for role, person in recipients:
        for leaf in version.condition.leaves():
            if not leaf.holds(household, person, day_number):
                text = leaf.describe(household, person)
                if text not in seen:
                    seen.add(text)
                    reasons.append(Reason(leaf.name, False, text))
    return reasons or [Reason("conditions", False, "条件不同时满足")]


def explain(condition: Condition, household: Household, person: Person | None, day_number: int) -> list[Reason]:
    """Every leaf of a condition with whether it holds on the day and what the facts say."""
    reasons, seen = [], set()
    for leaf in condition.leaves():
        text = leaf.describe(household, person)
        if text not in seen:
            seen.add(text)
            reasons.append(Reason(leaf.name, leaf.holds(household, person, day_number), text))
    return reasons


def evaluate_household(rules: RuleSet, household: Household, as_of: date, *, on_the_day: bool = False) -> list[Outcome]:
    points = breakpoints(household, rules)
    return [evaluate_benefit(rules, rules.benefits[code], household, as_of, points, on_the_day=on_the_day)
            for code in sorted(rules.benefits)]
