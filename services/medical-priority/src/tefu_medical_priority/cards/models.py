"""Priority cards (方便就医卡 / 就医便利卡 / 医疗优诊证) and the history of each card's status.

A card carries, besides its number and status, what a hospital desk is shown about its holder
(masked name, sex, birth year, last four characters of the ID number, region) and the holder's
privileges, so that a lookup reads this one row and nothing else: hospitals keep working while
the registry or the eligibility service is down. The full name and ID number are kept encrypted
(for the clerk, and to check a lookup by name and ID number through their blind indexes).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.db import UtcDateTime
from tefu_common.field_crypto import EncryptedString
from tefu_medical_priority.database import Base

LIVE_STATES = ("active", "suspended")


class Card(Base):
    __tablename__ = "card"
    __table_args__ = (
        # One live card per member, in the database: a race between the change-feed follower and
        # a clerk's hand issue cannot give a member two cards.
        Index("uq_card_live_member", "member_id", unique=True,
              postgresql_where=text("status IN ('active', 'suspended')"),
              sqlite_where=text("status IN ('active', 'suspended')")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_no: Mapped[str] = mapped_column(String(17), unique=True)
    member_id: Mapped[int] = mapped_column(Integer, index=True)
    family_id: Mapped[int] = mapped_column(Integer, index=True)
    holder_role: Mapped[str] = mapped_column(String(6))  # mother | father | child
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    holder_name: Mapped[str] = mapped_column(EncryptedString("card.holder_name"))
    masked_name: Mapped[str] = mapped_column(String(40))
    name_index: Mapped[str] = mapped_column(String(64))
    id_number: Mapped[str | None] = mapped_column(EncryptedString("card.id_number"))
    id_number_index: Mapped[str | None] = mapped_column(String(64), index=True)
    id_last4: Mapped[str | None] = mapped_column(String(4))
    sex: Mapped[str | None] = mapped_column(String(6))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), index=True)  # active | suspended | revoked | expired
    status_reason: Mapped[str | None] = mapped_column(String(24))
    status_note: Mapped[str | None] = mapped_column(String(300))
    issued_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    # The green channel's services and the holder's other hospital privileges (fee_waiver,
    # free_ambulance, free_health_check), as the eligibility rules gave them when last checked.
    services: Mapped[list[str]] = mapped_column(JSON)
    privileges: Mapped[list[str]] = mapped_column(JSON)
    rule_citation: Mapped[str | None] = mapped_column(String(200))
    replaces_card_id: Mapped[int | None] = mapped_column(ForeignKey("card.id"))
    issued_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CardEvent(Base):
    """Every change of a card's status: issued, suspended, reinstated, revoked, expired."""

    __tablename__ = "card_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("card.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(10))
    to_status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(String(300))
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
