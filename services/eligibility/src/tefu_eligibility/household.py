"""A family's facts as the rules see them: dates as day numbers, absent dates as ``NEVER``.

Both evaluators work on days (``date.toordinal()``): the explaining one on one household at a
time (this module), the bulk one on whole chunks of households as numpy arrays
(``entitlements/columns.py``). Keeping dates as plain integers makes "on or before" and "from
the day after" the same comparisons in both.

Day rules shared by every condition:
- a child's death, a certification, a birthday count from their own day;
- a death, a recovery, a later child's birth or adoption end eligibility after their own day
  (the person is still eligible on that day, so the month of the event is still due and
  payment stops from the next month: 次月停发);
- the child's disability is a list of periods at one level each (``child_timeline``): a child
  certified disabled and later dead was a disabled family until the day before the death.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

NEVER = 10_000_000  # a day number after any real date (date.max is 3,652,059)
BEFORE_ALL = -1


def day(value: date | None, default: int = NEVER) -> int:
    return value.toordinal() if value is not None else default


def to_date(day_number: int) -> date | None:
    return date.fromordinal(day_number) if 0 < day_number < NEVER else None


def turning(birth: date | None, years: int) -> int:
    """The day a person born on ``birth`` reaches ``years`` full years (29 February → 1 March)."""
    if birth is None:
        return NEVER
    year = birth.year + years
    try:
        return date(year, birth.month, birth.day).toordinal()
    except ValueError:  # born on 29 February, the year reached is not a leap year
        return date(year, 3, 1).toordinal()


@dataclass(frozen=True)
class Person:
    role: str  # mother | father | child
    member_id: int | None
    birth_date: date | None
    death: int  # day number of death, NEVER if alive
    in_resident_pension: bool = False
    monthly_basic_pension: Decimal | None = None

    def alive_on(self, day_number: int) -> bool:
        return day_number <= self.death


PARENT_ROLES = ("mother", "father")
QUALIFYING_LEVELS = range(1, 4)  # 一至三级: levels 1–3 make a special family


@dataclass(frozen=True)
class DisabilityPeriod:
    """Days the only child held a disability certificate at one level (first and last day counted)."""

    start: int
    end: int
    level: int


def child_timeline(entries: Iterable[tuple[str, int, int | None]]) -> tuple[int, tuple[DisabilityPeriod, ...]]:
    """The child's death day and disability periods from its history (kind, day, level), in order.

    A certification opens a period at its level; a level change closes the period the day before
    and opens one at the new level (a re-certification while a certificate is held is one too); a
    recovery closes it on its own day (still counted as disabled that day); the death closes it
    the day before: from the day of the death the family is a bereaved one. Nothing after the
    death counts. Both evaluators read the history through this one function.
    """
    periods: list[DisabilityPeriod] = []
    start = level = None
    death = NEVER

    def close(last: int) -> None:
        if start is not None and last >= start:
            periods.append(DisabilityPeriod(start, last, level or 0))

    for kind, on, entry_level in entries:
        if kind == "died":
            death = on
            break
        if kind == "recovered":
            close(on)
            start = level = None
        elif kind == "disabled" or (kind == "level_changed" and start is not None):
            close(on - 1)
            start, level = on, entry_level
    if start is not None:
        close(death - 1 if death != NEVER else NEVER)
    return death, tuple(periods)


def first_qualifying_day(periods: Iterable[DisabilityPeriod]) -> int:
    """The first day the child counts as disabled at level 1–3 (a once-only benefit's certification day)."""
    return min((p.start for p in periods if p.level in QUALIFYING_LEVELS), default=NEVER)


@dataclass(frozen=True)
class Household:
    family_id: int | None
    region_code: str
    urban: bool
    honor_certificate: bool
    assistance_certificate: bool
    low_income: bool
    extreme_poverty: bool
    mother: Person | None
    father: Person | None
    child: Person | None
    child_death: int  # NEVER unless the only child died
    child_periods: tuple[DisabilityPeriod, ...]  # the child's disability periods, in date order
    child_certified: int  # the first day disabled at level 1–3 (kept when the child later died), else NEVER
    child_joined: int  # birth, or the adoption date of an adopted child
    later_child: int  # the first later child's birth or adoption (the couple's or one parent's), NEVER if none
    later_child_mother: int  # the first later child of the mother alone or of the couple
    later_child_father: int  # the first later child of the father alone or of the couple
    assisted_rebirth: int  # the first later child born with assisted reproduction, NEVER if none
    divorced: int = NEVER  # the day the parents divorced, NEVER if they did not

    @property
    def parents(self) -> list[Person]:
        return [p for p in (self.mother, self.father) if p is not None]

    def later_child_for(self, recipient: Person | None) -> int:
        """The later child that ends a recipient's eligibility: a parent's own or the couple's for a
        parent; any for the household (and the child)."""
        if recipient is not None and recipient.role == "mother":
            return self.later_child_mother
        if recipient is not None and recipient.role == "father":
            return self.later_child_father
        return self.later_child

    def payee(self) -> Person | None:
        """Who receives a household benefit: the mother while she lives, otherwise the father."""
        if self.mother is not None and (self.mother.death == NEVER or self.father is None):
            return self.mother
        return self.father or self.mother
