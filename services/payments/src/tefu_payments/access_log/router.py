"""``GET /v1/access-log``: who read which personal data in payments, for auditors of a region."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from tefu_common.auth import Principal, Role, Scope, require
from tefu_common.db import DbSession
from tefu_common.errors import PROBLEM_JSON
from tefu_payments.access_log import service

Auditor = Annotated[Principal, Depends(require(Scope.audit_read, roles=[Role.auditor, Role.admin]))]
PROBLEM = {"content": {PROBLEM_JSON: {}}}
router = APIRouter(prefix="/v1", tags=["access log"], responses={401: PROBLEM, 403: PROBLEM, 422: PROBLEM})
Action = Literal["file_pull", "return_post", "batch_lines", "payment_history"]


class AccessLogOut(BaseModel):
    id: int
    at: datetime
    subject: str = Field(description="Who read: the subject of the token.")
    role: str
    institution: str | None = Field(description="The agency a bank's client acted for.")
    action: Action
    endpoint: str
    region_code: str = Field(description="The region of the data read.")
    batch_id: int | None
    line_count: int = Field(description="Lines pulled, posted or shown.")
    shown: str = Field(description="Which personal data, in full or masked.")
    sha256: str | None = Field(description="Of the disbursement file pulled, or of the return file posted.")
    note: str | None
    request_id: str | None
    member_ids: list[int] = Field(description="The people a page of lines or a payment history showed one by one; a "
                                              "file pull or return names its batch instead.")


class AccessLogPage(BaseModel):
    items: list[AccessLogOut]
    next_cursor: int | None = Field(description="Pass as `cursor` for the next page; null on the last one.")


@router.get("/access-log", response_model=AccessLogPage, summary="Who read which personal data held by payments")
async def access_log(
    session: DbSession,
    caller: Auditor,
    since: datetime | None = Query(None, description="From this time on (ISO 8601)."),
    until: datetime | None = Query(None, description="Before this time."),
    subject: str | None = Query(None, max_length=128, description="Who read: a token's subject."),
    member_id: int | None = Query(None, description="Whose data: reads that showed this person, and the files of "
                                                    "batches holding a line of theirs."),
    batch_id: int | None = Query(None),
    action: Action | None = Query(None),
    cursor: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=500),
) -> AccessLogPage:
    """Every pull of a disbursement file (names, ID numbers and bank accounts in full; first or later
    pull), every return file posted (applied or refused), every page of a batch's lines and every
    person's payment history read: who, for which institution, when, which batch and people, how
    many lines, what was shown, the file's SHA-256 and the request id. Auditors and admins see the
    entries about batches and people of their region, oldest first."""
    rows = await service.query(session, caller=caller, since=since, until=until, subject=subject, member_id=member_id,
                               batch_id=batch_id, action=action, after=cursor, limit=limit)
    items = [AccessLogOut.model_validate({**{name: getattr(entry, name) for name in AccessLogOut.model_fields
                                             if hasattr(entry, name)}, "member_ids": members})
             for entry, members in rows]
    return AccessLogPage(items=items, next_cursor=items[-1].id if len(items) == limit else None)
