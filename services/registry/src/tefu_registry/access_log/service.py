"""Writing and querying the personal-data access log.

An entry is written in the same transaction as the read it records, so a read that returned
data is never missing from the log.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from sqlalchemy import String, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.auth import Principal
from tefu_common.regions import region_prefix
from tefu_common.request_context import current_request_id
from tefu_registry.access_log.models import AccessLogEntry


async def log_reads(
    session: AsyncSession, *, caller: Principal, families: Iterable[tuple[int, str]], endpoint: str
) -> None:
    """Record that ``caller`` read the personal data of these (family id, region) pairs."""
    now = datetime.now(timezone.utc)
    rows = [
        {
            "at": now, "subject": caller.subject, "role": caller.role.value, "family_id": family_id,
            "region_code": region, "endpoint": endpoint, "request_id": current_request_id(),
        }
        for family_id, region in families
    ]
    if rows:
        await session.execute(insert(AccessLogEntry.__table__), rows)  # Core: no ORM bookkeeping per row


async def log_chunk_read(
    session: AsyncSession, *, caller: Principal, after: int, last: int, prefix: str, endpoint: str
) -> None:
    """Log a bulk read of the families with ids in (after, last] under ``prefix``, in one statement."""
    from tefu_registry.families.models import Family

    source = select(
        literal(datetime.now(timezone.utc)), literal(caller.subject), literal(caller.role.value), Family.id,
        Family.region_code, literal(endpoint), literal(current_request_id(), String),
    ).where(Family.id > after, Family.id <= last)
    if prefix:
        source = source.where(Family.region_code.startswith(prefix, autoescape=True))
    columns = ["at", "subject", "role", "family_id", "region_code", "endpoint", "request_id"]
    await session.execute(insert(AccessLogEntry).from_select(columns, source))


async def query(
    session: AsyncSession,
    *,
    caller: Principal,
    family_id: int | None,
    subject: str | None,
    since: datetime | None,
    until: datetime | None,
    after: int,
    limit: int,
) -> list[AccessLogEntry]:
    statement = select(AccessLogEntry).where(AccessLogEntry.id > after).order_by(AccessLogEntry.id).limit(limit)
    prefix = region_prefix(caller.region)
    if prefix:
        statement = statement.where(AccessLogEntry.region_code.startswith(prefix, autoescape=True))
    if family_id is not None:
        statement = statement.where(AccessLogEntry.family_id == family_id)
    if subject:
        statement = statement.where(AccessLogEntry.subject == subject)
    if since:
        statement = statement.where(AccessLogEntry.at >= since)
    if until:
        statement = statement.where(AccessLogEntry.at < until)
    return list((await session.scalars(statement)).all())
