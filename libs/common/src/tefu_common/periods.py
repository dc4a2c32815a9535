"""Reporting and payment periods: a month (2026-06), a quarter (2026-Q2), a half-year (2026-H1)
or a year (2026).

Regions pay monthly, quarterly or yearly, and inspectors judge a month, a quarter or a year: the
same shapes, written the same way in every service's query strings. Some statistics returns are
half-yearly (Foshan's 附件5 and 附件6, due before 06-25 and 12-25): ``YYYY-H1`` is January to June,
``YYYY-H2`` July to December. Calendar arithmetic only; what a period means for a benefit or a
duty is each service's business.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

PERIOD = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|-Q([1-4])|-H([12]))?$")
HALF_YEAR = re.compile(r"^\d{4}-H[12]$")


@dataclass(frozen=True)
class Period:
    label: str
    first: date  # first day of the first month
    last: date  # last day of the last month

    @property
    def first_month(self) -> str:
        return f"{self.first:%Y-%m}"

    @property
    def last_month(self) -> str:
        return f"{self.last:%Y-%m}"

    @property
    def frequency(self) -> str:
        """The schedule a period of this length belongs to: monthly, quarterly, half-yearly or yearly."""
        if len(self.label) == 4:
            return "yearly"
        return "quarterly" if "Q" in self.label else "half-yearly" if "H" in self.label else "monthly"

    @property
    def label_zh(self) -> str:
        """As people read it: 2026年, 2026年上半年, 2026年第二季度, 2026年6月."""
        if self.frequency == "yearly":
            return f"{self.first.year}年"
        if self.frequency == "half-yearly":
            return f"{self.first.year}年{'上' if self.first.month == 1 else '下'}半年"
        if self.frequency == "quarterly":
            return f"{self.first.year}年第{'一二三四'[(self.first.month - 1) // 3]}季度"
        return f"{self.first.year}年{self.first.month}月"

    def months(self) -> Iterator[str]:
        """Every month of the period, YYYY-MM, in order."""
        index = self.first.year * 12 + self.first.month - 1
        end = self.last.year * 12 + self.last.month - 1
        while index <= end:
            yield f"{index // 12:04d}-{index % 12 + 1:02d}"
            index += 1

    def as_frequency(self, frequency: str) -> str:
        """The period of ``frequency`` that holds this period's first month (what to ask for instead)."""
        if frequency == "yearly":
            return f"{self.first:%Y}"
        if frequency == "half-yearly":
            return f"{self.first:%Y}-H{1 if self.first.month <= 6 else 2}"
        if frequency == "quarterly":
            return f"{self.first:%Y}-Q{(self.first.month - 1) // 3 + 1}"
        return self.first_month


def parse_period(text: str) -> Period | None:
    """The period ``text`` names, or None when it is none of YYYY-MM, YYYY-Qn, YYYY-Hn, YYYY."""
    match = PERIOD.match(text)
    if not match:
        return None
    year = int(match[1])
    if year < 1:  # no calendar has a year 0000
        return None
    if match[2]:
        first_month = last_month = int(match[2])
    elif match[3]:
        first_month = 3 * int(match[3]) - 2
        last_month = first_month + 2
    elif match[4]:
        first_month = 6 * int(match[4]) - 5
        last_month = first_month + 5
    else:
        first_month, last_month = 1, 12
    return Period(text, date(year, first_month, 1), date(year, last_month, calendar.monthrange(year, last_month)[1]))


def months_back(day: date, months: int) -> str:
    """The month ``months`` before the month of ``day``, as YYYY-MM."""
    index = day.year * 12 + day.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def parse_half_year(text: str) -> Period | None:
    """The half-year ``text`` names (2026-H1, 2026-H2), or None for anything else (a month, a year…)."""
    return parse_period(text) if HALF_YEAR.match(text) else None


def half_year_of(day: date) -> Period:
    """The half-year that holds ``day``."""
    period = parse_period(f"{day.year}-H{1 if day.month <= 6 else 2}")
    assert period is not None
    return period


def next_half_year(period: Period) -> Period:
    """The half-year after the one that holds ``period``'s last day."""
    return half_year_of(half_year_of(period.last).last + timedelta(days=1))
