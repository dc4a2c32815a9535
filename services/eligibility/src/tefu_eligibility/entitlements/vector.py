"""The bulk evaluator: one benefit over a batch of households, one month, as numpy arrays.

Same semantics as ``evaluation/engine.py``, computed for every recipient at once over the days
of the month (a day matrix: recipients × days):
- monthly: due if eligible on at least one day of the month; amount as on the first such day;
- yearly: due in the month holding the first eligible day of the year (so a yearly benefit
  appears in exactly one month of the year);
- once-only: due in the month of the trigger day, if a rule is in force and holds that day.
On each day the rule of the deepest level in force applies (``Benefit.versions`` order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np

from tefu_eligibility.catalogue.amounts import Resolved
from tefu_eligibility.catalogue.catalogue import (NO_CASE, Amount, Benefit, CompiledRule, RuleSet, hourly_amount,
                                                  percent_amount, unpriced)
from tefu_eligibility.catalogue.schema import Formula, Frequency, Trigger
from tefu_eligibility.entitlements.columns import Columns, Rows
from tefu_eligibility.household import NEVER
from tefu_eligibility.periods import Period, month_period, year_period


@dataclass
class Due:
    """The recipients of one benefit due in the month: row positions, amounts, the rule that applied."""

    rows: Rows
    positions: np.ndarray
    first_day: np.ndarray
    version_index: np.ndarray
    amounts: list[Amount | None]
    benefit: Benefit


def _applicable(benefit: Benefit, rows: Rows, days: np.ndarray) -> list[np.ndarray]:
    """Per version, where it is the one that applies and its conditions hold."""
    taken = None
    result = []
    for version in benefit.versions:
        in_force = (days >= version.start) & (days <= version.end)
        applies = in_force if taken is None else in_force & ~taken
        taken = in_force if taken is None else taken | in_force
        result.append(applies & version.condition.vector(rows, days))
    return result


def _trigger_days(columns: Columns, rows: Rows, trigger: Trigger) -> np.ndarray:
    if trigger is Trigger.child_death:
        return rows.child_death
    if trigger is Trigger.child_certified:
        return rows.child_certified
    if trigger is Trigger.child_event:
        return np.minimum(rows.child_death, rows.child_certified)
    return rows.assisted_rebirth


EPOCH = 719163  # date(1970, 1, 1).toordinal(): day numbers to numpy dates


def _arising(benefit: Benefit, on: np.ndarray) -> np.ndarray:
    """``engine.arising_day`` for many: where no version is in force on the trigger day, the first
    day of a ``same_year`` version that starts later the same year (NEVER if none)."""
    late = [v.start for v in benefit.versions if v.rule.arises == "same_year"]
    if not late:
        return on
    covered = np.zeros(len(on), dtype=bool)
    for version in benefit.versions:
        covered |= (on >= version.start) & (on <= version.end)
    known = on < NEVER
    years = np.full(len(on), -1, dtype=np.int64)
    years[known] = (on[known] - EPOCH).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)
    best = np.full(len(on), NEVER, dtype=np.int64)
    for start in late:
        start_year = np.datetime64(int(start - EPOCH), "D").astype("datetime64[Y]").astype(np.int64)
        fits = known & (start > on) & (years == start_year)
        best = np.where(fits & (start < best), start, best)
    return np.where(covered | ~known, on, best)


def due_in_month(rules: RuleSet, benefit: Benefit, columns: Columns, month: Period) -> Due | None:
    rule = benefit.versions[0].rule
    rows = columns.rows(rule.recipients)
    if rows.size == 0:
        return None
    if rule.frequency.once:
        shared = False
        on = _arising(benefit, _trigger_days(columns, rows, rule.trigger))  # type: ignore[arg-type]
        days = on[:, None]
        per_version = _applicable(benefit, rows, days)
        eligible = np.zeros(rows.size, dtype=bool)
        for matrix in per_version:
            eligible |= matrix[:, 0]
        positions = np.flatnonzero(eligible & (on >= month.start) & (on <= month.end))
        first = on[positions]
        version_index = _version_at(per_version, positions, np.zeros(len(positions), dtype=np.int64))
    else:
        yearly = rule.frequency is Frequency.yearly
        start = year_period(month.first_day.year).start if yearly else month.start
        # A yearly amount shared by months needs the whole year: the months after this one count too.
        shared = yearly and any(v.rule.yearly_share == "by_month" for v in benefit.versions)
        end = year_period(month.first_day.year).end if shared else month.end
        days = np.arange(start, end + 1, dtype=np.int64)[None, :]
        per_version = _applicable(benefit, rows, days)
        any_day = per_version[0].copy()
        for matrix in per_version[1:]:
            any_day |= matrix
        in_month = any_day[:, month.start - start: month.end - start + 1]
        due = in_month.any(axis=1)
        if rule.frequency is Frequency.yearly:
            due &= ~any_day[:, : month.start - start].any(axis=1)
        positions = np.flatnonzero(due)
        column = np.argmax(any_day[positions], axis=1)
        first = start + column
        version_index = _version_at(per_version, positions, column)
    amounts = _amounts(rules, benefit, rows, positions, first, version_index)
    if not rule.frequency.once and shared:
        amounts = _shared_by_month(benefit, amounts, version_index, any_day[positions], start)
    adopted = [not (benefit.versions[v].rule.optional and (a is None or a.value is None))
               for v, a in zip(version_index.tolist(), amounts)]
    if not all(adopted):  # optional measures the region has not set an amount for are not due
        keep = np.flatnonzero(np.asarray(adopted, dtype=bool))
        positions, first, version_index = positions[keep], first[keep], version_index[keep]
        amounts = [amounts[k] for k in keep.tolist()]
    return Due(rows, positions, first, version_index, amounts, benefit)


def _shared_by_month(benefit: Benefit, amounts: list[Amount | None], version_index: np.ndarray,
                     year_days: np.ndarray, start: int) -> list[Amount | None]:
    """``engine.share_of_year``: the yearly amount times the months held, over twelve."""
    year = _year_of(start)
    first_of_month = [month_period(year, m).start - start for m in range(1, 13)]
    held = np.add.reduceat(year_days, first_of_month, axis=1) > 0 if len(year_days) else np.zeros((0, 12), bool)
    months = held.sum(axis=1).tolist()
    shared: list[Amount | None] = []
    for k, amount in enumerate(amounts):
        if amount is None or amount.value is None or benefit.versions[int(version_index[k])].rule.yearly_share != "by_month":
            shared.append(amount)
            continue
        shared.append(amount.for_months(months[k]))
    return shared


def _year_of(day_number: int) -> int:
    return date.fromordinal(day_number).year


def _version_at(per_version: list[np.ndarray], positions: np.ndarray, column: np.ndarray) -> np.ndarray:
    chosen = np.full(len(positions), -1, dtype=np.int64)
    for index in range(len(per_version) - 1, -1, -1):
        hit = per_version[index][positions, column]
        chosen[hit] = index
    return chosen


def _amounts(rules: RuleSet, benefit: Benefit, rows: Rows, positions: np.ndarray, first: np.ndarray,
             version_index: np.ndarray) -> list[Amount | None]:
    amounts: list[Amount | None] = [None] * len(positions)
    for index, version in enumerate(benefit.versions):
        mine = np.flatnonzero(version_index == index)
        if not len(mine):
            continue
        if not version.amount_cases:
            for slot in mine.tolist():  # as ``engine.amount_on``
                amounts[slot] = unpriced(version.rule)
            continue
        _fill(rules, version, rows, positions[mine], first[mine], mine, amounts)
    return amounts


def _fill(rules: RuleSet, version: CompiledRule, rows: Rows, positions: np.ndarray, first: np.ndarray,
          slots: np.ndarray, amounts: list[Amount | None]) -> None:
    """Amounts of the rows that one version granted: the first amount case holding on the first day."""
    open_ = np.ones(len(positions), dtype=bool)
    days = np.full((rows.size, 1), NEVER, dtype=np.int64)
    days[positions, 0] = first
    for condition, formula in version.amount_cases:
        holds = condition.vector(rows, days)
        holds = np.broadcast_to(holds, (rows.size, 1))[positions, 0] & open_
        open_ &= ~holds
        picked = np.flatnonzero(holds)
        if len(picked):
            values = _formula_values(rules, formula, rows, positions[picked], first[picked])
            for slot, value in zip(slots[picked], values):
                amounts[slot] = value
    for slot in slots[open_].tolist():
        amounts[slot] = NO_CASE


def _formula_values(rules: RuleSet, formula: Formula, rows: Rows, positions: np.ndarray,
                    first: np.ndarray) -> list[Amount]:
    name = formula.parameter or formula.percent_of_pension or formula.hourly_wage or ""
    starts, values = rules.resolved_steps(name)
    step = (np.searchsorted(np.asarray(starts, dtype=np.int64), first, side="right") - 1).tolist()
    if formula.percent_of_pension:
        pensions = [Decimal(text) if text is not None else None for text in rows.pensions[positions].tolist()]
        return [percent_amount(values[i], pension) for i, pension in zip(step, pensions)]
    # The amount depends on the parameter's step alone: one (immutable) Amount per step, shared.
    if formula.parameter:
        made = {i: _plain(values[i]) for i in set(step)}
    else:
        made = {i: hourly_amount(values[i], formula.hours or Decimal(0)) for i in set(step)}
    return [made[i] for i in step]


def _plain(found: Resolved) -> Amount:
    return Amount(found.value, found.status, found.reason, found.floor, found)
