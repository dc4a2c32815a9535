"""``/v1/batches``: prepare a payment batch, submit it, approve or reject it (maker-checker)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from tefu_common.auth import Principal, Role, Scope, require
from tefu_common.db import DbSession
from tefu_common.errors import PROBLEM_JSON
from tefu_payments.batches import building, service
from tefu_payments.batches.models import Batch
from tefu_payments.batches.schemas import BatchCreate, BatchOut, BatchStatus, DecisionIn, LineOut, TransitionOut

Preparer = Annotated[Principal, Depends(require(Scope.batches_prepare, roles=[Role.clerk, Role.admin]))]
Approver = Annotated[Principal, Depends(require(Scope.batches_approve, roles=[Role.approver, Role.admin]))]
Reader = Annotated[Principal, Depends(require(Scope.batches_read))]
PROBLEM = {"content": {PROBLEM_JSON: {}}}
router = APIRouter(prefix="/v1/batches", tags=["batches"], responses={401: PROBLEM, 403: PROBLEM, 404: PROBLEM})


async def _out(session, batch: Batch, report: building.BuildReport | None = None) -> BatchOut:  # type: ignore[no-untyped-def]
    values = {name: getattr(batch, name) for name in BatchOut.model_fields if hasattr(batch, name)}
    values.update(await service.line_counts(session, batch))
    if report is not None:
        values["skipped"] = {"no_amount": report.no_amount, "no_bank_account": report.no_bank_account,
                             "already_in_ledger": report.already_in_ledger}
    return BatchOut.model_validate(values)


@router.post(
    "",
    response_model=BatchOut,
    status_code=201,
    summary="Prepare a batch: every line due in a region and period, plus arrears",
    responses={200: {"description": "The same Idempotency-Key again: the batch it built"},
               409: PROBLEM, 422: PROBLEM, 503: PROBLEM},
)
async def create_batch(
    body: BatchCreate, request: Request, response: Response, session: DbSession, caller: Preparer,
    idempotency_key: str | None = Header(None, max_length=128, description="Repeat it to retry safely."),
) -> BatchOut:
    """Asks the eligibility service for every entitlement of the region, for the period's months
    and the `arrears_months` before them (amounts owed but never paid: a family registered late, a
    line that failed at the bank), keeps those no batch holds yet, snapshots each payee's bank
    account from the registry, and writes the batch in `draft` with its lines, in one transaction.

    - The period must be one of the region's payment schedule (`GET /v1/payment-schedules/{region}`:
      monthly 2020-06, quarterly 2020-Q2, yearly 2020); another is 422 on `period`, saying what to
      ask for, and benefits paid at different frequencies are 422 on `benefits`.
    - A retry with the same `Idempotency-Key` returns the same batch (200); the same key with a
      different body is 422.
    - If the eligibility service or the registry is down or fails half-way: 503, nothing kept.
    - If every line due is already in another batch: 409.
    """
    batch, report = await building.create_batch(session, request, caller, body, idempotency_key)
    if report is None:
        response.status_code = 200
    return await _out(session, batch, report)


@router.get("", response_model=list[BatchOut], summary="Batches of the caller's region, newest first")
async def list_batches(session: DbSession, caller: Reader, status: BatchStatus | None = Query(None)) -> list[BatchOut]:
    return [await _out(session, b) for b in await service.list_batches(session, caller, status)]


@router.get("/{batch_id}", response_model=BatchOut, summary="One batch")
async def get_batch(batch_id: int, session: DbSession, caller: Reader) -> BatchOut:
    return await _out(session, await service.scoped_batch(session, batch_id, caller))


@router.get("/{batch_id}/transitions", response_model=list[TransitionOut], summary="Every state change: who and when")
async def batch_transitions(batch_id: int, session: DbSession, caller: Reader) -> list[TransitionOut]:
    batch = await service.scoped_batch(session, batch_id, caller)
    return [TransitionOut.model_validate(t, from_attributes=True) for t in await service.transitions(session, batch)]


@router.get("/{batch_id}/lines", response_model=list[LineOut], summary="The batch's lines, in reference order")
async def batch_lines(batch_id: int, session: DbSession, caller: Reader,
                      after: str | None = Query(None, description="The last reference of the previous page."),
                      limit: int = Query(500, ge=1, le=5000)) -> list[LineOut]:
    """Names and accounts are masked here; the full values go only into the agency's file. Each page
    is in the access log (`GET /v1/access-log`) with the people it shows."""
    batch = await service.scoped_batch(session, batch_id, caller)
    return await service.batch_lines(session, caller, batch, after=after, limit=limit)


@router.post("/{batch_id}/submit", response_model=BatchOut, summary="Submit a draft for approval", responses={409: PROBLEM})
async def submit(batch_id: int, session: DbSession, caller: Preparer, body: DecisionIn | None = None) -> BatchOut:
    return await _out(session, await service.move(session, batch_id, caller, "submit", body.note if body else None))


@router.post("/{batch_id}/approve", response_model=BatchOut, summary="Approve (never by its preparer)",
             responses={409: PROBLEM})
async def approve(batch_id: int, session: DbSession, caller: Approver, body: DecisionIn | None = None) -> BatchOut:
    """An approver of the batch's region approves a submitted batch; the person who prepared it
    never can (checked here and by a database constraint)."""
    return await _out(session, await service.move(session, batch_id, caller, "approve", body.note if body else None))


@router.post("/{batch_id}/reject", response_model=BatchOut, summary="Reject, releasing its lines", responses={409: PROBLEM})
async def reject(batch_id: int, body: DecisionIn, session: DbSession, caller: Approver) -> BatchOut:
    """The lines go back to owed, for a later batch to carry."""
    return await _out(session, await service.move(session, batch_id, caller, "reject", body.note))


@router.post("/{batch_id}/cancel", response_model=BatchOut, summary="Cancel a draft or submitted batch, releasing its lines",
             responses={409: PROBLEM})
async def cancel(batch_id: int, body: DecisionIn, session: DbSession, caller: Preparer) -> BatchOut:
    return await _out(session, await service.move(session, batch_id, caller, "cancel", body.note))
