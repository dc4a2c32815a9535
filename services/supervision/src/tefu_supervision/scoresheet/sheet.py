"""Score sheets as data: one YAML file per jurisdiction under ``sheets/``, validated at start-up.

A sheet applies to its region and every region under it (Hubei's to each county of 420000). Each
item quotes the sheet's check and deduction rule; what Tefu can compute is named by a computation
(:mod:`tefu_supervision.scoresheet.computations`), and what it cannot is said in ``inspector``.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tefu_common.scoping import covers

SHEETS = Path(__file__).resolve().parent / "sheets"


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    section: str
    points: Decimal
    check: str
    deduction: str
    computed: str | None = None
    computed_points: Decimal = Decimal("0")
    inspector: str | None = None

    @model_validator(mode="after")
    def _parts(self) -> Item:
        if self.computed is None and self.inspector is None:
            raise ValueError(f"item {self.id}: neither computed nor left to the inspector")
        if self.computed_points > self.points or (self.computed is None) != (self.computed_points == 0):
            raise ValueError(f"item {self.id}: computed_points must be within points, and only with a computation")
        if self.computed and self.computed_points < self.points and self.inspector is None:
            raise ValueError(f"item {self.id}: part of its points is computed; say what the inspector checks")
        return self


class Sheet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    region: str = Field(pattern=r"^\d{6}$")
    title: str
    document: str
    total: Decimal
    items: tuple[Item, ...]

    @model_validator(mode="after")
    def _adds_up(self) -> Sheet:
        if sum(item.points for item in self.items) != self.total:
            raise ValueError(f"the items of {self.document} do not add up to {self.total}")
        return self


@cache
def sheets() -> tuple[Sheet, ...]:
    return tuple(Sheet.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
                 for path in sorted(SHEETS.glob("*.yaml")))


def sheet_for(region: str) -> Sheet | None:
    """The sheet of the jurisdiction that holds ``region`` (None: no sheet applies there)."""
    return next((sheet for sheet in sheets() if covers(sheet.region, region)), None)
