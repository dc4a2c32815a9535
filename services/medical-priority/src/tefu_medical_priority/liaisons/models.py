"""What a hospital desk needs when a card holder has no guardian: the family's current liaisons,
and which of the holder's parents or spouse the register holds alive.

Both are mirrored from the registry by the change-feed follower (liaisons/mirror.py), so the desk
answers while the registry is down. A liaison is a cadre (街镇、村（居）联系人, a county leader):
the desk is given their work contact, never the family's. The phone is encrypted at rest like
every phone of the suite. Of the family only two facts are kept, whether a mother and a father
are registered and alive on the day of the last check: no names, dates or the child's fate.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.db import UtcDateTime
from tefu_common.field_crypto import EncryptedString
from tefu_medical_priority.database import Base


class FamilyLiaison(Base):
    """One current liaison of a family (the registry's liaison id); a hand-over replaces the rows."""

    __tablename__ = "family_liaison"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # the registry's liaison id
    family_id: Mapped[int] = mapped_column(Integer, index=True)
    post: Mapped[str] = mapped_column(String(16))  # township | village | county_leader
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(EncryptedString("family_liaison.phone"))
    unit: Mapped[str] = mapped_column(String(128))
    assigned_on: Mapped[date] = mapped_column(Date)
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime())


class FamilyParents(Base):
    """Whether the register holds a living mother and a living father for the family (null: none
    registered), as of the last check of the family: what the guardianship rule reads."""

    __tablename__ = "family_parents"

    family_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    mother_alive: Mapped[bool | None] = mapped_column(Boolean)
    father_alive: Mapped[bool | None] = mapped_column(Boolean)
    checked_on: Mapped[date] = mapped_column(Date)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime())
