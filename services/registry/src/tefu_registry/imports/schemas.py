"""Bodies of the import endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class ImportOut(BaseModel):
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
    error: str | None
    created_by: str
    created_at: datetime
    finished_at: datetime | None
    stalled: bool = Field(False, description="Interrupted (no progress for minutes): upload the file again to resume.")


class RowIssueOut(BaseModel):
    row_number: int = Field(description="The row as the spreadsheet shows it (the header is row 1).")
    outcome: Literal["rejected", "duplicate"]
    column: str | None = Field(description="The column header at fault, in Chinese as in the template.")
    reason: str
    existing_family_id: int | None
