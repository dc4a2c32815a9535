"""The disbursement rate (发放到位率) and a person's payment history.

Due comes from the eligibility service (what the rules say was owed for the period, whether or
not anyone put it in a batch); in a batch, paid and failed come from the ledger. A line that
failed and was paid by a later batch counts as paid: the rate measures whether people got their
money, not whether the first attempt worked.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import aclosing
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tefu_common.errors import Invalid, ValidationFailed
from tefu_common.periods import Period, parse_period
from tefu_common.regions import validate_region_code
from tefu_common.scoping import require_within
from tefu_payments.batches.building import payee_key, period_key
from tefu_payments.reports.repository import LedgerRepository
from tefu_payments.upstreams import EligibilityClient

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


async def disbursement_rate(ledger: LedgerRepository, eligibility: EligibilityClient, *, region: str,
                            period: Period, benefits: list[str]) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str], Row] = {}
    lines = eligibility.entitlement_lines(region=region, benefits=benefits, first_month=period.first_month,
                                          last_month=period.last_month)
    async with aclosing(lines):
        async for line in lines:
            if line["amount"] is None:
                continue
            key = (line["benefit"], line["month"])
            row = rows.get(key) or rows.setdefault(key, Row(line["benefit"], line["benefit_name"], line["month"]))
            row.due += 1
            row.due_amount += Decimal(line["amount"])
            row.keys.append((payee_key(line), line["benefit"], period_key(line)))
    for row in rows.values():
        fates: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        for payee, benefit, period_key_, status, amount in await ledger.fates(row.keys):
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


async def rate_report(ledger: LedgerRepository, eligibility: EligibilityClient, *, region: str, period: str,
                      benefits: list[str]) -> list[dict[str, Any]]:
    """The disbursement rate of a region of the caller's for a period, its query checked first."""
    parsed = parse_period(period)
    errors = []
    if parsed is None:
        errors.append(Invalid("period-format", f"“{period}”不是 2020-06、2020-Q2 或 2020 这样的期间",
                              f"{period!r} is not 2020-06, 2020-Q2 or 2020").error("period", location="query"))
    try:
        validate_region_code(region)
    except Invalid as exc:
        errors.append(exc.error("region", location="query"))
    if errors:
        raise ValidationFailed(errors)
    require_within(ledger.caller, region, field="region", location="query")
    assert parsed is not None
    return await disbursement_rate(ledger, eligibility, region=region, period=parsed, benefits=benefits)
