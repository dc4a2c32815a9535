"""Writing and querying the payments access log.

An entry is written in the same transaction as the read it records, so a read that returned data
is never missing from the log. A request that fails after it disclosed something (a refused
return file is answered with the lines' amounts) is logged in a transaction of its own, since the
request's own is rolled back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.auth import Principal
from tefu_common.db import Database
from tefu_common.regions import region_prefix
from tefu_common.request_context import current_request_id
from tefu_payments.access_log.models import WHOLE_BATCH_ACTIONS, AccessLogEntry, AccessLogMember
from tefu_payments.batches.models import LedgerLine


@dataclass(frozen=True)
class Read:
    """One read of personal data: what was done, about which region, batch and people, and what it showed."""

    action: str
    endpoint: str
    region_code: str
    shown: str
    line_count: int
    batch_id: int | None = None
    members: Iterable[int] = ()
    sha256: str | None = None
    note: str | None = None


async def record(session: AsyncSession, caller: Principal, read: Read) -> None:
    entry_id = await session.scalar(insert(AccessLogEntry.__table__).values(
        at=datetime.now(timezone.utc), subject=caller.subject, role=caller.role.value,
        institution=caller.institution.id if caller.institution else None, action=read.action, endpoint=read.endpoint,
        region_code=read.region_code, batch_id=read.batch_id, line_count=read.line_count, shown=read.shown,
        sha256=read.sha256, note=read.note, request_id=current_request_id(),
    ).returning(AccessLogEntry.id))
    members = sorted({m for m in read.members if m is not None})
    if members:
        await session.execute(insert(AccessLogMember.__table__),
                              [{"entry_id": entry_id, "member_id": member} for member in members])


async def record_apart(database: Database, caller: Principal, read: Read) -> None:
    """Record in a transaction of its own: for a request that fails after disclosing something."""
    async with database.sessionmaker() as session:
        await record(session, caller, read)
        await session.commit()


async def query(session: AsyncSession, *, caller: Principal, since: datetime | None, until: datetime | None,
                subject: str | None, member_id: int | None, batch_id: int | None, action: str | None, after: int,
                limit: int) -> list[tuple[AccessLogEntry, list[int]]]:
    """Entries of the caller's region, oldest first after ``after``, each with the people it names."""
    statement = select(AccessLogEntry).where(AccessLogEntry.id > after).order_by(AccessLogEntry.id).limit(limit)
    prefix = region_prefix(caller.region)
    if prefix:
        statement = statement.where(AccessLogEntry.region_code.startswith(prefix, autoescape=True))
    if since is not None:
        statement = statement.where(AccessLogEntry.at >= since)
    if until is not None:
        statement = statement.where(AccessLogEntry.at < until)
    if subject:
        statement = statement.where(AccessLogEntry.subject == subject)
    if batch_id is not None:
        statement = statement.where(AccessLogEntry.batch_id == batch_id)
    if action:
        statement = statement.where(AccessLogEntry.action == action)
    if member_id is not None:
        # Reads that showed the person by name, and whole files of batches that hold a line of theirs.
        named = select(AccessLogMember.entry_id).where(AccessLogMember.member_id == member_id)
        batches = select(LedgerLine.batch_id).where(LedgerLine.member_id == member_id)
        statement = statement.where(or_(AccessLogEntry.id.in_(named), and_(
            AccessLogEntry.action.in_(WHOLE_BATCH_ACTIONS), AccessLogEntry.batch_id.in_(batches))))
    entries = list((await session.scalars(statement)).all())
    members: dict[int, list[int]] = defaultdict(list)
    if entries:
        for entry_id, member in (await session.execute(
                select(AccessLogMember.entry_id, AccessLogMember.member_id)
                .where(AccessLogMember.entry_id.in_([e.id for e in entries]))
                .order_by(AccessLogMember.entry_id, AccessLogMember.member_id))).all():
            members[entry_id].append(member)
    return [(entry, members[entry.id]) for entry in entries]
