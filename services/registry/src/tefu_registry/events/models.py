"""The life events table: one row per recorded event, never updated or deleted."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.field_crypto import EncryptedString
from tefu_common.db import UtcDateTime
from tefu_registry.database import Base


class LifeEvent(Base):
    __tablename__ = "life_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("family.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    occurred_on: Mapped[date] = mapped_column(Date)
    # Which member it concerns (the parent who died, the disabled child); null for family events.
    member_role: Mapped[str | None] = mapped_column(String(12))
    # Non-sensitive details (level, category, region moved to, assisted reproduction ...).
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The disability certificate number embeds the child's ID number, so it is encrypted.
    certificate_no: Mapped[str | None] = mapped_column(EncryptedString("life_event.certificate_no"))
    # A correction names the event it replaces (or voids); the corrected row stays as it was.
    corrects_event_id: Mapped[int | None] = mapped_column(ForeignKey("life_event.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_by: Mapped[str] = mapped_column(String(128))
