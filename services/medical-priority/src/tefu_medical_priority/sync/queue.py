"""The queue of families to check one by one (``pending_family``), shared by the follower and bulk passes."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timezone

from sqlalchemy import case, func, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_medical_priority.sync.models import PendingFamily

LIAISONS_ONLY = "liaisons"  # a covered liaison change: only the liaisons are read again


def _now() -> datetime:
    return datetime.now(timezone.utc)


def insert_for(session: AsyncSession):  # type: ignore[no-untyped-def]
    """The dialect's INSERT (with its ON CONFLICT clauses)."""
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


async def enqueue(session: AsyncSession, family_ids: list[int], *, priority: int, reason: str,
                  liaisons: Collection[int] = ()) -> None:
    """Queue families; one already queued keeps its place, is due now and takes the higher priority.
    Families in ``liaisons`` have their liaisons read again (a mark that stays until they are)."""
    if not family_ids:
        return
    now = _now()
    statement = insert_for(session)(PendingFamily).values([
        {"family_id": f, "priority": priority, "reason": reason, "enqueued_at": now, "attempts": 0,
         "next_attempt_at": now, "liaisons_due": f in liaisons} for f in sorted(set(family_ids))])
    statement = statement.on_conflict_do_update(index_elements=["family_id"], set_={
        "priority": func.min(PendingFamily.priority, statement.excluded.priority)
        if session.bind.dialect.name == "sqlite" else func.least(PendingFamily.priority, statement.excluded.priority),
        "enqueued_at": statement.excluded.enqueued_at, "next_attempt_at": statement.excluded.next_attempt_at,
        "attempts": 0, "liaisons_due": or_(PendingFamily.liaisons_due, statement.excluded.liaisons_due),
        # A liaisons-only entry never makes a queued check of the family's cards a lesser one.
        "reason": case((statement.excluded.reason == LIAISONS_ONLY, PendingFamily.reason),
                       else_=statement.excluded.reason)})
    await session.execute(statement)




async def recheck_one_by_one(session: AsyncSession, family_ids: list[int]) -> None:
    """What a bulk pass hands to the one-family path (sync/bulk.py says which families, and why)."""
    await enqueue(session, family_ids, priority=1, reason="recheck")
