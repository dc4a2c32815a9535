"""Statistics returns as they were produced: never updated, never deleted.

A produced return keeps its rows (computed values with their basis and sources, manual rows
marked as such) and the SHA-256 of all of it, like a kept report, so the table handed to the city
can be checked against what Tefu produced.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.db import UtcDateTime
from tefu_supervision.database import Base


class SupervisionReturn(Base):
    __tablename__ = "supervision_return"
    __table_args__ = (Index("ix_supervision_return_region_form_period", "region_code", "return_id", "period", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    return_id: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(String(12))
    period: Mapped[str] = mapped_column(String(8))
    produced_at: Mapped[datetime] = mapped_column(UtcDateTime())
    produced_by: Mapped[str] = mapped_column(String(128))
    # The return as produced: its form (name, source), header, rows and the figures read.
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_sha256: Mapped[str] = mapped_column(String(64))
