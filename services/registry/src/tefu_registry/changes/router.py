"""The history of a family (一人一档) and the change feed of the whole register."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from tefu_common.auth import Principal, Scope, require
from tefu_common.db import DbSession
from tefu_common.errors import PROBLEM_JSON
from tefu_registry.access_log.service import log_reads
from tefu_registry.changes import service
from tefu_registry.families.service import scoped_family

Reader = Annotated[Principal, Depends(require(Scope.families_read))]
PROBLEM = {"content": {PROBLEM_JSON: {}}}
router = APIRouter(prefix="/v1", tags=["history and changes"], responses={401: PROBLEM, 403: PROBLEM, 404: PROBLEM})


class HistoryEntry(BaseModel):
    id: int
    kind: str = Field(description="family_registered, family_updated, event_recorded, liaison_assigned, contact_recorded ...")
    occurred_at: datetime
    actor: str
    changes: list[dict[str, Any]] = Field(description="field, old, new; personal data appears masked")


class ChangeOut(BaseModel):
    cursor: int
    family_id: int
    kind: str
    occurred_at: datetime
    region_code: str


class ChangePage(BaseModel):
    items: list[ChangeOut]
    next_cursor: int = Field(description="Pass as `after` next time; equal to `after` when nothing is new.")


@router.get(
    "/families/{family_id}/history",
    response_model=list[HistoryEntry],
    summary="The family's full history (一人一档), oldest first",
)
async def history(family_id: int, session: DbSession, caller: Reader) -> list[HistoryEntry]:
    family = await scoped_family(session, family_id=family_id, caller=caller)
    await log_reads(session, caller=caller, families=[(family.id, family.region_code)], endpoint="GET /v1/families/{id}/history")
    return [
        HistoryEntry(id=c.id, kind=c.kind, occurred_at=c.occurred_at, actor=c.actor, changes=c.changes)
        for c in await service.family_history(session, family_id=family.id)
    ]


@router.get(
    "/changes",
    response_model=ChangePage,
    summary="Change feed: every change in commit order",
    description=(
        "Poll with the last `next_cursor` you got as `after`. Changes are numbered in the order their "
        "transactions committed, so a consumer that always resumes from its last cursor misses nothing; "
        "`cursor` is unique, so a consumer can also deduplicate. Only families of your region appear."
    ),
)
async def changes(
    session: DbSession,
    caller: Reader,
    after: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=1000),
) -> ChangePage:
    rows = await service.feed(session, region=caller.region, after=after, limit=limit)
    return ChangePage(
        items=[ChangeOut(cursor=r.id, family_id=r.family_id, kind=r.kind, occurred_at=r.occurred_at, region_code=r.region_code)
               for r in rows],
        next_cursor=rows[-1].id if rows else after,
    )
