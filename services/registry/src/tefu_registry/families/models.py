"""Tables of the register: a family and its members.

Personal data is encrypted at rest (``EncryptedString``); the columns that must be searched by
exact value (ID numbers, names) carry a blind index next to them, and a name's characters and
pairs of characters are indexed in ``member_name_gram`` for partial search (``indexes.py``).
Sensitive fields never appear in plaintext in any index, log or history row (the last 4
characters of an ID number are kept plain: every masked list shows them anyway).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tefu_common.field_crypto import EncryptedString
from tefu_common.db import UtcDateTime
from tefu_registry.database import Base

PARENT_ROLES = ("mother", "father")


class Family(Base):
    __tablename__ = "family"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The current hukou region (derived from hukou_moved events) and the one it was registered in.
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    registered_region_code: Mapped[str] = mapped_column(String(12))
    hukou_type: Mapped[str] = mapped_column(String(8))  # urban | rural
    address: Mapped[str | None] = mapped_column(EncryptedString("family.address"))
    honor_certificate_no: Mapped[str | None] = mapped_column(String(64))
    honor_certificate_date: Mapped[date | None] = mapped_column(Date)
    assistance_certificate_no: Mapped[str | None] = mapped_column(String(64))
    assistance_certificate_date: Mapped[date | None] = mapped_column(Date)
    # Derived from the events as of today, stored so that lists can filter on it.
    special_family: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    external_ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    members: Mapped[list[Member]] = relationship(
        back_populates="family", lazy="raise", order_by="Member.id", cascade="all, delete-orphan"
    )


class Member(Base):
    __tablename__ = "member"
    __table_args__ = (
        # One person is a parent in one family only: the register's duplicate check, enforced by
        # the database whatever the API does.
        Index(
            "uq_member_parent_id_number",
            "id_number_index",
            unique=True,
            postgresql_where=text("role IN ('mother', 'father')"),
            sqlite_where=text("role IN ('mother', 'father')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("family.id"), index=True)
    role: Mapped[str] = mapped_column(String(12))  # mother | father | child | later_child
    name: Mapped[str] = mapped_column(EncryptedString("member.name"))
    name_index: Mapped[str] = mapped_column(String(64), index=True)
    id_number: Mapped[str | None] = mapped_column(EncryptedString("member.id_number"))
    id_number_index: Mapped[str | None] = mapped_column(String(64), index=True)
    # Plain (every masked ID number shows them), indexed for the search by 后四位.
    id_number_last4: Mapped[str | None] = mapped_column(String(4), index=True)
    # The search by 后六位: the last 6 would show two more digits of the sequence code, so a blind index.
    id_number_tail6_index: Mapped[str | None] = mapped_column(String(64), index=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(6))
    phone: Mapped[str | None] = mapped_column(EncryptedString("member.phone"))
    death_date: Mapped[date | None] = mapped_column(Date)
    # For the only child and later children: born or adopted, and the date they joined the family.
    adopted: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_on: Mapped[date | None] = mapped_column(Date)
    bank_name: Mapped[str | None] = mapped_column(String(64))
    bank_account: Mapped[str | None] = mapped_column(EncryptedString("member.bank_account"))
    bank_account_holder: Mapped[str | None] = mapped_column(EncryptedString("member.bank_account_holder"))
    in_resident_pension: Mapped[bool] = mapped_column(Boolean, default=False)
    monthly_basic_pension: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))

    family: Mapped[Family] = relationship(back_populates="members", lazy="raise")


class MemberNameGram(Base):
    """One gram of a member's name (the blind index of a character, or of two adjacent ones).

    The key leads with the gram: a search looks up the members that have a gram, and checking one
    member's gram is the same lookup. Written once, with the member; names do not change.
    """

    __tablename__ = "member_name_gram"

    gram: Mapped[str] = mapped_column(String(32), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)
