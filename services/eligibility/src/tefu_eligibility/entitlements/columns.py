"""A batch of facts documents as numpy columns, and the recipient rows a rule is evaluated on.

``Columns`` holds one value per family (day numbers as int64, absent dates as ``NEVER``);
``Rows`` gathers them per recipient (a parent, the child, or the household) and adds the
recipient's own fields. The conditions' vector forms read ``Rows`` attributes by name, the same
names as ``Household`` fields, so both evaluators speak of the same facts.
"""

from __future__ import annotations

import weakref
from datetime import date
from collections.abc import Sequence
from typing import Any

import numpy as np

from tefu_eligibility.household import BEFORE_ALL, NEVER, PARENT_ROLES, child_timeline, first_qualifying_day

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
FIRST_DAY = np.datetime64("0001-01-01", "D")


_DAYS: dict[str | None, int] = {}


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
        # Each part of the documents is read in one pass that collects its fields as rows; zip
        # turns them into columns and numpy arrays are made once per column (item assignment
        # into numpy arrays is slow).
        n = len(documents)
        self.size = n
        self.family_id = [d.get("family_id") for d in documents]
        fields = [(f["hukou_type"] == "urban", bool(f.get("honor_certificate")), bool(f.get("assistance_certificate")),
                   bool(f.get("low_income")), bool(f.get("extreme_poverty")), f["parents"], f.get("child"),
                   f.get("later_children"), f.get("marriage")) for f in [d["family"] for d in documents]]
        urban, honor, assistance, low_income, extreme_poverty, parents, children, later, marriages = (
            zip(*fields) if fields else ((),) * 9)
        self.urban = np.array(urban, dtype=bool)
        self.honor_certificate = np.array(honor, dtype=bool)
        self.assistance_certificate = np.array(assistance, dtype=bool)
        self.low_income = np.array(low_income, dtype=bool)
        self.extreme_poverty = np.array(extreme_poverty, dtype=bool)
        self._parents(parents)
        self._child(children)
        self._later(later, marriages)
        self._births = {role: birth_dates(getattr(self, f"{role}_birth")) for role in ("mother", "father", "child")}

    def _parents(self, parents: Sequence[list[dict[str, Any]]]) -> None:
        # Every parent of the batch in one flat list (with the family each belongs to), read in one
        # pass, then scattered into per-role columns.
        n = len(parents)
        flat = [parent for found in parents for parent in found]
        owner = np.array([i for i, found in enumerate(parents) for _ in found], dtype=np.int64)
        # One pass reads every field of a parent; zip turns the rows into columns.
        fields = [(parent["role"], bool(parent.get("in_resident_pension")), parent.get("birth_date"),
                   parent.get("death_date"), parent.get("id"), parent.get("monthly_basic_pension")) for parent in flat]
        role_texts, pension_flags, birth_texts, death_texts, id_values, pension_texts = (
            zip(*fields) if fields else ((),) * 6)
        roles = _objects(list(role_texts))
        in_pension = np.array(pension_flags, dtype=bool)
        known = _DAYS.get
        born = np.array([known(text) or _day(text, BEFORE_ALL) for text in birth_texts], dtype=np.int64)
        died = np.array([known(text) or _day(text) for text in death_texts], dtype=np.int64)
        ids = _objects(list(id_values))
        pensions = _objects(list(pension_texts))
        # The earliest birth of the registered parents (BEFORE_ALL if one is unknown, NEVER if none).
        self.parents_born_from = np.full(n, NEVER, dtype=np.int64)
        np.minimum.at(self.parents_born_from, owner, born)
        self.member_ids: dict[str, np.ndarray] = {}
        # Pensions stay text until a percentage-of-pension amount needs them.
        self.pensions: dict[str, np.ndarray] = {}
        for role in PARENT_ROLES:
            mine = np.flatnonzero(roles == role)
            at = owner[mine]
            present = np.zeros(n, dtype=bool)
            present[at] = True
            setattr(self, f"{role}_present", present)
            setattr(self, f"{role}_in_pension", _scatter(n, at, in_pension[mine], False))
            birth = born[mine]
            setattr(self, f"{role}_birth", _scatter(n, at, np.where(birth == BEFORE_ALL, NEVER, birth), NEVER))
            setattr(self, f"{role}_death", _scatter(n, at, died[mine], NEVER))
            self.member_ids[role] = _scatter(n, at, ids[mine], None)
            self.pensions[role] = _scatter(n, at, pensions[mine], None)

    def _child(self, children: Sequence[dict[str, Any] | None]) -> None:
        n = len(children)
        known = _DAYS.get
        at = [i for i, child in enumerate(children) if child]
        kids = [children[i] for i in at]
        where = np.array(at, dtype=np.int64)
        fields = [(bool(child.get("in_resident_pension")), child.get("id"), child.get("birth_date"),
                   child.get("adopted_on") if child.get("adopted") and child.get("adopted_on")
                   else child.get("birth_date"), _timeline(child)) for child in kids]
        in_pension, ids, births, joined, timelines = zip(*fields) if fields else ((),) * 5
        self.child_present = _scatter(n, where, True, False)
        self.child_in_pension = _scatter(n, where, in_pension, False)
        self.member_ids["child"] = _scatter(n, where, _objects(list(ids)), None)
        self.child_birth = _scatter(n, where, [known(text) or _day(text) for text in births], NEVER)
        self.child_joined = _scatter(n, where, [known(text) or _day(text) for text in joined], NEVER)
        self.child_death = _scatter(n, where, [timeline[0] for timeline in timelines], NEVER)
        self.child_certified = _scatter(n, where, [timeline[2] for timeline in timelines], NEVER)
        periods = [(i, timeline[1]) for i, timeline in zip(at, timelines) if timeline[1]]
        # Disability periods as (families × most periods of the batch) arrays, padded with periods
        # that hold on no day (first day NEVER, level 0).
        width = max((len(found) for _, found in periods), default=0)
        start = np.full((n, width), NEVER, dtype=np.int64)
        end = np.full((n, width), NEVER, dtype=np.int64)
        level = np.zeros((n, width), dtype=np.int64)
        if periods:
            rows = [i for i, found in periods for _ in found]
            slots = [k for _, found in periods for k in range(len(found))]
            flat = [period for _, found in periods for period in found]
            start[rows, slots] = [p.start for p in flat]
            end[rows, slots] = [p.end for p in flat]
            level[rows, slots] = [p.level for p in flat]
        self.child_period_start, self.child_period_end, self.child_period_level = start, end, level

    def _later(self, later_children: Sequence[list[dict[str, Any]] | None],
               marriages: Sequence[list[dict[str, Any]] | None]) -> None:
        n = len(later_children)
        later, mother, father, assisted, divorced = [NEVER] * n, [NEVER] * n, [NEVER] * n, [NEVER] * n, [NEVER] * n
        for i, found in enumerate(later_children):
            if not found:
                continue
            later[i] = min(_day(c["date"]) for c in found)
            for role, column in (("mother", mother), ("father", father)):  # a parent's own later child, or the couple's
                own = [_day(c["date"]) for c in found if c.get("parent") in (None, role)]
                if own:
                    column[i] = min(own)
            births = [_day(c["date"]) for c in found if c["kind"] == "birth" and c.get("assisted_reproduction")]
            if births:
                assisted[i] = min(births)
        for i, marriage in enumerate(marriages):
            if marriage:
                divorced[i] = min((_day(m["on"]) for m in marriage if m["kind"] == "divorced"), default=NEVER)
        self.later_child = np.array(later, dtype=np.int64)
        self.later_child_mother = np.array(mother, dtype=np.int64)
        self.later_child_father = np.array(father, dtype=np.int64)
        self.assisted_rebirth = np.array(assisted, dtype=np.int64)
        self.divorced = np.array(divorced, dtype=np.int64)

    def births(self, role: str) -> np.ndarray:
        return self._births[role]

    def rows(self, recipients: list[str] | str) -> Rows:
        """The recipient rows of a rule, shared by the rules of the batch with the same recipients
        (and with them the columns gathered per row)."""
        key = recipients if isinstance(recipients, str) else tuple(recipients)
        cache = self.__dict__.setdefault("_rows", {})
        found = cache.get(key)
        if found is None:
            # Through a weak reference: the batch runs with the cyclic collector paused, so the
            # columns and their rows must be freed by reference counting alone.
            found = cache[key] = Rows(weakref.proxy(self), recipients)
        return found


def _scatter(n: int, at: np.ndarray, values: Any, default: Any) -> np.ndarray:
    """A column of ``n`` families holding ``values`` at rows ``at`` and ``default`` elsewhere."""
    dtype = bool if isinstance(default, bool) else np.int64 if isinstance(default, int) else object
    column = np.full(n, default, dtype=dtype)
    column[at] = values
    return column


def _objects(values: list[Any]) -> np.ndarray:
    """A list of Python values (ids, texts, None) as an object array, to gather rows by index."""
    result = np.empty(len(values), dtype=object)
    result[:] = values
    return result


_TIMELINES: dict[tuple, tuple[int, tuple, int]] = {}
_NO_TIMELINE = (NEVER, (), NEVER)  # a child without a history: living, never certified


def _timeline(child: dict[str, Any]) -> tuple[int, tuple, int]:
    """``child_timeline`` and ``first_qualifying_day`` of the child's history: the death day, the
    disability periods and the certification day.

    Many children share a history (one death, one certificate on a given day), so each distinct
    one, as written in the document, is worked out once.
    """
    history = child.get("history")
    if history is None:  # older callers send only a status
        entries = _history_entries(child)
        return _timeline_of(tuple(entries)) if entries else _NO_TIMELINE
    if len(history) == 1:  # the usual history, keyed by its one entry (never equal to a longer one's key)
        only = history[0]
        key: tuple = (only["kind"], only["on"], only.get("level"))
    else:
        key = tuple([(e["kind"], e["on"], e.get("level")) for e in history])
    found = _TIMELINES.get(key)
    if found is None:
        if len(_TIMELINES) > 200_000:
            _TIMELINES.clear()
        entries = _history_entries(child)
        found = _TIMELINES[key] = _timeline_of(tuple(entries)) if entries else _NO_TIMELINE
    return found


def _timeline_of(entries: tuple[tuple[str, int, int | None], ...]) -> tuple[int, tuple, int]:
    death, periods = child_timeline(entries)
    return death, periods, first_qualifying_day(periods)


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
            self.member_ids = np.where(mother_first, columns.member_ids["mother"], columns.member_ids["father"])
            # A household benefit lasts while either parent lives.
            mother_death = np.where(columns.mother_present, columns.mother_death, BEFORE_ALL)
            father_death = np.where(columns.father_present, columns.father_death, BEFORE_ALL)
            self.recipient_death = np.maximum(mother_death, father_death)
            self.recipient_in_pension = np.zeros(n, dtype=bool)
            self._recipient_births = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
            self.pensions = np.full(n, None, dtype=object)
            # Any later child ends a household benefit.
            self.recipient_later_child = columns.later_child
            self.recipient_is_parent = np.zeros(n, dtype=bool)
        else:
            parts = [(role, np.flatnonzero(getattr(columns, f"{role}_present"))) for role in recipients]
            index = np.concatenate([rows for _, rows in parts]) if parts else np.zeros(0, dtype=np.int64)
            self.roles = np.concatenate([np.full(len(rows), role, dtype=object) for role, rows in parts])
            self.member_ids = np.concatenate([columns.member_ids[role][rows] for role, rows in parts])
            # The child as a recipient lives until the day before its death (see evaluation/facts.py).
            self.recipient_death = np.concatenate([getattr(columns, f"{role}_death")[rows] if role != "child"
                                                   else np.where(columns.child_death[rows] < NEVER,
                                                                 columns.child_death[rows] - 1, NEVER)
                                                   for role, rows in parts])
            self.recipient_in_pension = np.concatenate([getattr(columns, f"{role}_in_pension")[rows] for role, rows in parts])
            self._recipient_births = np.concatenate([columns.births(role)[rows] for role, rows in parts])
            self.pensions = np.concatenate([columns.pensions[role][rows] if role != "child"
                                            else np.full(len(rows), None, dtype=object) for role, rows in parts])
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
