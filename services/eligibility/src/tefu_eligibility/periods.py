"""Calendar periods benefits are due for: a month, a year, or the single day of a trigger."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from tefu_eligibility.catalogue.schema import Frequency, Trigger
from tefu_eligibility.household import NEVER, Household

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Period:
    label: str  # "2020-06", "2020", or the trigger date
    start: int
    end: int

    @property
    def first_day(self) -> date:
        return date.fromordinal(self.start)

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.end)


def month_period(year: int, month: int) -> Period:
    last = calendar.monthrange(year, month)[1]
    return Period(f"{year:04d}-{month:02d}", date(year, month, 1).toordinal(), date(year, month, last).toordinal())


def year_period(year: int) -> Period:
    return Period(f"{year:04d}", date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal())


def parse_month(text: str) -> Period | None:
    match = MONTH.match(text)
    return month_period(int(match[1]), int(match[2])) if match else None


def months_between(first: Period, last: Period) -> list[Period]:
    """Every month from ``first`` to ``last`` inclusive (empty if ``first`` is later)."""
    months = []
    year, month = first.first_day.year, first.first_day.month
    while (year, month) <= (last.first_day.year, last.first_day.month) and len(months) <= 1200:
        months.append(month_period(year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def period_for(frequency: Frequency, on: date) -> Period | None:
    """The period of a recurring benefit that contains ``on``; None for once-only benefits."""
    if frequency is Frequency.monthly:
        return month_period(on.year, on.month)
    if frequency is Frequency.yearly:
        return year_period(on.year)
    if frequency is Frequency.per_hospital_day:
        return Period(on.isoformat(), on.toordinal(), on.toordinal())
    return None


def trigger_day(household: Household, trigger: Trigger) -> int:
    """The day a once-only benefit arises, NEVER if the event has not happened.

    The certification is the first day the child counts as disabled at level 1–3, also for a child
    who later died: a family can have both, the disability's benefit and the death's.
    ``child_event`` is whichever came first.
    """
    if trigger is Trigger.child_death:
        return household.child_death
    if trigger is Trigger.child_certified:
        return household.child_certified
    if trigger is Trigger.child_event:
        return min(household.child_death, household.child_certified)
    if trigger is Trigger.assisted_rebirth:
        return household.assisted_rebirth
    return NEVER

