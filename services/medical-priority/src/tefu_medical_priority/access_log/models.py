"""The lookup log: every time a hospital (or anyone) read a card, one row (PIPL)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.db import UtcDateTime
from tefu_medical_priority.models import Base


class LookupLogEntry(Base):
    __tablename__ = "lookup_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    subject: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    institution: Mapped[str | None] = mapped_column(String(32), index=True)  # the hospital code
    endpoint: Mapped[str] = mapped_column(String(64))
    how: Mapped[str] = mapped_column(String(12))  # card_no | qr | id_number | record
    card_id: Mapped[int | None] = mapped_column(Integer, index=True)
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)  # the card's
    outcome: Mapped[str] = mapped_column(String(12))  # valid | invalid | not_found | rate_limited
    request_id: Mapped[str | None] = mapped_column(String(64))


class LookupQuota(Base):
    """Lookups by name and ID number per hospital and minute: the rate limit, shared by every replica."""

    __tablename__ = "lookup_quota"

    hospital_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
