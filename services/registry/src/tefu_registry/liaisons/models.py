"""Liaisons (双岗联系人) assigned to a family, with history, and the contacts they record."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.field_crypto import EncryptedString
from tefu_common.db import UtcDateTime
from tefu_registry.database import Base


class Liaison(Base):
    """One liaison post of a family over a period; replacing a liaison ends the row, never edits it."""

    __tablename__ = "liaison"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("family.id"), index=True)
    post: Mapped[str] = mapped_column(String(16))  # township | village | county_leader
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(EncryptedString("liaison.phone"))
    unit: Mapped[str] = mapped_column(String(128))
    assigned_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    assigned_by: Mapped[str] = mapped_column(String(128))
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Contact(Base):
    __tablename__ = "contact"
    __table_args__ = (Index("ix_contact_family_id_contacted_on", "family_id", "contacted_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("family.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # home_visit | phone_call | online | festival_visit | family_doctor
    festival: Mapped[str | None] = mapped_column(String(16))  # spring | dragon_boat | mid_autumn
    contacted_on: Mapped[date] = mapped_column(Date, index=True)
    contacted_by: Mapped[str] = mapped_column(String(64))
    liaison_id: Mapped[int | None] = mapped_column(ForeignKey("liaison.id"))
    findings: Mapped[str] = mapped_column(EncryptedString("contact.findings"))
    help_given: Mapped[str | None] = mapped_column(EncryptedString("contact.help_given"))
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
