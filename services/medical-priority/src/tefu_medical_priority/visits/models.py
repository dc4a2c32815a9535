"""Visits of card holders at hospitals: what was given first and what was waived."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.db import UtcDateTime
from tefu_medical_priority.database import Base


class Visit(Base):
    __tablename__ = "visit"
    __table_args__ = (UniqueConstraint("hospital_code", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("card.id"), index=True)
    member_id: Mapped[int] = mapped_column(Integer, index=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)  # the holder's
    hospital_code: Mapped[str] = mapped_column(ForeignKey("hospital.code"), index=True)
    department: Mapped[str] = mapped_column(String(64))
    services: Mapped[list[str]] = mapped_column(JSON)
    waivers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{fee, amount}]
    waived_total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    visited_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_by: Mapped[str] = mapped_column(String(128))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
