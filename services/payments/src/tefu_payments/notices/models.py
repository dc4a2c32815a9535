"""A notice to the register, kept until it is delivered (an outbox).

Written in the same transaction as the return file that failed the line, so a return is never
applied without its notice, and sent by :mod:`tefu_payments.notices.sender` whenever the registry
answers. Delivery is idempotent at the registry (one task per line and kind), so a notice sent
twice (two replicas, a retry after a lost answer) opens one task.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.db import UtcDateTime
from tefu_payments.database import Base


class RegisterNotice(Base):
    __tablename__ = "register_notice"
    __table_args__ = (
        UniqueConstraint("reference", "kind", name="uq_register_notice_reference_kind"),
        Index("ix_register_notice_unsent", "sent_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32))  # the failed ledger line's
    batch_id: Mapped[int] = mapped_column(Integer)
    region_code: Mapped[str] = mapped_column(String(12), index=True)  # the batch's
    family_id: Mapped[int] = mapped_column(Integer)
    member_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # confirm_death | bank_details
    reason_code: Mapped[str | None] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    task_id: Mapped[int | None] = mapped_column(Integer)  # the registry's review task, once delivered
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
