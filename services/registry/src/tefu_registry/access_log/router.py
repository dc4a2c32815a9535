"""The access log, for auditors of a region."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from tefu_common.auth import Principal, Scope, require
from tefu_common.db import DbSession
from tefu_common.errors import PROBLEM_JSON
from tefu_registry.access_log import service

Auditor = Annotated[Principal, Depends(require(Scope.audit_read))]
PROBLEM = {"content": {PROBLEM_JSON: {}}}
router = APIRouter(prefix="/v1", tags=["access log"], responses={401: PROBLEM, 403: PROBLEM})


class AccessLogOut(BaseModel):
    id: int
    at: datetime
    subject: str
    role: str
    family_id: int
    region_code: str
    endpoint: str
    request_id: str | None


class AccessLogPage(BaseModel):
    items: list[AccessLogOut]
    next_cursor: int | None


@router.get(
    "/access-log",
    response_model=AccessLogPage,
    summary="Who read which family's personal data",
    description="Auditors (and admins) see the reads of families in their region.",
)
async def access_log(
    session: DbSession,
    caller: Auditor,
    family_id: int | None = Query(None),
    subject: str | None = Query(None, max_length=128),
    since: datetime | None = Query(None),
    until: datetime | None = Query(None),
    cursor: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=1000),
) -> AccessLogPage:
    rows = await service.query(
        session, caller=caller, family_id=family_id, subject=subject, since=since, until=until, after=cursor, limit=limit
    )
    return AccessLogPage(
        items=[AccessLogOut.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=rows[-1].id if len(rows) == limit else None,
    )
