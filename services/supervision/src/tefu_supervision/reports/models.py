"""Reports as they were produced: never updated, never deleted.

A report keeps its figures with their sources and the score sheet as computed then, and the
SHA-256 of all of it, so a later inspection compares against exactly what was shown and can
tell if a stored report was altered since.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.db import UtcDateTime
from tefu_supervision.database import Base


class SupervisionReport(Base):
    __tablename__ = "supervision_report"
    __table_args__ = (Index("ix_supervision_report_region_period", "region_code", "period", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(12))
    period: Mapped[str] = mapped_column(String(8))
    produced_at: Mapped[datetime] = mapped_column(UtcDateTime())
    produced_by: Mapped[str] = mapped_column(String(128))
    # Headline numbers (for lists and comparisons), every figure with its sources, and the sheet.
    headline: Mapped[dict[str, Any]] = mapped_column(JSON)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    scoresheet: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    content_sha256: Mapped[str] = mapped_column(String(64))
