"""Bodies of the import endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ImportOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 3, "status": "finished", "filename": "周村区特扶家庭2026.xlsx", "file_format": "xlsx", "encoding": None,
        "file_sha256": "9f2c5d0b6c1e4a7f8e3d2b1a0c9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f", "total_rows": 1500,
        "processed_rows": 1500, "accepted_rows": 1497, "duplicate_rows": 2, "rejected_rows": 1, "error": None,
        "created_by": "clerk-zhoucun-3", "created_at": "2026-11-23T08:15:02Z", "finished_at": "2026-11-23T08:15:09Z",
        "stalled": False,
    }]})

    id: int
    status: Literal["queued", "running", "finished", "failed"]
    filename: str
    file_format: str
    encoding: str | None = Field(description="The encoding the CSV was read in (declared or detected).")
    file_sha256: str
    total_rows: int
    processed_rows: int
    accepted_rows: int = Field(description="Families registered from this file.")
    duplicate_rows: int = Field(description="Rows whose family was already registered: skipped, not errors.")
    rejected_rows: int = Field(description="Rows refused; see /issues, or download /rejected to fix and re-upload.")
    error: str | None = Field(description="Why a failed job stopped (for the clerk, in Chinese).")
    created_by: str
    created_at: datetime
    finished_at: datetime | None
    stalled: bool = Field(False, description="Interrupted (no progress for minutes): upload the file again to resume.")


class RowProblemOut(BaseModel):
    column: str | None = Field(description="The column header at fault, in Chinese as in the template.")
    code: str = Field(description="Stable machine code, e.g. `resident-id-check-character`, `missing`.")
    detail: str = Field(description="What is wrong, in the language of the request (Chinese by default).")


class RowIssueOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "row_number": 1214, "outcome": "rejected", "column": "母亲身份证号", "code": "resident-id-check-character",
        "detail": "母亲身份证号：校验码应为“6”，而不是“7”",
        "problems": [{"column": "母亲身份证号", "code": "resident-id-check-character",
                      "detail": "校验码应为“6”，而不是“7”"}],
        "existing_family_id": None,
    }]})

    row_number: int = Field(description="The row as the spreadsheet shows it (the header is row 1).")
    outcome: Literal["rejected", "duplicate"]
    column: str | None = Field(description="The (first) column at fault; none when the whole row is (a duplicate).")
    code: str = Field(description="The (first) problem's stable code; `parent-registered` for a duplicate.")
    detail: str = Field(description="Every problem of the row, each column named once.")
    problems: list[RowProblemOut] = Field(description="Every column at fault, in column order.")
    existing_family_id: int | None = Field(description="For a duplicate: the family already registered.")
