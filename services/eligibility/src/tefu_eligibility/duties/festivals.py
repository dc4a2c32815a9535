"""The dates of the lunar festivals the liaisons visit on, from a maintained lunar calendar.

春节, 端午 and 中秋 move with the lunar calendar; their dates come from lunar-python (the
astronomical tables it maintains), never from a table kept here. Each falls in the Gregorian year
of its own lunar year (春节 between 21 January and 20 February, 端午 in May or June, 中秋 in
September or October), so "the festivals of a year" is one of each.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta

from lunar_python import Lunar

from tefu_common.errors import Invalid
from tefu_eligibility.catalogue.schema import Festival, Window

# The lunar month and day of each festival (non-leap months: a leap month never holds them).
LUNAR_DAY = {Festival.spring: (1, 1), Festival.dragon_boat: (5, 5), Festival.mid_autumn: (8, 15)}
NAMES = {Festival.spring: "春节", Festival.dragon_boat: "端午节", Festival.mid_autumn: "中秋节"}
LUNAR_NAMES = {Festival.spring: "正月初一", Festival.dragon_boat: "五月初五", Festival.mid_autumn: "八月十五"}

# The register starts in 1950; a century ahead is as far as a work list plans.
FIRST_YEAR, LAST_YEAR = 1950, 2100


def check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Invalid("year-out-of-range", f"年份须在{FIRST_YEAR}至{LAST_YEAR}之间，而不是{year}",
                      f"the year is between {FIRST_YEAR} and {LAST_YEAR}, not {year}")


@functools.cache
def festival_date(festival: Festival, year: int) -> date:
    check_year(year)
    month, day = LUNAR_DAY[festival]
    solar = Lunar.fromYmd(year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def festivals_of(year: int) -> list[tuple[Festival, date]]:
    return [(festival, festival_date(festival, year)) for festival in Festival]


@dataclass(frozen=True)
class Occurrence:
    """One festival of one year, with the days a visit for it counts."""

    festival: Festival
    year: int
    day: date
    window: Window

    @property
    def first(self) -> date:
        return self.day - timedelta(days=self.window.before)

    @property
    def last(self) -> date:
        return self.day + timedelta(days=self.window.after)

    def admits(self, visited_on: date) -> bool:
        return self.first <= visited_on <= self.last

    def outside_reason(self) -> str:
        """What a clerk reads when a visit on another day is refused."""
        return (f"{self.year}年{NAMES[self.festival]}为{self.day.isoformat()}，节日走访须在{self.first.isoformat()}至"
                f"{self.last.isoformat()}之间（节前{self.window.before}天至节后{self.window.after}天）")


def occurrences(festival: Festival, window: Window, on: date) -> list[Occurrence]:
    """This year's and next year's festival, so a caller needs no lunar calendar of its own."""
    return [Occurrence(festival, year, festival_date(festival, year), window)
            for year in (on.year, on.year + 1) if year <= LAST_YEAR]
