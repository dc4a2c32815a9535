"""State of following the registry: the feed cursor, families waiting to be checked, members' standing.

The cursor and the families it brought are written in one transaction, so a restart resumes
exactly where the last committed page ended and a family is never lost between the two. Each
family is then checked on its own (eligibility on the day, identities from the registry) and
leaves the queue only when its cards are right; an upstream failure keeps it queued with a
later retry time.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.db import UtcDateTime
from tefu_medical_priority.database import Base


class FeedCursor(Base):
    __tablename__ = "feed_cursor"

    feed: Mapped[str] = mapped_column(String(32), primary_key=True)  # "registry"
    cursor: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PendingFamily(Base):
    __tablename__ = "pending_family"

    family_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # 0: a change in the register (first); 1: the daily re-check of every card holder's family.
    priority: Mapped[int] = mapped_column(Integer, index=True)
    reason: Mapped[str] = mapped_column(String(32))
    enqueued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    last_error: Mapped[str | None] = mapped_column(String(300))
    # A liaison_assigned change queued it: its liaisons are read again with the check.
    liaisons_due: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class MemberStanding(Base):
    """Whether a member qualifies for the green channel, as last checked (for coverage reports)."""

    __tablename__ = "member_standing"

    member_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(Integer, index=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    qualifies: Mapped[bool] = mapped_column(Boolean)
    since: Mapped[date] = mapped_column(Date)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DailyRun(Base):
    """The day a daily job last ran, so that restarts and replicas run it once a day."""

    __tablename__ = "daily_run"

    job: Mapped[str] = mapped_column(String(32), primary_key=True)
    ran_on: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class FamilyCheck(Base):
    """When a family was last checked on its own (a change in the register, a clerk's question).

    A bulk pass reads the whole register first and writes later: a family checked on its own in
    between was checked against fresher facts, and the bulk pass leaves it as it found it.
    """

    __tablename__ = "family_check"

    family_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime())
