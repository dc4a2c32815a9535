"""What payments' access log shows auditors: its own filters (whose data, which batch, what action)
and each entry with the people it named. The route itself is the shared one (router.py)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any, Literal

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.ids import MAX_ROW_ID
from tefu_payments.access_log.models import WHOLE_BATCH_ACTIONS, AccessLogEntry, AccessLogMember
from tefu_payments.batches.models import LedgerLine

Action = Literal["file_pull", "return_post", "batch_lines", "batch_skipped", "payment_history"]

EXAMPLE = {
    "id": 41, "at": "2026-12-01T09:12:03Z", "subject": "bank-zc", "role": "agency", "institution": "ABC-ZC",
    "action": "file_pull", "endpoint": "GET /v1/batches/{batch_id}/file", "region_code": "370306", "batch_id": 12,
    "line_count": 39, "shown": "names, ID numbers and bank accounts in full; amounts", "sha256": "9f2c5d0e" * 8,
    "note": "first pull: the batch is exported", "request_id": "5f0c6e0f3c1d4c8e9a4c2b7d1e0f9a3b", "member_ids": []}


class AccessLogOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    id: int
    at: datetime
    subject: str = Field(description="Who read: the subject of the token.")
    role: str
    institution: str | None = Field(description="The agency a bank's client acted for.")
    action: Action
    endpoint: str = Field(description="The route read through, as its path template.")
    region_code: str | None = Field(description="The region of the data read.")
    batch_id: int | None
    line_count: int = Field(description="Lines pulled, posted or shown.")
    shown: str = Field(description="Which personal data, in full or masked.")
    sha256: str | None = Field(description="Of the disbursement file pulled, or of the return file posted.")
    note: str | None
    request_id: str | None
    member_ids: list[int] = Field(description="The people a page of lines or a payment history showed one by one; a "
                                              "file pull or return names its batch instead.")


async def filters(
    member_id: int | None = Query(None, ge=1, le=MAX_ROW_ID, description="Whose data: reads that showed this person, and the files of "
                                                    "batches holding a line of theirs."),
    batch_id: int | None = Query(None, ge=1, le=MAX_ROW_ID, description="Reads of this batch."),
    action: Action | None = Query(None, description="What was done: file_pull, return_post, batch_lines, "
                                                    "batch_skipped or payment_history."),
) -> list[Any]:
    conditions: list[Any] = []
    if batch_id is not None:
        conditions.append(AccessLogEntry.batch_id == batch_id)
    if action:
        conditions.append(AccessLogEntry.action == action)
    if member_id is not None:
        # Reads that showed the person by name, and whole files of batches that hold a line of theirs.
        named = select(AccessLogMember.entry_id).where(AccessLogMember.member_id == member_id)
        batches = select(LedgerLine.batch_id).where(LedgerLine.member_id == member_id)
        conditions.append(or_(AccessLogEntry.id.in_(named), and_(
            AccessLogEntry.action.in_(WHOLE_BATCH_ACTIONS), AccessLogEntry.batch_id.in_(batches))))
    return conditions


async def present(session: AsyncSession, entries: list[AccessLogEntry]) -> list[AccessLogOut]:
    """Each entry with the people it named."""
    members: dict[int, list[int]] = defaultdict(list)
    if entries:
        for entry_id, member in (await session.execute(
                select(AccessLogMember.entry_id, AccessLogMember.member_id)
                .where(AccessLogMember.entry_id.in_([e.id for e in entries]))
                .order_by(AccessLogMember.entry_id, AccessLogMember.member_id))).all():
            members[entry_id].append(member)
    return [AccessLogOut.model_validate({**{name: getattr(entry, name) for name in AccessLogOut.model_fields
                                            if hasattr(entry, name)}, "member_ids": members[entry.id]})
            for entry in entries]


