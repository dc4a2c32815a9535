"""Recording changes, in the same transaction as the change itself (``repository.py`` reads them).

The feed's promise is that a consumer polling ``after=<last cursor>`` never misses a change. An
auto-increment id alone does not give that: two transactions can take ids 11 and 12 and commit
12 first, so a reader could see 12, move its cursor past 11, and never see 11. On PostgreSQL every
writer therefore takes one transaction-scoped advisory lock before its first change row: ids are
then handed out in the order the transactions commit. SQLite has a single writer at a time, which
gives the same order by itself.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.bulk import insert_columns
from tefu_common.request_context import current_request_id
from tefu_registry.changes.models import FamilyChange

FEED_LOCK_KEY = 7_370_306  # an arbitrary constant shared by every writer of the change log


async def _serialise_feed_writers(session: AsyncSession) -> None:
    if session.info.get("feed_lock_held"):
        return
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_LOCK_KEY})
    session.info["feed_lock_held"] = True


async def record_change(
    session: AsyncSession,
    *,
    family_id: int,
    region_code: str,
    kind: str,
    actor: str,
    changes: list[dict[str, Any]] | None = None,
) -> FamilyChange:
    await _serialise_feed_writers(session)
    change = FamilyChange(
        family_id=family_id,
        region_code=region_code,
        kind=kind,
        occurred_at=datetime.now(timezone.utc),
        actor=actor,
        changes=changes or [],
        request_id=current_request_id(),
    )
    session.add(change)
    await session.flush()
    return change


async def record_changes(session: AsyncSession, changes: list[dict[str, Any]]) -> None:
    """Record many changes in one write (bulk registration: ``COPY`` on PostgreSQL); rows are
    numbered in list order."""
    if not changes:
        return
    await _serialise_feed_writers(session)
    now, request_id = datetime.now(timezone.utc), current_request_id()
    names = ("family_id", "region_code", "kind", "actor", "changes")
    columns: dict[str, list[Any]] = {name: [c.get(name) for c in changes] for name in names}
    await insert_columns(session, FamilyChange.__table__, dict(
        columns, occurred_at=[now] * len(changes), request_id=[request_id] * len(changes)))
