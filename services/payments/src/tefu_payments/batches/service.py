"""Building a batch from the entitlements of a period, and moving it through its states.

A batch is built in one transaction: the batch row, every line, the first transition. If the
eligibility service or the registry fails half-way, or the process dies, nothing of it remains,
and a retry (same Idempotency-Key) builds it again. Lines are written with "insert unless the
(payee, benefit, period) already has a pending or paid line", which the database enforces: two
batches racing for the same region and period cannot both hold a line.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from fastapi import Request
from sqlalchemy import func, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.auth import Principal, Role
from tefu_common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tefu_common.masking import mask_account, mask_name
from tefu_common.regions import region_contains, region_prefix, region_table
from tefu_payments.agencies.models import Agency
from tefu_payments.batches.models import OPEN_LINE_STATES, Batch, BatchTransition, LedgerLine
from tefu_payments.batches.periods import months_back, parse_period
from tefu_payments.batches.schemas import BatchCreate, LineOut
from tefu_payments.upstream import entitlement_lines, payee_details

CHUNK = 2000


@dataclass
class BuildReport:
    allocated: int = 0  # line references handed out (a reference is never reused, even if its row lost a race)
    inserted: int = 0
    total: Decimal = Decimal("0.00")
    arrears: int = 0
    no_amount: int = 0
    no_bank_account: int = 0
    already_in_ledger: int = 0


def request_hash(body: BatchCreate) -> str:
    canonical = json.dumps({**body.model_dump(), "benefits": sorted(set(body.benefits))}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _invalid(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[{"field": field_name, "message": message, "type": "value_error"}])


async def find_idempotent(session: AsyncSession, caller: Principal, key: str | None, digest: str) -> Batch | None:
    if not key:
        return None
    batch = await session.scalar(select(Batch).where(Batch.prepared_by == caller.subject, Batch.idempotency_key == key))
    if batch is not None and batch.request_hash != digest:
        raise ValidationFailed("this Idempotency-Key was used for a different batch request", errors=[
            {"field": "Idempotency-Key", "message": f"already used for batch {batch.id} with other values",
             "type": "value_error"}])
    return batch


async def create_batch(session: AsyncSession, request: Request, caller: Principal, body: BatchCreate,
                       key: str | None) -> tuple[Batch, BuildReport | None]:
    """The batch for the request: an existing one for a repeated Idempotency-Key, else a new draft."""
    digest = request_hash(body)
    existing = await find_idempotent(session, caller, key, digest)
    if existing is not None:
        return existing, None
    period = parse_period(body.period)
    if period is None:
        raise _invalid("period", f"{body.period!r} is not a month (2020-06), a quarter (2020-Q2) or a year (2020)")
    if region_table().get(body.region_code[:6]) is None:
        raise _invalid("region_code", f"{body.region_code!r} is not a GB/T 2260 code")
    if not caller.covers_region(body.region_code):
        raise Forbidden(f"region {body.region_code} is outside your region {caller.region}")
    agency = await session.get(Agency, body.agency_id)
    if agency is None or not agency.active or not region_contains(agency.region_code, body.region_code):
        raise _invalid("agency_id", f"no active agency {body.agency_id} paying in region {body.region_code}")

    if session.bind.dialect.name == "postgresql":
        # One batch is built at a time per region; a racing request waits, then finds the lines taken.
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"batch:{body.region_code}"})
    now = datetime.now(timezone.utc)
    batch = Batch(region_code=body.region_code, benefits=sorted(set(body.benefits)), period=period.label,
                  period_start=period.first, period_end=period.last, agency_id=agency.id, status="draft",
                  prepared_by=caller.subject, idempotency_key=key, request_hash=digest, line_count=0,
                  total=Decimal("0.00"), created_at=now, updated_at=now)
    session.add(batch)
    await session.flush()
    first_month = months_back(period.first, request.app.state.settings.arrears_months)
    report = BuildReport()
    lines = entitlement_lines(request, region=body.region_code, benefits=batch.benefits, first_month=first_month,
                              last_month=period.last_month)
    async for chunk in _chunks(lines):
        await _write_chunk(session, request, batch, chunk, period.first_month, report)
    if report.inserted == 0:
        raise Conflict(f"nothing is due in {body.region_code} for {body.period} that is not already in a batch "
                       f"({report.already_in_ledger} lines already held, {report.no_bank_account} without a bank "
                       f"account, {report.no_amount} without an amount)")
    await _link_carried_lines(session, batch.id)
    batch.line_count, batch.total = report.inserted, report.total
    session.add(BatchTransition(batch_id=batch.id, from_status=None, to_status="draft", actor=caller.subject, at=now,
                                note=f"{report.inserted} lines, {report.arrears} of earlier months"))
    await session.flush()
    return batch, report


async def _chunks(lines: AsyncIterator[dict[str, Any]]) -> AsyncIterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    async for line in lines:
        chunk.append(line)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def payee_key(line: dict[str, Any]) -> str:
    return f"f{line['family_id']}" if line["role"] == "household" else f"m{line['member_id']}"


def period_key(line: dict[str, Any]) -> str:
    return line["period"] or "once"


async def _write_chunk(session: AsyncSession, request: Request, batch: Batch, chunk: list[dict[str, Any]],
                       period_first_month: str, report: BuildReport) -> None:
    payable = []
    for line in chunk:
        if line["amount"] is None:
            report.no_amount += 1
        else:
            payable.append(line)
    keys = {(payee_key(l), l["benefit"], period_key(l)) for l in payable}
    held = set()
    if keys:
        held = set((await session.execute(
            select(LedgerLine.payee_key, LedgerLine.benefit, LedgerLine.period_key).where(
                tuple_(LedgerLine.payee_key, LedgerLine.benefit, LedgerLine.period_key).in_(list(keys)),
                LedgerLine.status.in_(OPEN_LINE_STATES)))).all())
    fresh, seen = [], set()
    for line in payable:
        key = (payee_key(line), line["benefit"], period_key(line))
        if key in held or key in seen:  # the same yearly or once-only entitlement in two months of the range
            report.already_in_ledger += key in held
            continue
        seen.add(key)
        fresh.append(line)
    if not fresh:
        return
    payees = await payee_details(request, sorted({l["member_id"] for l in fresh if l["member_id"] is not None}))
    now = datetime.now(timezone.utc)
    rows = []
    for line in fresh:
        payee = payees.get(line["member_id"])
        if payee is None or not payee.get("account_number"):
            report.no_bank_account += 1
            continue
        report.allocated += 1
        rows.append({
            "batch_id": batch.id, "reference": f"{batch.id:06d}{report.allocated:07d}",
            "family_id": line["family_id"], "member_id": line["member_id"], "role": line["role"],
            "payee_key": payee_key(line), "benefit": line["benefit"], "benefit_name": line["benefit_name"][:80],
            "period_key": period_key(line),
            "month": line["month"], "due_on": date.fromisoformat(line["due_on"]) if line.get("due_on") else None,
            "amount": Decimal(line["amount"]), "status": "pending", "rule_id": line["rule_id"],
            "citation": line["citation"][:200], "payee_name": payee["name"], "payee_id_number": payee["id_number"],
            "bank_name": payee["bank"], "bank_account": payee["account_number"], "account_holder": payee["holder"],
            "created_at": now,
        })
    if not rows:
        return
    dialect_insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(LedgerLine).on_conflict_do_nothing(
        index_elements=["payee_key", "benefit", "period_key"],
        index_where=LedgerLine.status.in_(OPEN_LINE_STATES),
    ).returning(LedgerLine.amount, LedgerLine.month)
    written = (await session.execute(statement.values(rows))).all()
    report.already_in_ledger += len(rows) - len(written)
    report.inserted += len(written)
    report.total += sum((amount for amount, _ in written), Decimal("0.00"))
    report.arrears += sum(1 for _, month in written if month < period_first_month)


async def _link_carried_lines(session: AsyncSession, batch_id: int) -> None:
    """A new line for a (payee, benefit, period) that failed before names the failed line."""
    failed = LedgerLine.__table__.alias("failed")
    earlier = (select(func.max(failed.c.id)).where(
        failed.c.payee_key == LedgerLine.payee_key, failed.c.benefit == LedgerLine.benefit,
        failed.c.period_key == LedgerLine.period_key, failed.c.status == "failed").scalar_subquery())
    await session.execute(update(LedgerLine).where(LedgerLine.batch_id == batch_id).values(carries_line_id=earlier))


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
    if batch is None or not caller.covers_region(batch.region_code):
        raise NotFound(f"no batch {batch_id}")
    return batch


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
        raise _invalid("note", f"say why the batch is {target}")
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
    query = select(Batch).order_by(Batch.id.desc()).limit(500)
    prefix = region_prefix(caller.region)
    if prefix:
        query = query.where(Batch.region_code.startswith(prefix, autoescape=True))
    if status:
        query = query.where(Batch.status == status)
    return list((await session.scalars(query)).all())



async def batch_lines(session: AsyncSession, batch: Batch, *, after: str | None, limit: int) -> list[LineOut]:
    carried = LedgerLine.__table__.alias("carried")
    query = (select(LedgerLine, carried.c.reference).outerjoin(carried, carried.c.id == LedgerLine.carries_line_id)
             .where(LedgerLine.batch_id == batch.id).order_by(LedgerLine.reference).limit(limit))
    if after:
        query = query.where(LedgerLine.reference > after)
    return [LineOut(reference=l.reference, family_id=l.family_id, member_id=l.member_id, role=l.role, benefit=l.benefit,
                    benefit_name=l.benefit_name, period=l.period_key, month=l.month, due_on=l.due_on, amount=l.amount,
                    status=l.status, paid_on=l.paid_on, failure_reason=l.failure_reason, carries=carries,
                    payee_name=mask_name(l.payee_name) if l.payee_name else None,
                    bank_account=mask_account(l.bank_account) if l.bank_account else None, citation=l.citation)
            for l, carries in (await session.execute(query)).all()]
