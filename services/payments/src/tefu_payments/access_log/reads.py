"""How a repository of payments records one read: its entry, then the people it named.

Every read of personal data in payments goes through a repository (batches' lines, disbursement
files, return files, payment histories), and each calls :func:`record_read` in the request's own
transaction, so a read that answered is never missing from the log.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.access_log import Reader
from tefu_payments.access_log.models import PAYMENTS_LOG, AccessLogMember


async def record_read(session: AsyncSession, reader: Reader, *, action: str, region_code: str, shown: str,
                      line_count: int, batch_id: int | None = None, members: Iterable[int | None] = (),
                      sha256: str | None = None, note: str | None = None) -> int:
    """One entry (and one row per person it named, in one statement); returns the entry's id."""
    entry_id = await PAYMENTS_LOG.record_one(session, reader, action=action, region_code=region_code, shown=shown,
                                             line_count=line_count, batch_id=batch_id, sha256=sha256, note=note)
    named = sorted({member for member in members if member is not None})
    if named:
        await session.execute(insert(AccessLogMember.__table__),
                              [{"entry_id": entry_id, "member_id": member} for member in named])
    return entry_id
