"""Import jobs and the rows they rejected."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.field_crypto import EncryptedString
from tefu_common.db import UtcDateTime
from tefu_registry.database import Base


class ImportJob(Base):
    __tablename__ = "import_job"
    # The same file uploaded again in the same region is the same job: nothing is created twice.
    __table_args__ = (UniqueConstraint("region_code", "file_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(12))
    file_sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    file_format: Mapped[str] = mapped_column(String(8))  # csv | xlsx
    encoding: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12))  # queued | running | finished | failed
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    accepted_rows: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_rows: Mapped[int] = mapped_column(Integer, default=0)
    rejected_rows: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Touched after every chunk: a running job whose heartbeat is old was interrupted (a restart).
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ImportRowIssue(Base):
    """A row that was rejected (with why), or skipped as already registered."""

    __tablename__ = "import_row_issue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("import_job.id"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(12))  # rejected | duplicate
    column: Mapped[str | None] = mapped_column(String(64))  # the first column at fault
    code: Mapped[str] = mapped_column(String(64))  # the first problem's stable code
    reason: Mapped[str] = mapped_column(Text)  # every problem in Chinese, as the rejected-rows file says it
    # [{"column", "code", "zh", "en"}]: every problem, to answer in the language of the request.
    problems: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    existing_family_id: Mapped[int | None] = mapped_column(Integer)
    # The row as uploaded (JSON), encrypted: it is personal data, kept so it can be fixed and re-sent.
    raw_row: Mapped[str] = mapped_column(EncryptedString("import_row_issue.raw_row"))
