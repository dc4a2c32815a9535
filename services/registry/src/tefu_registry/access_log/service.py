"""Writing and querying the personal-data access log.

An entry is written in the same transaction as the read it records, so a read that returned
data is never missing from the log.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from sqlalchemy import String, insert, literal, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.auth import Principal
from tefu_common.regions import region_prefix
from tefu_common.request_context import current_request_id
from tefu_registry.access_log.models import AccessLogEntry


# One statement however many families were read: a payment batch reads thousands a call, and an
# INSERT executed once per row costs PostgreSQL far more than the rows themselves.
LOG_MANY = text(
    "INSERT INTO access_log (at, subject, role, family_id, region_code, endpoint, request_id) "
    "SELECT CAST(:at AS timestamptz), CAST(:subject AS varchar), CAST(:role AS varchar), read.family_id, "
    "read.region_code, CAST(:endpoint AS varchar), CAST(:request_id AS varchar) "
    "FROM unnest(CAST(:families AS integer[]), CAST(:regions AS varchar[])) AS read (family_id, region_code)")


async def log_reads(
    session: AsyncSession, *, caller: Principal, families: Iterable[tuple[int, str]], endpoint: str
) -> None:
    """Record that ``caller`` read the personal data of these (family id, region) pairs."""
    pairs = list(families)
    if not pairs:
        return
    entry = {"at": datetime.now(timezone.utc), "subject": caller.subject, "role": caller.role.value,
             "endpoint": endpoint, "request_id": current_request_id()}
    if session.bind.dialect.name == "postgresql":
        await session.execute(LOG_MANY, {**entry, "families": [f for f, _ in pairs], "regions": [r for _, r in pairs]})
    else:
        await session.execute(insert(AccessLogEntry.__table__),
                              [{**entry, "family_id": family_id, "region_code": region} for family_id, region in pairs])


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
