"""``/v1/batches``: prepare a payment batch, submit it, approve or reject it (maker-checker)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Response

from tefu_common import calendar
from tefu_common.openapi import problems
from tefu_common.paging import Page, PageParams
from tefu_common.ids import RowId
from tefu_payments.batches import building, service
from tefu_payments.batches.repository import Approvers, Batches, Preparers
from tefu_payments.batches.schemas import (BATCH_EXAMPLE, BatchCreate, BatchOut, BatchStatus, DecisionIn, LineOut,
                                           SkipOut, SkipReason, TransitionOut)
from tefu_payments.settings import CurrentSettings
from tefu_payments.upstreams import Eligibility, Registry

router = APIRouter(prefix="/v1/batches", tags=["batches"])
OptionalNote = Annotated[DecisionIn | None, Body(examples=[{"note": "已核对明细"}])]


@router.post(
    "",
    response_model=BatchOut,
    status_code=201,
    summary="制作批次：某地区某期间的全部应发项目，连同欠发",
    responses={200: {"description": "同一个 Idempotency-Key 再次请求：返回它当初生成的批次（The same Idempotency-Key "
                                    "again: the batch it built）",
                     "content": {"application/json": {"example": BATCH_EXAMPLE}}},
               **problems(409, 502, **{"503": "资格服务、登记服务或数据库暂不可用，批次未保存（Eligibility, the registry or the "
                                              "database is unavailable: nothing was kept）"})},
)
async def create_batch(
    body: BatchCreate, response: Response, batches: Preparers, eligibility: Eligibility, registry: Registry,
    settings: CurrentSettings,
    idempotency_key: str | None = Header(None, max_length=128, description="Repeat it to retry safely."),
) -> BatchOut:
    """Clerks and admins of the region. Asks the eligibility service (with the caller's own token)
    for every entitlement of the region, for the period's months and the `arrears_months` before
    them (amounts owed but never paid: a family registered late, a line that failed at the bank),
    keeps those no batch holds yet, snapshots each payee's bank account from the registry, and
    writes the batch in `draft` with its lines, in one transaction. What it leaves out (no amount
    yet, no bank account, held by another batch) is kept with it: counted in `skipped` on every
    answer about the batch, listed in `GET /v1/batches/{id}/skipped`.

    - The period must have come: no later than the current period of its kind, or the next one
      (`batch_lookahead_periods`, 0 or 1, default 1: paying before a holiday), never before the
      programme began in 2007 (422 `period-too-late` / `period-before-programme` on `period`).
    - The period must be one of the region's payment schedule (`GET /v1/payment-schedules/{region}`:
      monthly 2020-06, quarterly 2020-Q2, yearly 2020); another is 422 on `period`, saying what to
      ask for, and benefits paid at different frequencies are 422 on `benefits`. A region outside
      the caller's is 422 `region-outside-scope`; a 422 of the eligibility service reaches the
      caller as it was.
    - A retry with the same `Idempotency-Key` returns the same batch (200), also while the first
      request is still building it (the retry waits for it, up to a minute); the same key with a
      different body is 422 `idempotency-key-reused`.
    - 409 `nothing-due` when every line due is already in another batch; 409 `batch-being-built`
      when another batch of the region is being built at this moment (retry once it is done).
    - 503 if the eligibility service or the registry is down or fails half-way: nothing kept.
    """
    batch, report = await building.create_batch(batches, eligibility, registry, body, idempotency_key,
                                                arrears_months=settings.arrears_months,
                                                today=calendar.today(), lookahead=settings.batch_lookahead_periods)
    if report is None:
        response.status_code = 200
    return await service.batch_out(batches, batch)


@router.get("", response_model=Page[BatchOut], summary="本辖区的批次，按编号从旧到新")
async def list_batches(batches: Batches, page: PageParams,
                       status: BatchStatus | None = Query(None, description="Only batches in this state.")) -> Page[BatchOut]:
    """Any caller with `batches:read`: the batches of the caller's region (an agency's client: the
    batches its agency pays), oldest first, in pages; `status` keeps one state."""
    found, next_cursor = await batches.page(page, statuses=(status,) if status else ())
    return Page[BatchOut](items=[await service.batch_out(batches, b) for b in found], next_cursor=next_cursor)


@router.get("/{batch_id}", response_model=BatchOut, summary="查看一个批次", responses=problems(404))
async def get_batch(batch_id: RowId, batches: Batches) -> BatchOut:
    """Any caller with `batches:read` who sees the batch (its region, or the agency paying it);
    404 `batch-not-found` alike for a batch that does not exist or lies elsewhere."""
    return await service.batch_out(batches, await batches.get(batch_id))


@router.get("/{batch_id}/transitions", response_model=Page[TransitionOut], summary="批次的每次状态变化：何人、何时",
            responses=problems(404))
async def batch_transitions(batch_id: RowId, batches: Batches, page: PageParams) -> Page[TransitionOut]:
    """Every state change of the batch, oldest first: draft, submitted, approved, exported,
    reconciled, rejected or cancelled, who made it and when. `note` is what a person wrote, or, on
    the steps the service records itself (`event`: built, exported, reconciled), what happened in
    Chinese ("共 39 笔，其中 36 笔为以前月份的补发"; English with `Accept-Language: en`), its figures
    in `facts`."""
    found, next_cursor = await batches.transitions(await batches.get(batch_id), page)
    return Page[TransitionOut](items=[service.transition_out(t) for t in found], next_cursor=next_cursor)


@router.get("/{batch_id}/skipped", response_model=Page[SkipOut], summary="生成批次时未纳入的项目：为谁、为什么、怎么办",
            responses=problems(404))
async def batch_skipped(batch_id: RowId, batches: Batches, page: PageParams,
                        reason: SkipReason | None = Query(None, description="Only the items of this reason.")
                        ) -> Page[SkipOut]:
    """Any caller with `batches:read` who sees the batch (404 `batch-not-found` alike otherwise):
    each entitlement its build left out, by reason (already_in_ledger, no_amount, no_bank_account)
    and then in the order found, with why (`reason_text`) and what the clerk does about it
    (`what_to_do`), in Chinese (English with `Accept-Language: en`). Ids only: the names are the
    registry's. Entitlements of months before the period that an earlier batch holds are counted
    in the batch's `skipped.already_in_ledger_earlier` and not listed. Each page is in the access
    log with the members it names. Empty for a batch built before the items were kept (its
    `skipped` is null)."""
    found, next_cursor = await batches.skipped(await batches.get(batch_id), page, reason)
    return Page[SkipOut](items=[service.skip_out(skip) for skip in found], next_cursor=next_cursor)


@router.get("/{batch_id}/lines", response_model=Page[LineOut], summary="批次的明细，按流水号排序",
            responses=problems(404))
async def batch_lines(batch_id: RowId, batches: Batches, page: PageParams) -> Page[LineOut]:
    """Names and accounts are masked here; the full values go only into the agency's file. Each page
    is in the access log (`GET /v1/access-log`) with the people it shows."""
    lines, next_cursor = await batches.lines(await batches.get(batch_id), page)
    return Page[LineOut](items=[service.line_out(line, carries) for line, carries in lines], next_cursor=next_cursor)


@router.post("/{batch_id}/submit", response_model=BatchOut, summary="提交草稿批次待审批",
             responses=problems(404, **{"409": "批次不是草稿（The batch is not a draft）"}))
async def submit(batch_id: RowId, batches: Preparers, body: OptionalNote = None) -> BatchOut:
    """Clerks and admins of the region submit a draft for approval; 409 `batch-not-draft` otherwise."""
    batch = await service.move(batches, batch_id, "submit", body.note if body else None)
    return await service.batch_out(batches, batch)


@router.post("/{batch_id}/approve", response_model=BatchOut, summary="审批通过（制单人本人不能审批）",
             responses=problems(404, **{"409": "批次不是已提交状态（The batch is not submitted）"}))
async def approve(batch_id: RowId, batches: Approvers, body: OptionalNote = None) -> BatchOut:
    """An approver of the batch's region approves a submitted batch; the person who prepared it
    never can (403 `maker-checker`, checked here and by a database constraint)."""
    batch = await service.move(batches, batch_id, "approve", body.note if body else None)
    return await service.batch_out(batches, batch)


@router.post("/{batch_id}/reject", response_model=BatchOut, summary="退回批次，释放其中的明细",
             responses=problems(404, **{"409": "批次不是已提交状态（The batch is not submitted）"}))
async def reject(batch_id: RowId, body: DecisionIn, batches: Approvers) -> BatchOut:
    """An approver (never the preparer) rejects a submitted batch, saying why (`note`, else 422
    `note-required`). The lines go back to owed, for a later batch to carry."""
    batch = await service.move(batches, batch_id, "reject", body.note)
    return await service.batch_out(batches, batch)


@router.post("/{batch_id}/cancel", response_model=BatchOut, summary="取消草稿或已提交的批次，释放其中的明细",
             responses=problems(404, **{"409": "批次已批准或已结束（The batch is past approval）"}))
async def cancel(batch_id: RowId, body: DecisionIn, batches: Preparers) -> BatchOut:
    """Clerks and admins of the region cancel a draft or submitted batch, saying why (`note`); its
    lines go back to owed."""
    batch = await service.move(batches, batch_id, "cancel", body.note)
    return await service.batch_out(batches, batch)
