"""A family's facts as the rules see them: dates as day numbers, absent dates as ``NEVER``.

Both evaluators work on days (``date.toordinal()``): the explaining one on one household at a
time (this module), the bulk one on whole chunks of households as numpy arrays
(``entitlements/columns.py``). Keeping dates as plain integers makes "on or before" and "from
the day after" the same comparisons in both.

Day rules shared by every condition:
- a child's death, a certification, a birthday count from their own day;
- a death, a recovery, a later child's birth or adoption end eligibility after their own day
  (the person is still eligible on that day, so the month of the event is still due and
  payment stops from the next month: 次月停发).
"""

from __future__ import annotations

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
    child_certified: int  # NEVER unless the child holds a disability certificate (and did not die)
    child_level: int  # 0 when not certified
    child_recovered: int  # the recovery day (the last day counted as disabled), NEVER unless recovered
    child_joined: int  # birth, or the adoption date of an adopted child
    later_child: int  # the first later child's birth or adoption, NEVER if none
    assisted_rebirth: int  # the first later child born with assisted reproduction, NEVER if none

    @property
    def parents(self) -> list[Person]:
        return [p for p in (self.mother, self.father) if p is not None]

    def payee(self) -> Person | None:
        """Who receives a household benefit: the mother while she lives, otherwise the father."""
        if self.mother is not None and (self.mother.death == NEVER or self.father is None):
            return self.mother
        return self.father or self.mother
