"""The hospital directory: who may look up cards, and what each hospital waives for holders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.db import UtcDateTime
from tefu_medical_priority.database import Base


class Hospital(Base):
    __tablename__ = "hospital"

    # The hospital's code: the institution id in its HIS client's token.
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    level: Mapped[str] = mapped_column(String(8))  # 一级 / 二级 / 三级 with 甲乙丙, or 未定级
    designated: Mapped[bool] = mapped_column(Boolean, default=False)  # 定点 for the green channel
    fee_waivers: Mapped[list[str]] = mapped_column(JSON)  # fees waived for holders (designated hospitals)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
