"""What the batch pages read and send."""

from __future__ import annotations

import secrets
from typing import Any

from tefu_common.calendar import today
from tefu_console.auth.sessions import Person
from tefu_console.services import Apis, parts

# The reasons a build leaves an entitlement out, as the summary names them; each item's own reason
# and what to do come from the payments service.
SKIPPED = {
    "no_bank_account": "登记中没有银行账户（在家庭页面补录账户后，之后的批次会补发）",
    "no_amount": "金额未定：政策规定由地方确定的金额尚未配置",
    "already_in_ledger": "已在其他批次中，不重复发放",
}
SKIP_REASONS = tuple(SKIPPED)
SKIP_LABELS = {"no_bank_account": "没有银行账户", "no_amount": "金额未定", "already_in_ledger": "已在其他批次"}
ACTIONS = {
    "submit": ("提交审批", "批次已提交，等待审批。"),
    "approve": ("批准", "批次已批准，代理发放机构可以取数。"),
    "reject": ("驳回", "批次已驳回，其中的各项已释放，可在以后的批次中重新发放。"),
    "cancel": ("作废", "批次已作废。"),
}


async def prepare_form(apis: Apis, person: Person) -> dict[str, Any]:
    found = await parts(agencies=apis.payments.get("/v1/agencies", limit=200),
                        policies=apis.eligibility.get(f"/v1/policies/{person.region}", as_of=today().isoformat()))
    benefits: list[tuple[str, str]] = []
    if found["policies"].ok:
        seen = set()
        for rule in found["policies"].value.get("rules", []):
            if rule.get("kind") == "cash" and rule["code"] not in seen:
                seen.add(rule["code"])
                benefits.append((rule["code"], rule.get("name") or rule["code"]))
    return {**found, "benefits": benefits, "idempotency_key": secrets.token_urlsafe(16)}


async def batch_page(apis: Apis, batch_id: int, cursor: str | None, skipped_cursor: str | None = None,
                     reason: str | None = None) -> dict[str, Any]:
    """The batch, a page of its lines, a page of what its build left out (of one reason, or all),
    and its history."""
    batch = await apis.payments.get(f"/v1/batches/{batch_id}")
    reason = reason if reason in SKIP_REASONS else None
    found = await parts(lines=apis.payments.get(f"/v1/batches/{batch_id}/lines", cursor=cursor, limit=50),
                        skipped_items=apis.payments.get(f"/v1/batches/{batch_id}/skipped", cursor=skipped_cursor,
                                                        reason=reason, limit=50),
                        transitions=apis.payments.get(f"/v1/batches/{batch_id}/transitions", limit=100))
    known = batch.get("skipped")
    # (reason, what it is, how many, of which not listed: arrears an earlier batch holds)
    shown = [(k, SKIPPED[k], known.get(k, 0), known.get("already_in_ledger_earlier", 0) if k == "already_in_ledger" else 0)
             for k in SKIP_REASONS if known and known.get(k)]
    # The batch names its benefits by code; its lines carry the names printed in the bank's file.
    names = {line["benefit"]: line["benefit_name"] for line in found["lines"].value.get("items", [])} \
        if found["lines"].ok else {}
    benefit_names = [names.get(code, code) for code in batch.get("benefits", [])]
    return {"batch": batch, "benefit_names": benefit_names, "skipped": shown, "skipped_known": known is not None,
            "reason": reason, "reason_label": SKIP_LABELS.get(reason or ""), **found}
