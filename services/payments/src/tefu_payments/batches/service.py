"""Batches once built: their states (maker-checker), and what a batch's answer shows."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import update

from tefu_common.auth import Role
from tefu_common.errors import Conflict, Forbidden, Invalid
from tefu_common.i18n import Text
from tefu_common.masking import mask_account, mask_name
from tefu_payments.batches.models import Batch, BatchSkip, BatchTransition, LedgerLine
from tefu_payments.batches.repository import BatchRepository
from tefu_payments.batches.schemas import BatchOut, LineOut, SkipOut, TransitionOut

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


def skipped_counts(batch: Batch) -> dict[str, int] | None:
    """What the build left out, by reason; None for a batch built before that was kept."""
    if batch.skipped_no_amount is None:
        return None
    return {"no_amount": batch.skipped_no_amount, "no_bank_account": batch.skipped_no_bank_account or 0,
            "already_in_ledger": batch.skipped_already_in_ledger or 0,
            "already_in_ledger_earlier": batch.skipped_already_in_ledger_earlier or 0,
            "under_review": batch.skipped_under_review or 0}


async def batch_out(batches: BatchRepository, batch: Batch) -> BatchOut:
    values = {name: getattr(batch, name) for name in BatchOut.model_fields if hasattr(batch, name)}
    counts = await batches.line_counts(batch)
    values.update(counts, notices=notices(counts), skipped=skipped_counts(batch))
    return BatchOut.model_validate(values)


# What the service records of a step, said to people in their language. The facts are kept, not
# the sentence: a batch's history reads in Chinese to a clerk and in English to an integrator.
EVENTS = {
    "built": Text("共 {lines} 笔，其中 {arrears} 笔为以前月份的补发", "{lines} lines, {arrears} of earlier months"),
    "exported": Text("首次下载：批次已导出，文件 SHA-256 {sha256}", "first pull: the batch is exported, file sha256 {sha256}"),
    "reconciled": Text("已支付 {paid} 笔，失败 {failed} 笔", "{paid} paid, {failed} failed"),
}


def transition_out(step: BatchTransition) -> TransitionOut:
    note = step.note
    if step.event in EVENTS and isinstance(step.facts, dict):
        try:
            note = str(EVENTS[step.event].format(**step.facts))
        except (KeyError, IndexError):
            note = step.note  # facts of another shape: the machine form still says what happened
    return TransitionOut(from_status=step.from_status, to_status=step.to_status, actor=step.actor, at=step.at,
                         note=note, event=step.event, facts=step.facts)


# Why an entitlement was left out, and what the clerk does about it.
NO_BANK_ACCOUNT = Text("登记中没有该{who}的银行账户", "the register has no bank account for the {who_en}")
NO_BANK_ACCOUNT_TODO = Text("在登记服务中为该{who}补录银行账户；之后的批次会自动纳入，所欠月份作为欠发补发",
                            "record the {who_en}'s bank account in the registry; the next batches take the line in, "
                            "the months owed as arrears")
NO_AMOUNT = Text("金额未定：政策规定由地方确定的金额尚未配置", "no amount: the rules leave it to a local decision not yet "
                 "configured")
NO_AMOUNT_TODO = Text("请规则管理员按本地区的文件录入该项目的地方标准并经审批生效；之后的批次会自动纳入",
                      "have the rules administrator enter the region's local standard for the benefit and approve it; "
                      "the next batches take the line in")
UNDER_REVIEW = Text("银行退回了该成员的款项（身故或账户问题），登记服务中有待处理的核查任务",
                    "a bank returned this member's payment (deceased, or the account closed or wrong): a review task "
                    "is open in the registry")
UNDER_REVIEW_TODO = Text("在登记服务中处理核查任务（登记死亡、更新银行账户，或核实后驳回）；处理后之后的批次会自动纳入",
                         "settle the review task in the registry (record the death, update the bank account, or "
                         "dismiss it once checked); the next batches then take the line in")
HELD_BY = Text("已在批次 {batch}（流水号 {reference}）中，不重复发放",
               "batch {batch} already holds it (line {reference}); it is never paid twice")
HELD = Text("已在另一个批次中，不重复发放", "another batch already holds it; it is never paid twice")
HELD_TODO = Text("无需处理；若该批次被退回或作废，或银行发放失败，之后的批次会重新纳入",
                 "nothing to do; should that batch be rejected or cancelled, or the bank fail to pay, a later batch "
                 "takes the line in again")


def skip_out(skip: BatchSkip) -> SkipOut:
    if skip.reason == "under_review":
        reason, todo = UNDER_REVIEW, UNDER_REVIEW_TODO
    elif skip.reason == "no_bank_account":
        who = {"who": "成员" if skip.member_id is not None else "家庭收款人",
               "who_en": "member" if skip.member_id is not None else "household's payee"}
        reason, todo = NO_BANK_ACCOUNT.format(**who), NO_BANK_ACCOUNT_TODO.format(**who)
    elif skip.reason == "no_amount":
        reason, todo = NO_AMOUNT, NO_AMOUNT_TODO
        if skip.amount_reason:
            reason = Text(f"{reason.zh}（{skip.amount_reason}）", f"{reason.en} ({skip.amount_reason})")
    else:
        reason = HELD_BY.format(batch=skip.held_batch_id, reference=skip.held_reference) \
            if skip.held_batch_id is not None else HELD
        todo = HELD_TODO
    return SkipOut(reason=skip.reason, reason_text=str(reason), what_to_do=str(todo), family_id=skip.family_id,
                   member_id=skip.member_id, role=skip.role, benefit=skip.benefit, benefit_name=skip.benefit_name,
                   period=skip.period_key, month=skip.month, held_batch_id=skip.held_batch_id,
                   held_reference=skip.held_reference, amount_status=skip.amount_status,
                   amount_reason=skip.amount_reason)


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
