"""A review task: something outside the register (a bank's return) says a member's record may be
wrong, and a clerk of the family's region settles it.

- ``confirm_death``: the bank returned a payment because the payee died (ISO 20022 MD07). The
  clerk records the death as a life event (the task closes itself, ``confirmed``) or dismisses it
  with a note (the bank was wrong).
- ``bank_details``: the account is closed or wrong (AC04, AC01, AC03, BE01 …). Changing the
  member's bank account closes it (``updated``); or the clerk dismisses it with a note.

While a task is open the payments service pays the member nothing (it asks for open tasks when it
builds a batch): money is not sent again to a dead person's or a closed account.

The tasks belong to the families domain (the register settles them as it changes a family, with
:func:`settle`); the routes that open, list and resolve them are tefu_registry.reviews.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.db import UtcDateTime
from tefu_common.field_crypto import EncryptedString
from tefu_registry.database import Base

KINDS = ("confirm_death", "bank_details")
OPEN = "open"
OUTCOMES = ("confirmed", "updated", "dismissed")


class ReviewTask(Base):
    __tablename__ = "review_task"
    __table_args__ = (
        # One task per line a bank returned, however often the return is posted.
        UniqueConstraint("source", "source_ref", "kind", name="uq_review_task_source"),
        Index("ix_review_task_region_status", "region_code", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("family.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(12))  # the family's, when the task was opened
    kind: Mapped[str] = mapped_column(String(16))  # confirm_death | bank_details
    source: Mapped[str] = mapped_column(String(16))  # payments
    source_ref: Mapped[str] = mapped_column(String(64))  # the ledger line's reference
    reason_code: Mapped[str | None] = mapped_column(String(8))  # ISO 20022: MD07, AC04 …
    reason: Mapped[str] = mapped_column(String(200))  # the bank's reason in words
    status: Mapped[str] = mapped_column(String(16), default=OPEN)  # open | confirmed | updated | dismissed
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    opened_by: Mapped[str] = mapped_column(String(128))
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(EncryptedString("review_task.note"))


async def settle(session: AsyncSession, family_id: int, *, died: frozenset[int] = frozenset(),
                 new_accounts: frozenset[int] = frozenset(), actor: str) -> None:
    """Close the open tasks a change of the family settles: the death of ``died`` members, new
    bank details of ``new_accounts`` members (the family is already found in the caller's region)."""
    if not died and not new_accounts:
        return
    query = select(ReviewTask).where(ReviewTask.family_id == family_id, ReviewTask.status == OPEN)
    for task in (await session.scalars(query)).all():
        if task.kind == "confirm_death" and task.member_id in died:
            task.status = "confirmed"
        elif task.kind == "bank_details" and task.member_id in new_accounts:
            task.status = "updated"
        else:
            continue
        task.resolved_at, task.resolved_by = datetime.now(timezone.utc), actor
