"""The disbursement rate (发放到位率) and a person's payment history.

Due comes from the eligibility service (what the rules say was owed for the period, whether or
not anyone put it in a batch); in a batch, paid and failed come from the ledger. A line that
failed and was paid by a later batch counts as paid: the rate measures whether people got their
money, not whether the first attempt worked.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fastapi import Request
from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.auth import Principal
from tefu_payments.access_log import service as access_log
from tefu_payments.batches.building import payee_key, period_key
from tefu_payments.batches.models import Batch, LedgerLine
from tefu_payments.batches.periods import PayPeriod
from tefu_payments.batches.service import visible_batches
from tefu_payments.upstream import entitlement_lines

ZERO = Decimal("0.00")


@dataclass
class Row:
    benefit: str
    benefit_name: str
    period: str
    due: int = 0
    due_amount: Decimal = ZERO
    in_batch: int = 0
    paid: int = 0
    paid_amount: Decimal = ZERO
    failed: int = 0
    keys: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def outstanding(self) -> int:
        return self.due - self.paid

    @property
    def rate(self) -> str:
        return f"{self.paid / self.due * 100:.2f}" if self.due else "100.00"

    def as_dict(self, region: str) -> dict[str, Any]:
        return {"region_code": region, "benefit": self.benefit, "benefit_name": self.benefit_name, "period": self.period,
                "due": self.due, "due_amount": f"{self.due_amount:.2f}", "in_batch": self.in_batch,
                "paid": self.paid, "paid_amount": f"{self.paid_amount:.2f}", "failed": self.failed,
                "outstanding": self.outstanding, "rate_percent": self.rate}


async def disbursement_rate(session: AsyncSession, request: Request, *, region: str, period: PayPeriod,
                            benefits: list[str]) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str], Row] = {}
    async for line in entitlement_lines(request, region=region, benefits=benefits, first_month=period.first_month,
                                        last_month=period.last_month):
        if line["amount"] is None:
            continue
        key = (line["benefit"], line["month"])
        row = rows.get(key) or rows.setdefault(key, Row(line["benefit"], line["benefit_name"], line["month"]))
        row.due += 1
        row.due_amount += Decimal(line["amount"])
        row.keys.append((payee_key(line), line["benefit"], period_key(line)))
    for row in rows.values():
        fates: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        for start in range(0, len(row.keys), 2000):
            chunk = row.keys[start:start + 2000]
            for payee, benefit, period_key_, status, amount in (await session.execute(
                    select(LedgerLine.payee_key, LedgerLine.benefit, LedgerLine.period_key, LedgerLine.status,
                           LedgerLine.amount)
                    .where(tuple_(LedgerLine.payee_key, LedgerLine.benefit, LedgerLine.period_key).in_(chunk)))).all():
                fates[(payee, benefit, period_key_)].add(status)
                if status == "paid":
                    row.paid_amount += amount
        for states in fates.values():
            if "paid" in states:
                row.paid += 1
            elif "pending" in states:
                row.in_batch += 1
            elif "failed" in states:
                row.failed += 1
        row.keys = []
    return [rows[key].as_dict(region) for key in sorted(rows)]


async def payment_history(session: AsyncSession, member_id: int, caller: Principal) -> list[dict[str, Any]]:
    """Every line of a person in batches the caller sees, its batch and fate; the read is logged once
    for each region the lines were paid in."""
    query = visible_batches(select(LedgerLine, Batch).join(Batch, Batch.id == LedgerLine.batch_id)
                            .where(LedgerLine.member_id == member_id).order_by(LedgerLine.month, LedgerLine.id), caller)
    found = (await session.execute(query)).all()
    shown: Counter[str] = Counter(batch.region_code for _, batch in found)
    for region, count in sorted(shown.items()):
        await access_log.record(session, caller, access_log.Read(
            action="payment_history", endpoint=f"GET /v1/people/{member_id}/payments", region_code=region,
            line_count=count, members=[member_id], shown="amounts and payment results; no names or accounts"))
    return [
        {"reference": line.reference, "batch_id": batch.id, "batch_status": batch.status, "region_code": batch.region_code,
         "benefit": line.benefit, "benefit_name": line.benefit_name, "period": line.period_key, "month": line.month,
         "amount": f"{line.amount:.2f}", "status": line.status, "paid_on": line.paid_on,
         "failure_reason": line.failure_reason, "carries_line_id": line.carries_line_id}
        for line, batch in found
    ]
