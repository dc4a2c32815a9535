"""``/v1/reports``: the disbursement rate as JSON, CSV or XLSX; ``/v1/people/{id}/payments``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from tefu_common.auth import Principal, Scope, require
from tefu_common.db import DbSession
from tefu_common.errors import PROBLEM_JSON, Forbidden, ValidationFailed
from tefu_common.regions import region_table
from tefu_common.tables import table_response
from tefu_payments.batches.periods import parse_period
from tefu_payments.reports.service import disbursement_rate, payment_history

ReportReader = Annotated[Principal, Depends(require(Scope.reports_read))]
BatchReader = Annotated[Principal, Depends(require(Scope.batches_read))]
PROBLEM = {"content": {PROBLEM_JSON: {}}}
router = APIRouter(tags=["reports"], responses={401: PROBLEM, 403: PROBLEM, 422: PROBLEM, 503: PROBLEM})

COLUMNS = [("region_code", "地区代码"), ("benefit_name", "补助项目"), ("period", "期间"), ("due", "应发人次"),
           ("due_amount", "应发金额"), ("in_batch", "已入批次未反馈"), ("paid", "已发放人次"), ("paid_amount", "已发放金额"),
           ("failed", "发放失败"), ("outstanding", "未发放人次"), ("rate_percent", "发放到位率(%)")]


@router.get("/v1/reports/disbursement-rate", summary="发放到位率: due, in a batch, paid, failed, outstanding, rate")
async def disbursement_rate_report(
    request: Request, session: DbSession, caller: ReportReader,
    region: str = Query(description="GB/T 2260 code", examples=["370306"]),
    period: str = Query(description="2020-06, 2020-Q2 or 2020", examples=["2020-06"]),
    benefits: list[str] = Query(["special_assistance", "one_time_condolence"], description="Cash benefit codes."),
    format: Literal["json", "csv", "xlsx"] = Query("json"),
) -> Any:
    """Per benefit and month: `due` (lines the rules say were owed, from the eligibility service),
    `in_batch` (in a batch, no answer from the bank yet), `paid`, `failed` (failed and not yet
    paid by a later batch), `outstanding` (due − paid) and `rate_percent` (paid / due). CSV and
    XLSX have Chinese headings."""
    parsed = parse_period(period)
    errors = []
    if parsed is None:
        errors.append({"field": "period", "message": f"{period!r} is not 2020-06, 2020-Q2 or 2020", "type": "value_error"})
    if region_table().get(region[:6]) is None:
        errors.append({"field": "region", "message": f"{region!r} is not a GB/T 2260 code", "type": "value_error"})
    if errors:
        raise ValidationFailed("bad report request", errors=errors)
    if not caller.covers_region(region):
        raise Forbidden(f"region {region} is outside your region {caller.region}")
    assert parsed is not None
    rows = await disbursement_rate(session, request, region=region, period=parsed, benefits=benefits)
    if format == "json":
        return rows
    return table_response(rows, COLUMNS, file_format=format, name=f"disbursement-rate-{region}-{period}",
                          sheet_title="发放到位率")


@router.get("/v1/people/{member_id}/payments", summary="A person's payment history: every line, its batch, its fate")
async def person_payments(member_id: int, session: DbSession, caller: BatchReader) -> list[dict[str, Any]]:
    """Lines of batches of the caller's region (an agency: of the batches it pays). Each read is in the
    access log (`GET /v1/access-log`)."""
    return await payment_history(session, member_id, caller)
