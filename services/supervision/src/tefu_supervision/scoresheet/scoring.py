"""Scoring a region's figures against the score sheet that applies to it.

An item is ``scored`` when Tefu computed all of its points, ``partly_scored`` when it computed
part and the rest is the inspector's, ``inspector`` when only the inspection team can judge it, and
``not_computed`` when the figures it needs were missing. The sheet's total of computed deductions
is a floor for the final deductions, not a score: the inspector adds what Tefu cannot see.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tefu_supervision.scoresheet.computations import COMPUTATIONS, Figures
from tefu_supervision.scoresheet.sheet import Item, sheet_for, sheets


def check_sheets() -> None:
    """Raise at start-up if a sheet names a computation that does not exist."""
    unknown = {item.computed for sheet in sheets() for item in sheet.items} - set(COMPUTATIONS) - {None}
    if unknown:
        raise ValueError(f"score sheets name computations that do not exist: {sorted(unknown)}")


def _item(item: Item, figures: Figures) -> dict[str, Any]:
    out: dict[str, Any] = {"id": item.id, "section": item.section, "check": item.check, "points": str(item.points),
                           "deduction_rule": item.deduction, "inspector_check": item.inspector,
                           "computed_points": str(item.computed_points), "deducted": None, "basis": None}
    if item.computed is None:
        return {**out, "status": "inspector"}
    deduction = COMPUTATIONS[item.computed](figures, item.computed_points)
    out["basis"] = deduction.basis
    if deduction.points is None:
        return {**out, "status": "not_computed"}
    out["deducted"] = str(deduction.points)
    return {**out, "status": "scored" if item.inspector is None else "partly_scored"}


def score(region: str, figures: Figures) -> dict[str, Any] | None:
    """The sheet applied to the figures, or None where no sheet covers the region."""
    sheet = sheet_for(region)
    if sheet is None:
        return None
    items = [_item(item, figures) for item in sheet.items]
    deducted = sum((Decimal(i["deducted"]) for i in items if i["deducted"] is not None), Decimal("0"))
    computed_of = sum((Decimal(i["computed_points"]) for i in items if i["deducted"] is not None), Decimal("0"))
    open_points = sheet.total - computed_of
    return {"title": sheet.title, "document": sheet.document, "region": sheet.region, "total": str(sheet.total),
            "computed_of": str(computed_of), "computed_deducted": str(deducted),
            "open_points": str(open_points),
            "highest_possible": str(sheet.total - deducted),
            "items": items}
