"""The change feed of the whole register."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tefu_common.auth import Scope, require
from tefu_common.ids import MAX_BIG_ID
from tefu_registry.changes.repository import ChangeRepository
from tefu_registry.changes.schemas import ChangeFeed, ChangeOut

Changes = Annotated[ChangeRepository, ChangeRepository.dependency(require(Scope.families_read))]
router = APIRouter(prefix="/v1", tags=["history and changes"])


@router.get(
    "/changes",
    response_model=ChangeFeed,
    summary="变更订阅：按提交顺序列出每一项变更",
    description=(
        "登记簿的每一项变更（登记、修改、事件、联系人、走访），按事务提交的顺序编号；只列出本辖区家庭的变更。\n\n"
        "Poll with the last `next_after` you got as `after` (0 the first time). Changes are numbered in the order "
        "their transactions committed, so a consumer that always resumes from its last `next_after` misses "
        "nothing, and the integer `cursor` of each item is unique, so a consumer can store it, compare it and "
        "deduplicate on it. `next_after` is never null: it equals `after` when nothing is new.\n\n"
        "Why this list does not use the suite's page shape (`cursor`/`next_cursor`): a feed has no last page. "
        "Its position is a stored integer that consumers keep between runs and compare, not an opaque token, "
        "and it is named apart (`after`/`next_after`) so that a client written to walk pages until "
        "`next_cursor` is null never loops on it forever. Any token with `families:read` may read it."
    ),
)
async def changes(
    feed: Changes,
    after: int = Query(0, ge=0, le=MAX_BIG_ID, description="The `next_after` of your previous poll (0: from the beginning)."),
    limit: int = Query(100, ge=1, le=1000, description="At most this many changes (1–1000)."),
) -> ChangeFeed:
    rows = await feed.feed(after=after, limit=limit)
    return ChangeFeed(
        items=[ChangeOut(cursor=r.id, family_id=r.family_id, kind=r.kind, occurred_at=r.occurred_at,
                         region_code=r.region_code) for r in rows],
        next_after=rows[-1].id if rows else after,
    )
