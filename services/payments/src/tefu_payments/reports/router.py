"""``/v1/reports``: the disbursement rate as JSON, CSV or XLSX; ``/v1/people/{id}/payments``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from tefu_common.money import MoneyDecimal
from tefu_common.openapi import problems
from tefu_common.paging import Page, PageParams
from tefu_common.tables import table_response
from tefu_common.ids import RowId
from tefu_payments.batches.schemas import AmountStatus, CatalogueVersion, RuleId
from tefu_payments.reports.repository import People, Reports
from tefu_payments.reports.service import rate_report
from tefu_payments.upstreams import Eligibility

router = APIRouter(tags=["reports"])

COLUMNS = [("region_code", "地区代码"), ("benefit_name", "补助项目"), ("period", "期间"), ("due", "应发人次"),
           ("due_amount", "应发金额"), ("in_batch", "已入批次未反馈"), ("paid", "已发放人次"), ("paid_amount", "已发放金额"),
           ("failed", "发放失败"), ("outstanding", "未发放人次"), ("rate_percent", "发放到位率(%)")]
RATE_EXAMPLE = [{"region_code": "420106", "benefit": "special_assistance", "benefit_name": "计划生育家庭特别扶助金",
                 "period": "2020-06", "due": 6, "due_amount": "2040.00", "in_batch": 0, "paid": 1, "paid_amount": "340.00",
                 "failed": 2, "outstanding": 5, "rate_percent": "16.67"}]


class PaymentOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "reference": "0000120000001", "batch_id": 12, "batch_status": "reconciled", "region_code": "420106",
        "benefit": "special_assistance", "benefit_name": "计划生育家庭特别扶助金", "period": "2020-06", "month": "2020-06",
        "amount": "340.00", "status": "failed", "paid_on": None, "failure_reason": "账户已销户", "carries_line_id": None,
        "rule_id": "000000/000000-national/special_assistance", "catalogue_version": "3f9a0c21d4e8b7a6",
        "amount_status": "local"}]})

    reference: str
    batch_id: int
    batch_status: str
    region_code: str = Field(description="The region of the batch that holds the line.")
    benefit: str
    benefit_name: str
    period: str = Field(description="2020-06 (monthly), 2020 (yearly) or once.")
    month: str
    amount: MoneyDecimal
    status: Literal["pending", "paid", "failed", "released"]
    paid_on: date | None
    failure_reason: str | None
    carries_line_id: int | None = Field(description="The failed line this one pays again.")
    rule_id: RuleId
    catalogue_version: CatalogueVersion
    amount_status: AmountStatus


@router.get("/v1/reports/disbursement-rate", summary="发放到位率：应发、已入批次、已发放、失败、未发放及到位率",
            responses={200: {"content": {"application/json": {"example": RATE_EXAMPLE},
                                         "text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml"
                                                         ".sheet": {}}},
                       **problems(502)})
async def disbursement_rate_report(
    ledger: Reports, eligibility: Eligibility,
    region: str = Query(description="GB/T 2260 code", examples=["370306"]),
    period: str = Query(description="2020-06, 2020-Q2 or 2020", examples=["2020-06"]),
    benefits: list[str] = Query(["special_assistance", "one_time_condolence"], max_length=20, description="Cash benefit codes."),
    format: Literal["json", "csv", "xlsx"] = Query("json"),
) -> Any:
    """Inspectors and clerks with `reports:read`, for a region of their own (else 422
    `region-outside-scope`). Per benefit and month: `due` (lines the rules say were owed, from the
    eligibility service, asked with the caller's token), `in_batch` (in a batch, no answer from the
    bank yet), `paid`, `failed` (failed and not yet paid by a later batch), `outstanding`
    (due − paid) and `rate_percent` (paid / due). CSV and XLSX have Chinese headings."""
    rows = await rate_report(ledger, eligibility, region=region, period=period, benefits=benefits)
    if format == "json":
        return rows
    return table_response(rows, COLUMNS, file_format=format, name=f"disbursement-rate-{region}-{period}",
                          sheet_title="发放到位率")


@router.get("/v1/people/{member_id}/payments", response_model=Page[PaymentOut],
            summary="某人的发放记录：每笔明细、所在批次及结果")
async def person_payments(member_id: RowId, people: People, page: PageParams) -> Page[PaymentOut]:
    """Any caller with `batches:read`: the person's lines in batches of the caller's region (an
    agency: of the batches it pays), by month, in pages. Each page read is in the access log
    (`GET /v1/access-log`)."""
    found, next_cursor = await people.payments_of(member_id, page)
    return Page[PaymentOut](items=[PaymentOut(
        reference=line.reference, batch_id=batch.id, batch_status=batch.status, region_code=batch.region_code,
        benefit=line.benefit, benefit_name=line.benefit_name, period=line.period_key, month=line.month,
        amount=Decimal(line.amount), status=line.status, paid_on=line.paid_on, failure_reason=line.failure_reason,
        carries_line_id=line.carries_line_id, rule_id=line.rule_id, catalogue_version=line.catalogue_version,
        amount_status=line.amount_status) for line, batch in found], next_cursor=next_cursor)
