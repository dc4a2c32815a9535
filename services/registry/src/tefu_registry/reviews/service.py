"""Opening and settling review tasks.

Opened by the payments service when a bank returns a line (its notices decide the kind); opening
is idempotent per returned line. Settled by a clerk here, or by the register itself as it changes
a family (families.review_tasks.settle): recording the member's death closes a ``confirm_death``
task as ``confirmed``, changing the member's bank account a ``bank_details`` task as ``updated``.
"""

from __future__ import annotations

from datetime import datetime, timezone

from tefu_common.errors import Conflict, Invalid
from tefu_common.i18n import Text
from tefu_common.scoping import require_within
from tefu_registry.families.models import Member
from tefu_registry.families.review_tasks import OPEN, ReviewTask
from tefu_registry.reviews.repository import ReviewRepository
from tefu_registry.reviews.schemas import ReviewTaskOpen, ReviewTaskResolve

SOURCE = "payments"


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def open_task(reviews: ReviewRepository, data: ReviewTaskOpen) -> tuple[ReviewTask, bool]:
    """The task for this returned line, opened now or already (``True`` if new)."""
    existing = await reviews.by_source(SOURCE, data.source_ref, data.kind)
    if existing is not None:
        return existing, False
    found = await reviews.member(data.member_id)
    if found is None:
        raise Invalid("member-not-found", f"没有编号为 {data.member_id} 的成员（或不在你的辖区）",
                      f"no member {data.member_id} (or not in your region)").at("member_id")
    member, family = found
    task = ReviewTask(family_id=family.id, member_id=member.id, region_code=family.region_code, kind=data.kind,
                      source=SOURCE, source_ref=data.source_ref, reason_code=data.reason_code, reason=data.reason,
                      status=OPEN, opened_at=_now(), opened_by=reviews.caller.subject)
    if data.kind == "confirm_death" and member.death_date is not None:
        # Already on record (the clerk was quicker than the bank): shown, and settled at once.
        task.status, task.resolved_at, task.resolved_by = "confirmed", _now(), "register"
    reviews.session.add(task)
    await reviews.session.flush()
    return task, True


async def resolve(reviews: ReviewRepository, task_id: int, data: ReviewTaskResolve) -> ReviewTask:
    task = await reviews.task(task_id)
    if task.status != OPEN:
        raise Conflict(Text(f"核查任务 {task.id} 已处理（{task.status}）", f"review task {task.id} is already {task.status}"),
                       code="review-task-closed")
    if data.outcome == "dismissed" and not data.note:
        raise Invalid("note-required", "驳回核查任务时要写明如何核实的", "dismissing a task needs a note of how it was "
                      "checked").at("note")
    if data.outcome == "confirmed":
        member = await reviews.session.get(Member, task.member_id)
        if task.kind != "confirm_death":
            raise Invalid("outcome-not-for-kind", "银行信息核查任务在修改成员的银行账户后自动关闭，或驳回",
                          "a bank-details task closes when the member's bank account is changed, or is dismissed"
                          ).at("outcome")
        if member is None or member.death_date is None:
            raise Invalid("death-not-recorded", "登记中尚无该成员的死亡记录：请先登记死亡事件（登记后任务自动关闭）",
                          "the register has no death of this member: record the death as a life event first (that "
                          "closes the task)").at("outcome")
    task.status, task.note = data.outcome, data.note
    task.resolved_at, task.resolved_by = _now(), reviews.caller.subject
    await reviews.session.flush()
    return task


def check_region(reviews: ReviewRepository, region: str | None) -> str:
    region = region or reviews.caller.region
    require_within(reviews.caller, region, field="region", location="query")
    return region
