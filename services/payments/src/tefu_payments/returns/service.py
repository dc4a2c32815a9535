"""Applying a return file: every row checked first, then all applied, or nothing.

Idempotent: a row that says what the ledger already says changes nothing, so the same file can be
posted again. A failed line goes back to owed (the ledger's key frees it) and a later batch
carries it, naming the original line, unless the bank said the payee died or the account is
closed or wrong: then a notice goes to the register (tefu_payments.notices) and the member is paid
nothing until a clerk settles the review task. When no line of the batch is pending, it is reconciled.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from tefu_common import calendar
from tefu_common.errors import Conflict, FieldError, Invalid, ValidationFailed, field_path
from tefu_common.i18n import Text
from tefu_common.tables import off_the_loop
from tefu_payments.batches.models import Batch, BatchTransition
from tefu_payments.notices import service as notices
from tefu_payments.returns import iso20022
from tefu_payments.returns.parsing import ReturnFileError, ReturnRow, read_rows
from tefu_payments.returns.repository import ReturnRepository


@dataclass(frozen=True)
class RowError(FieldError):
    """A cell of the return file at fault: its row (as numbered in the file) and column too."""

    row: int
    column: str

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "row": self.row, "column": self.column}


def row_error(row: int, column: str, code: str, message: Text) -> RowError:
    return RowError(field_path("file", f"rows.{row}.{column}"), code, message, row, column)


async def post_returns(returns: ReturnRepository, batch_id: int, content: bytes, filename: str) -> dict[str, Any]:
    """Check and apply a return file; every post is in the access log, applied or refused (a refusal
    answers with the lines' amounts and states)."""
    batch = await returns.get(batch_id)
    if batch.status not in ("exported", "reconciled"):
        raise Conflict(Text(f"批次 {batch.id} 当前为 {batch.status}：要在获取代发文件之后才能上传回盘文件",
                            f"batch {batch.id} is {batch.status}: returns are posted after the file was pulled"),
                       code="batch-not-exported")
    sha256 = hashlib.sha256(content).hexdigest()
    rows: list[ReturnRow] = []
    try:
        try:
            if iso20022.looks_like_xml(content, filename):
                rows = await off_the_loop(iso20022.read_rows, content)
            else:
                rows = await off_the_loop(read_rows, content, filename)
        except ReturnFileError as exc:
            raise ValidationFailed([FieldError("file", exc.code, exc.message)]) from None
        result = await _apply(returns, batch, rows)
    except ValidationFailed as refused:
        detail = refused.detail.en if isinstance(refused.detail, Text) else str(refused.detail)
        await returns.log_refused(batch, rows=len(rows), sha256=sha256, note=f"refused: {detail}")
        raise
    await returns.log_post(batch, rows=len(rows), sha256=sha256,
                           note=f"{result['applied']} applied, {result['unchanged']} unchanged")
    return result


async def _apply(returns: ReturnRepository, batch: Batch, rows: list[ReturnRow]) -> dict[str, Any]:
    lines = await returns.lines_by_reference([r.reference for r in rows if r.reference])
    exported_on, today = await returns.exported_on(batch), calendar.today()
    errors: list[FieldError] = []
    seen: dict[str, int] = {}

    def fail(row: int, column: str, code: str, zh: str, en: str) -> None:
        errors.append(row_error(row, column, code, Text(zh, en)))

    for row in rows:
        for problem in row.problems:
            errors.append(row_error(row.row, problem.column, problem.code, problem.message))
        if not row.reference:
            continue
        if row.reference in seen:
            fail(row.row, "流水号", "reference-repeated", f"{row.reference} 已在第 {seen[row.reference]} 行出现",
                 f"{row.reference} already appears in row {seen[row.reference]}")
            continue
        seen[row.reference] = row.row
        line = lines.get(row.reference)
        if line is None:
            fail(row.row, "流水号", "reference-unknown", f"没有流水号为 {row.reference} 的明细",
                 f"unknown line reference {row.reference}")
            continue
        if line.batch_id != batch.id:
            fail(row.row, "流水号", "reference-other-batch", f"明细 {row.reference} 属于批次 {line.batch_id}，不属于批次 {batch.id}",
                 f"line {row.reference} belongs to batch {line.batch_id}, not {batch.id}")
            continue
        if line.status == "released":
            fail(row.row, "流水号", "line-released", f"明细 {row.reference} 已从批次中撤出",
                 f"line {row.reference} was withdrawn from the batch")
        if row.result == "paid" and row.paid_on is not None and (
                row.paid_on > today or (exported_on is not None and row.paid_on < exported_on)):
            # A bank cannot have paid a line before it had the file, nor on a day still to come.
            fail(row.row, "发放日期", "paid-on-out-of-range",
                 f"发放日期 {row.paid_on} 应在批次导出日 {exported_on} 与今天 {today} 之间",
                 f"the paid date {row.paid_on} must lie between the batch's export on {exported_on} and today, {today}")
        if row.amount is not None and row.amount != line.amount:
            fail(row.row, "金额", "amount-differs", f"{row.amount:.2f} 与明细金额 {line.amount:.2f} 不符",
                 f"{row.amount:.2f} differs from the line's {line.amount:.2f}")
        if line.status in ("paid", "failed") and row.result and line.status != row.result:
            done = "发放成功" if line.status == "paid" else "发放失败"
            fail(row.row, "结果", "result-already-reported", f"明细 {row.reference} 已报告为{done}；更正请联系经办人",
                 f"line {row.reference} was already reported {line.status}; a correction needs the clerk")
    if errors:
        raise ValidationFailed(errors, Text(f"回盘文件有 {len(errors)} 处问题，均未处理",
                                            f"{len(errors)} problem(s) in the return file; nothing was applied"))

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
    session = returns.session
    await session.flush()
    # A death or an account problem the bank reported goes to the register (in this transaction).
    await notices.record(session, batch.region_code, [lines[r.reference] for r in rows if r.result == "failed"])
    counts = await returns.status_counts(batch)
    if batch.status == "exported" and not counts.get("pending"):
        now = datetime.now(timezone.utc)
        session.add(BatchTransition(batch_id=batch.id, from_status=batch.status, to_status="reconciled",
                                    actor=returns.caller.subject, at=now,
                                    event="reconciled",
                                    facts={"paid": counts.get("paid", 0), "failed": counts.get("failed", 0)}))
        batch.status, batch.updated_at = "reconciled", now
        await session.flush()
    return {"batch_id": batch.id, "status": batch.status, "rows": len(rows), "applied": applied, "unchanged": unchanged,
            "paid": counts.get("paid", 0), "failed": counts.get("failed", 0), "pending": counts.get("pending", 0)}


def too_large(limit_mb: int) -> ValidationFailed:
    return Invalid("file-too-large", f"文件不能超过 {limit_mb} MB", f"at most {limit_mb} MB").at("", location="file")
