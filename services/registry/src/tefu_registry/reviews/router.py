"""Review tasks (核查任务): bank returns that the register must act on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from tefu_common.auth import Role, Scope, require
from tefu_common.ids import RowId
from tefu_common.openapi import problems
from tefu_common.paging import Page, PageParams
from tefu_common.regions import RegionCodeStr
from tefu_registry.reviews import service
from tefu_registry.families.review_tasks import ReviewTask
from tefu_registry.reviews.repository import ReviewRepository
from tefu_registry.reviews.schemas import Kind, ReviewTaskOpen, ReviewTaskOut, ReviewTaskResolve, Status

Opener = Annotated[ReviewRepository, ReviewRepository.dependency(require(Scope.reviews_open, roles=[Role.service,
                                                                                                     Role.admin]))]
Readers = Annotated[ReviewRepository, ReviewRepository.dependency(require(Scope.families_read))]
Writers = Annotated[ReviewRepository, ReviewRepository.dependency(require(Scope.families_write))]
router = APIRouter(prefix="/v1/review-tasks", tags=["review tasks"])
NOT_FOUND = problems(**{"404": "没有这个核查任务，或不在你的辖区（No such review task, or not in your region）"})


def _out(task: ReviewTask, roles: dict[int, str]) -> ReviewTaskOut:
    return ReviewTaskOut.model_validate({**{c: getattr(task, c) for c in ReviewTaskOut.model_fields if c != "member_role"},
                                         "member_role": roles.get(task.member_id, "")})


async def _shown(reviews: ReviewRepository, task: ReviewTask) -> ReviewTaskOut:
    await reviews.shown([task])
    return _out(task, await reviews.roles_of([task]))


@router.post("", response_model=ReviewTaskOut, status_code=201, summary="开立核查任务（银行退回：身故、账户问题）",
             description=(
                 "The payments service (role `service`, scope `reviews:open`) opens a task when a bank returns a line: "
                 "`confirm_death` for MD07 (the payee died), `bank_details` for a closed or wrong account (AC04, AC01, "
                 "AC03, BE01 …). One task per returned line and kind: opening it again answers 200 with the task "
                 "already there. 422 `member-not-found` for a member outside the caller's region. A death already on "
                 "record settles a `confirm_death` task at once (`confirmed`)."),
             responses={**problems(422), "200": {"description": "The task was already open for this line.",
                                                 "model": ReviewTaskOut}})
async def open_task(data: ReviewTaskOpen, reviews: Opener, response: Response) -> ReviewTaskOut:
    task, new = await service.open_task(reviews, data)
    if not new:
        response.status_code = 200
    return await _shown(reviews, task)


@router.get("", response_model=Page[ReviewTaskOut], summary="核查任务列表（按辖区、状态、类型）", description=(
    "核查银行退回的身故、账户问题。\n\nAny token with `families:read`, in the caller's region (`region`, default the "
    "caller's own; 422 outside it). `status` (default all) and `kind` filter. Oldest first, by `cursor`/`limit`. The "
    "payments service reads the open ones before it builds a batch: a member with an open task is not paid. Every "
    "task shown is in the access log."))
async def list_tasks(reviews: Readers, page: PageParams, region: RegionCodeStr | None = Query(None),
                     status: Status | None = Query(None), kind: Kind | None = Query(None)) -> Page[ReviewTaskOut]:
    rows, next_cursor = await reviews.page(service.check_region(reviews, region), status, kind, page)
    roles = await reviews.roles_of(rows)
    return Page[ReviewTaskOut](items=[_out(t, roles) for t in rows], next_cursor=next_cursor)


@router.get("/{task_id}", response_model=ReviewTaskOut, summary="查看一个核查任务", responses=NOT_FOUND,
            description="Any token with `families:read`, in the task's region (404 outside it). The read is logged.")
async def get_task(task_id: RowId, reviews: Readers) -> ReviewTaskOut:
    task = await reviews.task(task_id)
    return await _shown(reviews, task)


@router.post("/{task_id}/resolve", response_model=ReviewTaskOut, summary="处理核查任务：确认身故或驳回",
             description=(
                 "Clerks and admins (`families:write`) of the task's region. `confirmed` (a `confirm_death` task, once "
                 "the death is recorded: 422 `death-not-recorded` before) or `dismissed` with a `note` (422 "
                 "`note-required`). Recording the death as a life event, or changing the member's bank account, closes "
                 "the task by itself. 409 `review-task-closed` for a task already settled."),
             responses={**NOT_FOUND, **problems(409)})
async def resolve_task(task_id: RowId, data: ReviewTaskResolve, reviews: Writers) -> ReviewTaskOut:
    task = await service.resolve(reviews, task_id, data)
    return await _shown(reviews, task)
