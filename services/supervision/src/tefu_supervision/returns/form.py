"""Statistics returns as data: one YAML file per jurisdiction under ``forms/``, validated at start-up.

A return applies to its region and every region under it (Foshan's to 440600 and each district),
matched by region prefix like the score sheets. It is due once per half-year on the day the
document names (Foshan: before 06-25 for January–June, before 12-25 for July–December). Each row
says how it is filled: ``computed`` from a figure Tefu gathers (a computation of
:mod:`tefu_supervision.returns.computations`), or ``manual`` where no service holds the data.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tefu_common.periods import Period
from tefu_common.scoping import covers

FORMS = Path(__file__).resolve().parent / "forms"
MANUAL_NOTE = "由区卫生健康局填报"


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    document: str
    clause: str
    quote: str


class Row(BaseModel):
    """One line of the table: what is counted, in which unit, and how it is filled."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    clause: str | None = None
    name: str | None = None
    measure: str
    unit: str
    fill: Literal["computed", "manual"]
    computed: str | None = None

    @model_validator(mode="after")
    def _filled(self) -> Row:
        if (self.fill == "computed") != (self.computed is not None):
            raise ValueError(f"row {self.id}: a computed row names its computation, a manual row none")
        return self


class Return(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    annex: str
    name: str
    region: str = Field(pattern=r"^\d{6}$")
    submitted_by: str
    submitted_to: str
    source: Source
    document_status: Literal["in_force", "draft"] = "in_force"
    effective_from: date
    effective_to: date | None = None
    note: str | None = None
    cadence: Literal["half-yearly"]
    due: dict[Literal["H1", "H2"], str]
    header: tuple[Row, ...] = ()
    rows: tuple[Row, ...]

    @field_validator("due")
    @classmethod
    def _days(cls, due: dict[str, str]) -> dict[str, str]:
        if set(due) != {"H1", "H2"}:
            raise ValueError("a half-yearly return names the due day of H1 and of H2")
        for half, day in due.items():
            date.fromisoformat(f"2024-{day}")  # MM-DD, a real day (2024 knows 02-29)
        return due

    @model_validator(mode="after")
    def _rows(self) -> Return:
        ids = [row.id for row in (*self.header, *self.rows)]
        if len(ids) != len(set(ids)):
            raise ValueError(f"return {self.id}: two rows share an id")
        return self

    def due_on(self, period: Period) -> date:
        """The day the return of ``period`` (a half-year) is due."""
        half = period.label[-2:]
        month, day = (int(part) for part in self.due[half].split("-"))  # type: ignore[index]
        return date(period.first.year, month, day)

    def in_force(self, period: Period) -> bool:
        """The document asks for the return of ``period``."""
        return period.first >= self.effective_from and (self.effective_to is None or period.first <= self.effective_to)

    def applies_to(self, region: str) -> bool:
        return covers(self.region, region)

    @property
    def computations(self) -> set[str]:
        return {row.computed for row in (*self.header, *self.rows) if row.computed}


@cache
def forms() -> tuple[Return, ...]:
    found = []
    for path in sorted(FORMS.glob("*.yaml")):
        found.extend(Return.model_validate(item) for item in yaml.safe_load(path.read_text(encoding="utf-8"))["returns"])
    ids = [form.id for form in found]
    if len(ids) != len(set(ids)):
        raise ValueError("two returns share an id")
    return tuple(found)


def form(return_id: str) -> Return | None:
    return next((item for item in forms() if item.id == return_id), None)


def forms_for(region: str) -> list[Return]:
    """The returns asked of ``region`` (each of those whose jurisdiction holds it)."""
    return [item for item in forms() if item.applies_to(region)]
