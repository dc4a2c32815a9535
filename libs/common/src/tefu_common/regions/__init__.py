"""GB/T 2260 administrative division codes (行政区划代码).

Every record in Tefu is scoped to a region: a family is registered in a county,
an official's token covers a province, city or county, and resident ID numbers
start with the code of the county where the number was first issued. This module
answers the questions all services ask about such codes: does it exist, what is
it called, what contains it, and does a given scope cover it.

Code shapes
    ``PPCCDD`` (6 digits): province ``PP0000``, city (prefecture) ``PPCC00``,
    county ``PPCCDD``. Townships (乡镇/街道) extend a county code to 9 digits and
    villages (村/居委会) to 12. ``000000`` stands for the whole country.

Historical codes
    The table (``data/gb2260.csv``, see ``data/SOURCE.md``) holds every code the
    Ministry of Civil Affairs published from 1980 to 2021, one row per (code,
    name) period. Retired codes stay in it on purpose: the parents Tefu serves
    were born decades ago, and their ID numbers carry codes such as 110103
    (崇文区, merged into 东城区 in 2010). Years are inclusive; an empty year is an
    open end (in force before 1980, or still in force at the table's edition).

Township and village codes are not in the table. They are accepted
structurally when their county prefix is known; their names come from the
registry that issues them.
"""

from __future__ import annotations

import csv
import functools
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Annotated, Literal

from pydantic import AfterValidator

from tefu_common.errors import Invalid

__all__ = [
    "COUNTRY_CODE",
    "Region",
    "RegionCodeStr",
    "RegionLevel",
    "RegionTable",
    "covering_region",
    "region_ancestry",
    "region_contains",
    "region_level",
    "region_prefix",
    "region_table",
    "validate_region_code",
]

COUNTRY_CODE = "000000"

RegionLevel = Literal["country", "province", "city", "county", "township", "village"]

# Rows that group counties without being a place of their own. They are real
# codes (parent of 310114 is 310100 市辖区), but a person-facing full name skips them.
_PLACEHOLDER_NAMES = frozenset(
    {"市辖区", "县", "省直辖县级行政单位", "自治区直辖县级行政单位", "省直辖行政单位"}
)


@dataclass(frozen=True)
class Region:
    """One (code, name) period of the table. ``None`` years are open ends."""

    code: str
    name: str
    valid_from_year: int | None
    valid_to_year: int | None

    @property
    def current(self) -> bool:
        """In force at the table's edition (the period has no end year)."""
        return self.valid_to_year is None

    @property
    def level(self) -> RegionLevel:
        return region_level(self.code)


def _is_digits(code: object, length: int | None = None) -> bool:
    # str.isdigit() accepts full-width and other Unicode digits; codes are ASCII only.
    return (
        isinstance(code, str)
        and code.isascii()
        and code.isdigit()
        and (length is None or len(code) == length)
    )


def region_level(code: str) -> RegionLevel:
    """The level a code denotes by its shape alone (no table lookup)."""
    if _is_digits(code, 6):
        if code == COUNTRY_CODE:
            return "country"
        if code.endswith("0000"):
            return "province"
        if code.endswith("00"):
            return "city"
        return "county"
    if _is_digits(code, 9):
        return "township"
    if _is_digits(code, 12):
        return "village"
    raise ValueError(f"region code must be 6, 9 or 12 digits, not {code!r}")


def region_prefix(code: str) -> str:
    """The code prefix that every code inside ``code`` starts with.

    ``370000`` → ``37``, ``370300`` → ``3703``, ``370306`` → ``370306``, 9- and
    12-digit codes are their own prefix, and ``000000`` (the whole country) → ``""``.
    Scoped queries use it as ``WHERE region_code LIKE prefix || '%'``.
    """
    level = region_level(code)
    if level == "country":
        return ""
    if level == "province":
        return code[:2]
    if level == "city":
        return code[:4]
    return code


def region_contains(scope_code: str, code: str) -> bool:
    """Whether a scope at ``scope_code`` covers ``code`` (a region covers itself)."""
    region_level(code)  # reject malformed codes rather than answer by accident
    return code.startswith(region_prefix(scope_code))


def region_ancestry(code: str) -> list[str]:
    """The region and every region above it, nearest first, ending with the whole country (000000):
    the order in which a setting of a region and of its parents is looked up."""
    level = region_level(code)
    chain = [code]
    if level == "village":
        chain.append(code[:9])
    if level in ("village", "township"):
        chain.append(code[:6])
    for above in (code[:4] + "00", code[:2] + "0000", COUNTRY_CODE):
        if above not in chain:
            chain.append(above)
    return chain


def covering_region(codes: Iterable[str]) -> str:
    """The smallest region that covers every one of ``codes`` (the whole country if they span
    provinces, or if there are none): the region a read of many families' data covered."""
    distinct = set(codes)
    if not distinct:
        return COUNTRY_CODE
    for candidate in region_ancestry(min(distinct)):
        if all(region_contains(candidate, code) for code in distinct):
            return candidate
    return COUNTRY_CODE


def _latest(periods: tuple[Region, ...]) -> Region:
    # The period that ends last (open end = still in force), then the one that started last.
    return max(
        periods,
        key=lambda r: (
            r.valid_to_year if r.valid_to_year is not None else 10_000,
            r.valid_from_year or 0,
        ),
    )


class RegionTable:
    """The code table, indexed by code. Use :func:`region_table` for the shared instance."""

    def __init__(self, regions: Iterable[Region]) -> None:
        grouped: dict[str, list[Region]] = defaultdict(list)
        for region in regions:
            if region_level(region.code) not in ("province", "city", "county"):
                raise ValueError(f"table rows must be 6-digit division codes, not {region.code!r}")
            grouped[region.code].append(region)
        self._periods = {code: tuple(rows) for code, rows in grouped.items()}
        self._latest = {code: _latest(rows) for code, rows in self._periods.items()}
        children: dict[str, list[str]] = defaultdict(list)
        for code in sorted(self._periods):
            parent = self.parent(code)
            if parent is not None:
                children[parent].append(code)
        self._children = {code: tuple(kids) for code, kids in children.items()}
        self._full_names: dict[str, str | None] = {}  # the table never changes: names are computed once

    @classmethod
    def from_csv(cls, text: str) -> RegionTable:
        """Parse the four-column CSV (``code,name,valid_from_year,valid_to_year``)."""

        def year(value: str) -> int | None:
            return int(value) if value.strip() else None

        reader = csv.DictReader(io.StringIO(text))
        return cls(
            Region(row["code"], row["name"], year(row["valid_from_year"]), year(row["valid_to_year"]))
            for row in reader
        )

    @classmethod
    def default(cls) -> RegionTable:
        """The table shipped with this package (loaded once, on first use)."""
        return region_table()

    def __len__(self) -> int:
        return len(self._periods)

    # -- lookups ----------------------------------------------------------------------------

    def get(self, code: str) -> Region | None:
        """The latest period of a 6-digit code, or ``None`` when unknown."""
        return self._latest.get(code)

    def periods(self, code: str) -> tuple[Region, ...]:
        """Every (name, years) period of a code, oldest first."""
        return self._periods.get(code, ())

    def exists(self, code: str, *, ever: bool = True) -> bool:
        """Whether the code is known; with ``ever=False`` only if still in force.

        9- and 12-digit codes exist when their county prefix does.
        """
        region = self._latest.get(self._county_part(code))
        return region is not None and (ever or region.current)

    def is_current(self, code: str) -> bool:
        return self.exists(code, ever=False)

    def name(self, code: str) -> str | None:
        """The latest name of a 6-digit code."""
        region = self._latest.get(code)
        return region.name if region else None

    def full_name(self, code: str) -> str | None:
        """Names from the province down, without grouping rows: ``山东省淄博市周村区``."""
        if code in self._full_names:
            return self._full_names[code]
        chain = self.chain(code)
        name = "".join(r.name for r in chain if r.name not in _PLACEHOLDER_NAMES) if chain else None
        if len(self._full_names) < 100_000:
            self._full_names[code] = name
        return name

    def level(self, code: str) -> RegionLevel:
        return region_level(code)

    # -- hierarchy --------------------------------------------------------------------------

    def parent(self, code: str) -> str | None:
        """The code directly above, skipping levels the table does not have.

        county 370306 → city 370300 → province 370000 → ``None``; a municipality
        district 310114 → 310100 (市辖区); a county whose city row is absent → its
        province. A village's parent is its township, a township's its county.
        """
        level = region_level(code)
        if level in ("country", "province"):
            return None
        if level == "village":
            return code[:9]
        if level == "township":
            return code[:6]
        candidates = [code[:4] + "00", code[:2] + "0000"] if level == "county" else [code[:2] + "0000"]
        for candidate in candidates:
            if candidate in self._periods:
                return candidate
        return None

    def chain(self, code: str) -> list[Region]:
        """Known regions from the province down to ``code`` (empty if ``code`` is unknown).

        For township and village codes the chain ends at their county, since
        their names are not in the table.
        """
        if not self.exists(code):
            return []
        chain: list[Region] = []
        current: str | None = code
        while current is not None:
            region = self._latest.get(current)
            if region is not None:
                chain.append(region)
            current = self.parent(current)
        chain.reverse()
        return chain

    def children(self, code: str, *, ever: bool = False) -> list[Region]:
        """Direct children in force (``ever=True`` adds retired ones), by code.

        ``000000`` lists the provinces.
        """
        if code == COUNTRY_CODE:
            kids: Iterable[str] = (c for c in sorted(self._periods) if c.endswith("0000"))
        else:
            kids = self._children.get(code, ())
        return [self._latest[c] for c in kids if ever or self._latest[c].current]

    @staticmethod
    def _county_part(code: str) -> str:
        # Predicates answer False for malformed input instead of raising.
        try:
            level = region_level(code)
        except ValueError:
            return ""
        return "" if level == "country" else code[:6]


@functools.cache
def region_table() -> RegionTable:
    """The shared table, parsed from the packaged CSV on first use."""
    text = resources.files(__package__).joinpath("data", "gb2260.csv").read_text(encoding="utf-8")
    return RegionTable.from_csv(text)


def validate_region_code(value: str) -> str:
    """Check a region code for an API field; returns it stripped.

    Accepts ``000000`` and 6-, 9- or 12-digit codes whose 6-digit part was ever
    in the table. Retired codes pass: they are valid historic codes, and whether a
    new registration may use one is the registry's decision, not the type's.
    """
    code = value.strip()
    try:
        level = region_level(code)
    except ValueError:
        raise Invalid("region-code-format", f"地区码应为 6、9 或 12 位数字，而不是“{value}”",
                      f"region code must be 6, 9 or 12 digits, not {value!r}") from None
    if level != "country" and not region_table().exists(code):
        raise Invalid("region-code-unknown", f"地区码 {code[:6]} 不是已知的 GB/T 2260 行政区划代码",
                      f"region code {code[:6]} is not a known GB/T 2260 division code")
    return code


RegionCodeStr = Annotated[str, AfterValidator(validate_region_code)]
"""A pydantic field type for region codes (see :func:`validate_region_code`)."""
