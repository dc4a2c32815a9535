"""Batches once built: their states (maker-checker), transitions, lists and lines."""

from __future__ import annotations

from datetime import datetime, timezone

from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.auth import Principal, Role
from tefu_common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tefu_common.masking import mask_account, mask_name
from tefu_common.regions import region_prefix
from tefu_payments.access_log import service as access_log
from tefu_payments.batches.models import Batch, BatchTransition, LedgerLine
from tefu_payments.batches.schemas import LineOut


async def line_counts(session: AsyncSession, batch: Batch) -> dict[str, int]:
    arrears = await session.scalar(select(func.count()).where(
        LedgerLine.batch_id == batch.id, LedgerLine.month < f"{batch.period_start:%Y-%m}"))
    carried = await session.scalar(select(func.count()).where(
        LedgerLine.batch_id == batch.id, LedgerLine.carries_line_id.is_not(None)))
    return {"arrears_lines": arrears or 0, "carried_lines": carried or 0}


# --- states ---------------------------------------------------------------------------------------

TRANSITIONS = {
    "submit": ({"draft"}, "submitted"),
    "approve": ({"submitted"}, "approved"),
    "reject": ({"submitted"}, "rejected"),
    "cancel": ({"draft", "submitted"}, "cancelled"),
}


async def scoped_batch(session: AsyncSession, batch_id: int, caller: Principal, *, lock: bool = False) -> Batch:
    query = select(Batch).where(Batch.id == batch_id)
    if lock and session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    batch = await session.scalar(query)
    if batch is None or not sees_batch(caller, batch):
        raise NotFound(f"no batch {batch_id}")
    return batch


def sees_batch(caller: Principal, batch: Batch) -> bool:
    """Batches of the caller's region; for an agency's client, only the batches the agency pays."""
    if caller.role is Role.agency:
        return caller.institution is not None and caller.institution.id == batch.agency_id
    return caller.covers_region(batch.region_code)


def visible_batches(query: Select[Any], caller: Principal) -> Select[Any]:
    """``query`` (of or joined with Batch) kept to the batches ``sees_batch`` lets the caller see."""
    if caller.role is Role.agency:
        return query.where(Batch.agency_id == (caller.institution.id if caller.institution else ""))
    prefix = region_prefix(caller.region)
    return query.where(Batch.region_code.startswith(prefix, autoescape=True)) if prefix else query


async def move(session: AsyncSession, batch_id: int, caller: Principal, action: str, note: str | None) -> Batch:
    """Apply a state change; the row lock makes two concurrent approvals apply once."""
    batch = await scoped_batch(session, batch_id, caller, lock=True)
    allowed, target = TRANSITIONS[action]
    if batch.status not in allowed:
        raise Conflict(f"batch {batch.id} is {batch.status}; it can be {target} only when {' or '.join(sorted(allowed))}")
    if action in ("approve", "reject"):
        if caller.role not in (Role.approver, Role.admin):
            raise Forbidden("only an approver decides on a batch")
        if caller.subject == batch.prepared_by:
            raise Forbidden("the person who prepared a batch can never approve or reject it (maker-checker)")
    if action in ("reject", "cancel") and not note:
        raise ValidationFailed.of_field("note", f"say why the batch is {target}")
    previous = batch.status
    batch.status = target
    batch.updated_at = datetime.now(timezone.utc)
    if action == "approve":
        batch.approved_by = caller.subject
    if target in ("rejected", "cancelled"):
        # The lines go back to owed: a later batch can carry them.
        await session.execute(update(LedgerLine).where(LedgerLine.batch_id == batch.id, LedgerLine.status == "pending")
                              .values(status="released"))
    session.add(BatchTransition(batch_id=batch.id, from_status=previous, to_status=target, actor=caller.subject,
                                at=batch.updated_at, note=note))
    await session.flush()
    return batch


async def transitions(session: AsyncSession, batch: Batch) -> list[BatchTransition]:
    return list((await session.scalars(select(BatchTransition).where(BatchTransition.batch_id == batch.id)
                                       .order_by(BatchTransition.id))).all())


async def list_batches(session: AsyncSession, caller: Principal, status: str | None) -> list[Batch]:
    query = visible_batches(select(Batch).order_by(Batch.id.desc()).limit(500), caller)
    if status:
        query = query.where(Batch.status == status)
    return list((await session.scalars(query)).all())


async def batch_lines(session: AsyncSession, caller: Principal, batch: Batch, *, after: str | None,
                      limit: int) -> list[LineOut]:
    """A page of the batch's lines, masked; the page and the people on it go into the access log."""
    carried = LedgerLine.__table__.alias("carried")
    query = (select(LedgerLine, carried.c.reference).outerjoin(carried, carried.c.id == LedgerLine.carries_line_id)
             .where(LedgerLine.batch_id == batch.id).order_by(LedgerLine.reference).limit(limit))
    if after:
        query = query.where(LedgerLine.reference > after)
    page = (await session.execute(query)).all()
    if page:
        await access_log.record(session, caller, access_log.Read(
            action="batch_lines", endpoint=f"GET /v1/batches/{batch.id}/lines", region_code=batch.region_code,
            batch_id=batch.id, line_count=len(page), members=[line.member_id for line, _ in page],
            shown="names and bank accounts masked; amounts and payment results",
            note=f"references {page[0][0].reference} to {page[-1][0].reference}"))
    return [LineOut(reference=l.reference, family_id=l.family_id, member_id=l.member_id, role=l.role, benefit=l.benefit,
                    benefit_name=l.benefit_name, period=l.period_key, month=l.month, due_on=l.due_on, amount=l.amount,
                    status=l.status, paid_on=l.paid_on, failure_reason=l.failure_reason, carries=carries,
                    payee_name=mask_name(l.payee.name) if l.payee and l.payee.name else None,
                    bank_account=mask_account(l.payee.account) if l.payee and l.payee.account else None,
                    citation=l.citation)
            for l, carries in page]
