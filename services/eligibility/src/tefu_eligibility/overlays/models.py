"""Parameter overlays: a value a region's admins set at run time for one parameter of the rule files.

Each row is one proposal and what became of it; the rows are the history and are never deleted.

- ``proposed``: waiting for another admin's decision. At most one per (region, parameter): a new
  proposal supersedes the one still waiting (a partial unique index holds this under races).
- ``approved``: in force over ``valid_from``–``valid_to``. The approved rows of one (region,
  parameter) never overlap: approving one closes or supersedes those it overlaps
  (``service.approve``). A row cut short keeps the end it was proposed with in ``proposed_valid_to``
  and names the approval that shortened it in ``replaced_by_id``.
- ``rejected`` / ``withdrawn``: decided against, by another admin or by the proposer.
- ``superseded``: replaced by the row ``replaced_by_id``, waiting or approved when that happened.

``overlay_state`` is one row counting approvals, bumped in the transaction of every approval: the
catalogue reads it (one primary-key read) to know whether the overlays it holds are still current.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.db import UtcDateTime
from tefu_eligibility.database import Base

STATUSES = ("proposed", "approved", "rejected", "withdrawn", "superseded")


class ParameterOverlay(Base):
    __tablename__ = "parameter_overlay"
    __table_args__ = (
        CheckConstraint("status IN ('proposed', 'approved', 'rejected', 'withdrawn', 'superseded')", name="status"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="period"),
        CheckConstraint("value > 0", name="value_positive"),
        # Maker-checker in the database too: whoever proposed a value never approves or rejects it.
        CheckConstraint("decided_by IS NULL OR status NOT IN ('approved', 'rejected') OR decided_by <> proposed_by",
                        name="maker_checker"),
        Index("uq_parameter_overlay_pending", "region_code", "parameter", unique=True,
              postgresql_where=text("status = 'proposed'"), sqlite_where=text("status = 'proposed'")),
        Index("ix_parameter_overlay_key", "region_code", "parameter", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(12))  # GB/T 2260, any level
    parameter: Mapped[str] = mapped_column(String(80))  # as named in the rule files
    value: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    unit: Mapped[str] = mapped_column(String(16))  # the rule files' unit: yuan | percent | yuan_per_hour
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)  # last day in force; null: open
    proposed_valid_to: Mapped[date | None] = mapped_column(Date)  # valid_to as proposed, before any closing
    document: Mapped[str] = mapped_column(String(100))  # 长政办发〔2024〕12号
    clause: Mapped[str | None] = mapped_column(String(50))
    note: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(12))
    proposed_by: Mapped[str] = mapped_column(String(128))
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decision_note: Mapped[str | None] = mapped_column(String(500))
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("parameter_overlay.id"))
    replaced_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class OverlayState(Base):
    """One row (id 1): how many approvals there have been, and when the last one was."""

    __tablename__ = "overlay_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
