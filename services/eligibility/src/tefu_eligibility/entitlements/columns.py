"""A batch of facts documents as numpy columns, and the recipient rows a rule is evaluated on.

``Columns`` holds one value per family (day numbers as int64, absent dates as ``NEVER``);
``Rows`` gathers them per recipient (a parent, the child, or the household) and adds the
recipient's own fields. The conditions' vector forms read ``Rows`` attributes by name, the same
names as ``Household`` fields, so both evaluators speak of the same facts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from tefu_eligibility.household import BEFORE_ALL, NEVER, PARENT_ROLES, child_timeline, first_qualifying_day

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
FIRST_DAY = np.datetime64("0001-01-01", "D")


_DAYS: dict[str, int] = {}


def _day(text: str | None, default: int = NEVER) -> int:
    # The same dates recur across families (births, document dates); parsing each once is cheaper.
    if not text:
        return default
    found = _DAYS.get(text)
    if found is None:
        if len(_DAYS) > 200_000:
            _DAYS.clear()
        found = _DAYS[text] = date.fromisoformat(text).toordinal()
    return found


def birth_dates(ordinals: np.ndarray) -> np.ndarray:
    """Day numbers → datetime64 (NaT where unknown), for calendar arithmetic on birthdays."""
    result = (ordinals - EPOCH_ORDINAL).astype("datetime64[D]")
    result[ordinals >= NEVER] = np.datetime64("NaT")
    return result


def turning(births: np.ndarray, years: int) -> np.ndarray:
    """Vector form of ``household.turning``: the day each person reaches ``years`` (NEVER if unknown).

    Adding whole months keeps the day of the month; a 29 February birthday overflows into 1 March
    in a common year, as the scalar form does.
    """
    months = births.astype("datetime64[M]")
    offset = births - months.astype("datetime64[D]")
    reached = (months + years * 12).astype("datetime64[D]") + offset
    result = (reached - FIRST_DAY).astype(np.int64) + 1
    result[np.isnat(births)] = NEVER
    return result


class Columns:
    """One batch of facts documents, column by column."""

    def __init__(self, documents: list[dict[str, Any]]) -> None:
        # Filled as plain Python lists (item assignment into numpy arrays is slow) and turned
        # into arrays once at the end.
        n = len(documents)
        self.size = n
        self.family_id = [d.get("family_id") for d in documents]
        ints = {name: [NEVER] * n for name in (
            "child_death", "child_certified", "child_joined", "later_child", "later_child_mother",
            "later_child_father", "assisted_rebirth", "divorced",
            "mother_death", "father_death", "mother_birth", "father_birth", "child_birth", "parents_born_from")}
        flags = {name: [False] * n for name in (
            "urban", "honor_certificate", "assistance_certificate", "low_income", "extreme_poverty",
            "mother_present", "father_present", "child_present", "mother_in_pension", "father_in_pension",
            "child_in_pension")}
        periods: list[tuple] = [()] * n  # the child's disability periods, for families that have any
        self.member_ids: dict[str, list[int | None]] = {"mother": [None] * n, "father": [None] * n, "child": [None] * n}
        # Pensions stay text until a percentage-of-pension amount needs them.
        self.pensions: dict[str, list[str | None]] = {"mother": [None] * n, "father": [None] * n}
        urban, honor, assistance = flags["urban"], flags["honor_certificate"], flags["assistance_certificate"]
        low_income, extreme_poverty, born_from = flags["low_income"], flags["extreme_poverty"], ints["parents_born_from"]
        for i, document in enumerate(documents):
            family = document["family"]
            urban[i] = family["hukou_type"] == "urban"
            honor[i] = bool(family.get("honor_certificate"))
            assistance[i] = bool(family.get("assistance_certificate"))
            low_income[i] = bool(family.get("low_income"))
            extreme_poverty[i] = bool(family.get("extreme_poverty"))
            earliest = NEVER
            for parent in family["parents"]:
                role = parent["role"]
                flags[role + "_present"][i] = True
                flags[role + "_in_pension"][i] = bool(parent.get("in_resident_pension"))
                born = _day(parent.get("birth_date"), BEFORE_ALL)
                ints[role + "_birth"][i] = born if born != BEFORE_ALL else NEVER
                earliest = min(earliest, born)
                ints[role + "_death"][i] = _day(parent.get("death_date"))
                self.member_ids[role][i] = parent.get("id")
                self.pensions[role][i] = parent.get("monthly_basic_pension")
            born_from[i] = earliest
            child = family.get("child")
            if child:
                flags["child_present"][i] = True
                flags["child_in_pension"][i] = bool(child.get("in_resident_pension"))
                self.member_ids["child"][i] = child.get("id")
                ints["child_birth"][i] = _day(child.get("birth_date"))
                joined = child.get("adopted_on") if child.get("adopted") and child.get("adopted_on") else child.get("birth_date")
                ints["child_joined"][i] = _day(joined)
                entries = _history_entries(child)
                if entries:
                    ints["child_death"][i], periods[i] = child_timeline(entries)
                    ints["child_certified"][i] = first_qualifying_day(periods[i])
            later = family.get("later_children")
            if later:
                ints["later_child"][i] = min(_day(c["date"]) for c in later)
                for role in PARENT_ROLES:  # a parent's own later child, or the couple's
                    own = [_day(c["date"]) for c in later if c.get("parent") in (None, role)]
                    if own:
                        ints[f"later_child_{role}"][i] = min(own)
                assisted = [_day(c["date"]) for c in later if c["kind"] == "birth" and c.get("assisted_reproduction")]
                if assisted:
                    ints["assisted_rebirth"][i] = min(assisted)
            marriage = family.get("marriage")
            if marriage:
                ints["divorced"][i] = min((_day(m["on"]) for m in marriage if m["kind"] == "divorced"), default=NEVER)
        for name, values in ints.items():
            setattr(self, name, np.array(values, dtype=np.int64))
        for name, values in flags.items():
            setattr(self, name, np.array(values, dtype=bool))
        # Disability periods as (families × most periods of the batch) arrays, padded with periods
        # that hold on no day (first day NEVER, level 0).
        width = max(map(len, periods), default=0)
        start = np.full((n, width), NEVER, dtype=np.int64)
        end = np.full((n, width), NEVER, dtype=np.int64)
        level = np.zeros((n, width), dtype=np.int64)
        for i, found in enumerate(periods):
            for k, period in enumerate(found):
                start[i, k], end[i, k], level[i, k] = period.start, period.end, period.level
        self.child_period_start, self.child_period_end, self.child_period_level = start, end, level
        self._births = {role: birth_dates(getattr(self, f"{role}_birth")) for role in ("mother", "father", "child")}

    def births(self, role: str) -> np.ndarray:
        return self._births[role]


def _history_entries(child: dict[str, Any]) -> list[tuple[str, int, int | None]]:
    """Dict form of ``evaluation.facts.history_entries`` (the same reading of the same document)."""
    history = child.get("history")
    if history is not None:
        return [(e["kind"], _day(e["on"]), e.get("level")) for e in history]
    status = child["status"]
    if status == "deceased":
        return [("died", _day(child.get("event_date")), None)]
    if status == "disabled":
        entries = [("disabled", _day(child.get("event_date")), child.get("disability_level"))]
        if child.get("recovered_on"):
            entries.append(("recovered", _day(child["recovered_on"]), None))
        return entries
    return []


class Rows:
    """The recipients of one rule in a batch: family columns gathered per row, plus their own fields."""

    def __init__(self, columns: Columns, recipients: list[str] | str) -> None:
        self.columns = columns
        n = columns.size
        if recipients == "household":
            index = np.arange(n)
            self.roles = np.full(n, "household", dtype=object)
            mother_first = columns.mother_present & ((columns.mother_death == NEVER) | ~columns.father_present)
            self.member_ids = [columns.member_ids["mother"][i] if mother_first[i] else columns.member_ids["father"][i]
                               for i in range(n)]
            # A household benefit lasts while either parent lives.
            mother_death = np.where(columns.mother_present, columns.mother_death, BEFORE_ALL)
            father_death = np.where(columns.father_present, columns.father_death, BEFORE_ALL)
            self.recipient_death = np.maximum(mother_death, father_death)
            self.recipient_in_pension = np.zeros(n, dtype=bool)
            self._recipient_births = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
            self.pensions: list[str | None] = [None] * n
            # Any later child ends a household benefit.
            self.recipient_later_child = columns.later_child
            self.recipient_is_parent = np.zeros(n, dtype=bool)
        else:
            parts = [(role, np.flatnonzero(getattr(columns, f"{role}_present"))) for role in recipients]
            index = np.concatenate([rows for _, rows in parts]) if parts else np.zeros(0, dtype=np.int64)
            self.roles = np.concatenate([np.full(len(rows), role, dtype=object) for role, rows in parts])
            self.member_ids = [columns.member_ids[role][i] for role, rows in parts for i in rows]
            # The child as a recipient lives until the day before its death (see evaluation/facts.py).
            self.recipient_death = np.concatenate([getattr(columns, f"{role}_death")[rows] if role != "child"
                                                   else np.where(columns.child_death[rows] < NEVER,
                                                                 columns.child_death[rows] - 1, NEVER)
                                                   for role, rows in parts])
            self.recipient_in_pension = np.concatenate([getattr(columns, f"{role}_in_pension")[rows] for role, rows in parts])
            self._recipient_births = np.concatenate([columns.births(role)[rows] for role, rows in parts])
            self.pensions = [columns.pensions[role][i] if role != "child" else None for role, rows in parts for i in rows]
            # A parent's benefits end with that parent's own later child or the couple's (household.later_child_for).
            self.recipient_later_child = np.concatenate(
                [getattr(columns, f"later_child_{role}" if role in PARENT_ROLES else "later_child")[rows]
                 for role, rows in parts])
            self.recipient_is_parent = np.concatenate([np.full(len(rows), role in PARENT_ROLES) for role, rows in parts])
        self.index = index.astype(np.int64)
        self.size = len(self.index)
        self._gathered: dict[str, np.ndarray] = {}
        self._turning: dict[tuple[str, int], np.ndarray] = {}

    def __getattr__(self, name: str) -> np.ndarray:
        # Family columns gathered per row on first use (only what the rule's conditions read).
        gathered = self.__dict__.get("_gathered")
        if gathered is None or name.startswith("_"):
            raise AttributeError(name)
        if name not in gathered:
            gathered[name] = getattr(self.columns, name)[self.index]
        return gathered[name]

    def turning(self, whose: str, years: int) -> np.ndarray:
        key = (whose, years)
        if key not in self._turning:
            births = self._recipient_births if whose == "recipient" else self.columns.births(whose)[self.index]
            self._turning[key] = turning(births, years)
        return self._turning[key]
