"""Applying a return file: every row checked first, then all applied, or nothing.

Idempotent: a row that says what the ledger already says changes nothing, so the same file can be
posted again. A failed line goes back to owed (the ledger's key frees it) and a later batch
carries it, naming the original line. When no line of the batch is pending, it is reconciled.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.auth import Principal
from tefu_common.db import Database
from tefu_common.errors import Conflict, ValidationFailed
from tefu_payments.access_log import service as access_log
from tefu_payments.batches.models import Batch, BatchTransition, LedgerLine
from tefu_payments.disbursement.service import agency_batch
from tefu_payments.returns.parsing import ReturnFileError, ReturnRow, read_rows


async def post_returns(session: AsyncSession, database: Database, batch_id: int, caller: Principal, content: bytes,
                       filename: str) -> dict[str, Any]:
    """Check and apply a return file; every post is in the access log, applied or refused (a refusal
    answers with the lines' amounts and states)."""
    batch = await agency_batch(session, batch_id, caller)
    if batch.status not in ("exported", "reconciled"):
        raise Conflict(f"batch {batch.id} is {batch.status}: returns are posted after the file was pulled")

    def read(rows: int, note: str) -> access_log.Read:
        return access_log.Read(action="return_post", endpoint=f"POST /v1/batches/{batch.id}/returns",
                               region_code=batch.region_code, batch_id=batch.id, line_count=rows,
                               sha256=hashlib.sha256(content).hexdigest(), note=note,
                               shown="payment results of the lines posted: paid or failed, reasons, dates, amounts")
    rows: list[ReturnRow] = []
    try:
        try:
            rows = read_rows(content, filename)
        except ReturnFileError as exc:
            raise ValidationFailed.of_field("file", str(exc)) from None
        result = await _apply(session, batch, caller, rows)
    except ValidationFailed as refused:
        await access_log.record_apart(database, caller, read(len(rows), f"refused: {refused.detail}"[:200]))
        raise
    await access_log.record(session, caller, read(len(rows), f"{result['applied']} applied, {result['unchanged']} unchanged"))
    return result


async def _apply(session: AsyncSession, batch: Batch, caller: Principal, rows: list[ReturnRow]) -> dict[str, Any]:
    references = [r.reference for r in rows if r.reference]
    lines = {}
    for start in range(0, len(references), 5000):
        for line in (await session.scalars(select(LedgerLine).where(
                LedgerLine.reference.in_(references[start:start + 5000])))).all():
            lines[line.reference] = line
    errors: list[dict[str, Any]] = []
    seen: dict[str, int] = {}

    def fail(row: int, column: str, message: str) -> None:
        errors.append({"row": row, "column": column, "field": f"file.row[{row}].{column}", "message": message,
                       "type": "value_error"})

    for row in rows:
        for column, message in row.problems:
            fail(row.row, column, message)
        if not row.reference:
            continue
        if row.reference in seen:
            fail(row.row, "流水号", f"{row.reference} already appears in row {seen[row.reference]}")
            continue
        seen[row.reference] = row.row
        line = lines.get(row.reference)
        if line is None:
            fail(row.row, "流水号", f"unknown line reference {row.reference}")
            continue
        if line.batch_id != batch.id:
            fail(row.row, "流水号", f"line {row.reference} belongs to batch {line.batch_id}, not {batch.id}")
            continue
        if line.status == "released":
            fail(row.row, "流水号", f"line {row.reference} was withdrawn from the batch")
        if row.amount is not None and row.amount != line.amount:
            fail(row.row, "金额", f"{row.amount:.2f} differs from the line's {line.amount:.2f}")
        if line.status in ("paid", "failed") and row.result and line.status != row.result:
            fail(row.row, "结果", f"line {row.reference} was already reported {line.status}; a correction needs the clerk")
    if errors:
        raise ValidationFailed(f"{len(errors)} problem(s) in the return file; nothing was applied", errors=errors)

    applied = unchanged = 0
    for row in rows:
        line = lines[row.reference]
        if line.status == row.result:
            unchanged += 1
            continue
        line.status = row.result or line.status
        if row.result == "paid":
            line.paid_on = row.paid_on
        else:
            line.failure_reason = row.reason[:200]
        applied += 1
    await session.flush()
    counts = dict((await session.execute(select(LedgerLine.status, func.count()).where(
        LedgerLine.batch_id == batch.id).group_by(LedgerLine.status))).all())
    if batch.status == "exported" and not counts.get("pending"):
        now = datetime.now(timezone.utc)
        session.add(BatchTransition(batch_id=batch.id, from_status=batch.status, to_status="reconciled",
                                    actor=caller.subject, at=now,
                                    note=f"{counts.get('paid', 0)} paid, {counts.get('failed', 0)} failed"))
        batch.status, batch.updated_at = "reconciled", now
        await session.flush()
    return {"batch_id": batch.id, "status": batch.status, "rows": len(rows), "applied": applied, "unchanged": unchanged,
            "paid": counts.get("paid", 0), "failed": counts.get("failed", 0), "pending": counts.get("pending", 0)}
