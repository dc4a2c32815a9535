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
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from tefu_eligibility.catalogue.catalogue import CENT, Benefit, CompiledRule, RuleSet
from tefu_eligibility.catalogue.schema import Formula, Frequency, Trigger
from tefu_eligibility.entitlements.columns import Columns, Rows
from tefu_eligibility.household import NEVER
from tefu_eligibility.periods import Period, year_period


@dataclass
class Due:
    """The recipients of one benefit due in the month: row positions, amounts, the rule that applied."""

    rows: Rows
    positions: np.ndarray
    first_day: np.ndarray
    version_index: np.ndarray
    amounts: list[Decimal | None]
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


def due_in_month(rules: RuleSet, benefit: Benefit, columns: Columns, month: Period) -> Due | None:
    rule = benefit.versions[0].rule
    rows = Rows(columns, rule.recipients)
    if rows.size == 0:
        return None
    if rule.frequency.once:
        on = _trigger_days(columns, rows, rule.trigger)  # type: ignore[arg-type]
        days = on[:, None]
        per_version = _applicable(benefit, rows, days)
        eligible = np.zeros(rows.size, dtype=bool)
        for matrix in per_version:
            eligible |= matrix[:, 0]
        positions = np.flatnonzero(eligible & (on >= month.start) & (on <= month.end))
        first = on[positions]
        version_index = _version_at(per_version, positions, np.zeros(len(positions), dtype=np.int64))
    else:
        start = year_period(month.first_day.year).start if rule.frequency is Frequency.yearly else month.start
        days = np.arange(start, month.end + 1, dtype=np.int64)[None, :]
        per_version = _applicable(benefit, rows, days)
        any_day = per_version[0].copy()
        for matrix in per_version[1:]:
            any_day |= matrix
        in_month = any_day[:, month.start - start:]
        due = in_month.any(axis=1)
        if rule.frequency is Frequency.yearly:
            due &= ~any_day[:, : month.start - start].any(axis=1)
        positions = np.flatnonzero(due)
        column = np.argmax(any_day[positions], axis=1)
        first = start + column
        version_index = _version_at(per_version, positions, column)
    amounts = _amounts(rules, benefit, rows, positions, first, version_index)
    return Due(rows, positions, first, version_index, amounts, benefit)


def _version_at(per_version: list[np.ndarray], positions: np.ndarray, column: np.ndarray) -> np.ndarray:
    chosen = np.full(len(positions), -1, dtype=np.int64)
    for index in range(len(per_version) - 1, -1, -1):
        hit = per_version[index][positions, column]
        chosen[hit] = index
    return chosen


def _amounts(rules: RuleSet, benefit: Benefit, rows: Rows, positions: np.ndarray, first: np.ndarray,
             version_index: np.ndarray) -> list[Decimal | None]:
    amounts: list[Decimal | None] = [None] * len(positions)
    for index, version in enumerate(benefit.versions):
        mine = np.flatnonzero(version_index == index)
        if not len(mine) or not version.amount_cases:
            continue
        _fill(rules, version, rows, positions[mine], first[mine], mine, amounts)
    return amounts


def _fill(rules: RuleSet, version: CompiledRule, rows: Rows, positions: np.ndarray, first: np.ndarray,
          slots: np.ndarray, amounts: list[Decimal | None]) -> None:
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


def _formula_values(rules: RuleSet, formula: Formula, rows: Rows, positions: np.ndarray,
                    first: np.ndarray) -> list[Decimal | None]:
    name = formula.parameter or formula.percent_of_pension or formula.hourly_wage or ""
    starts, values = rules.parameter_steps(name)
    step = np.searchsorted(np.asarray(starts, dtype=np.int64), first, side="right") - 1
    found = [values[i] for i in step]
    if formula.parameter:
        return found
    if formula.percent_of_pension:
        pensions = [Decimal(rows.pensions[p]) if rows.pensions[p] is not None else None for p in positions]
        return [None if pct is None or pension is None else (pension * pct / 100).quantize(CENT, ROUND_HALF_UP)
                for pct, pension in zip(found, pensions)]
    return [None if wage is None else (wage * (formula.hours or 0)).quantize(CENT, ROUND_HALF_UP) for wage in found]
