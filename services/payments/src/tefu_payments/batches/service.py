"""Batches once built: their states (maker-checker), and what a batch's answer shows."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import update

from tefu_common.auth import Role
from tefu_common.errors import Conflict, Forbidden, Invalid
from tefu_common.i18n import Text
from tefu_common.masking import mask_account, mask_name
from tefu_payments.batches.models import Batch, BatchTransition, LedgerLine
from tefu_payments.batches.repository import BatchRepository
from tefu_payments.batches.schemas import BatchOut, LineOut

# --- states ---------------------------------------------------------------------------------------

TRANSITIONS = {
    "submit": ({"draft"}, "submitted"),
    "approve": ({"submitted"}, "approved"),
    "reject": ({"submitted"}, "rejected"),
    "cancel": ({"draft", "submitted"}, "cancelled"),
}
STATUS_ZH = {"draft": "草稿", "submitted": "已提交", "approved": "已批准", "exported": "已导出", "reconciled": "已对账",
             "cancelled": "已取消", "rejected": "已退回"}


async def move(batches: BatchRepository, batch_id: int, action: str, note: str | None) -> Batch:
    """Apply a state change; the row lock makes two concurrent approvals apply once."""
    caller = batches.caller
    batch = await batches.get(batch_id, lock=True)
    allowed, target = TRANSITIONS[action]
    if batch.status not in allowed:
        raise Conflict(Text(
            f"批次 {batch.id} 当前为“{STATUS_ZH[batch.status]}”，只有“{'”或“'.join(STATUS_ZH[s] for s in sorted(allowed))}”"
            f"的批次才能改为“{STATUS_ZH[target]}”",
            f"batch {batch.id} is {batch.status}; it can be {target} only when {' or '.join(sorted(allowed))}"),
            code=f"batch-not-{'-or-'.join(sorted(allowed))}")
    if action in ("approve", "reject"):
        if caller.role not in (Role.approver, Role.admin):
            raise Forbidden(Text("只有审批人才能审批批次", "only an approver decides on a batch"), code="approver-only")
        if caller.subject == batch.prepared_by:
            raise Forbidden(Text("批次的制单人不能审批自己制作的批次（制单与审批分离）",
                                 "the person who prepared a batch can never approve or reject it (maker-checker)"),
                            code="maker-checker")
    if action in ("reject", "cancel") and not note:
        raise Invalid("note-required", f"请说明{'退回' if action == 'reject' else '取消'}批次的原因",
                      f"say why the batch is {target}").at("note")
    previous = batch.status
    batch.status = target
    batch.updated_at = datetime.now(timezone.utc)
    if action == "approve":
        batch.approved_by = caller.subject
    session = batches.session
    if target in ("rejected", "cancelled"):
        # The lines go back to owed: a later batch can carry them.
        await session.execute(update(LedgerLine).where(LedgerLine.batch_id == batch.id, LedgerLine.status == "pending")
                              .values(status="released"))
    session.add(BatchTransition(batch_id=batch.id, from_status=previous, to_status=target, actor=caller.subject,
                                at=batch.updated_at, note=note))
    await session.flush()
    return batch


# --- answers --------------------------------------------------------------------------------------


# The amount is right by the national rules, but the region's own standard, likely higher, is not
# configured: the clerk and the approver must see it rather than let the floor be paid unnoticed.
NATIONAL_MINIMUM = Text("{count} 项按国家最低标准发放，因为本地区的地方标准尚未配置",
                        "{count} lines are paid at the national minimum because the local standard is not configured")


def notices(counts: dict[str, int]) -> list[str]:
    """What the preparer and the approver should know about the lines before they sign."""
    found = []
    if counts["national_minimum_lines"]:
        found.append(str(NATIONAL_MINIMUM.format(count=counts["national_minimum_lines"])))
    return found


async def batch_out(batches: BatchRepository, batch: Batch, skipped: dict[str, int] | None = None) -> BatchOut:
    values = {name: getattr(batch, name) for name in BatchOut.model_fields if hasattr(batch, name)}
    counts = await batches.line_counts(batch)
    values.update(counts, notices=notices(counts))
    if skipped is not None:
        values["skipped"] = skipped
    return BatchOut.model_validate(values)


def line_out(line: LedgerLine, carries: str | None) -> LineOut:
    payee = line.payee
    return LineOut(reference=line.reference, family_id=line.family_id, member_id=line.member_id, role=line.role,
                   benefit=line.benefit, benefit_name=line.benefit_name, period=line.period_key, month=line.month,
                   due_on=line.due_on, amount=line.amount, status=line.status, paid_on=line.paid_on,
                   failure_reason=line.failure_reason, carries=carries,
                   payee_name=mask_name(payee.name) if payee and payee.name else None,
                   bank_account=mask_account(payee.account) if payee and payee.account else None,
                   rule_id=line.rule_id, catalogue_version=line.catalogue_version, amount_status=line.amount_status,
                   citation=line.citation)
