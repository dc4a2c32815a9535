"""``/v1/reports``: cards and coverage per county, visits per hospital; JSON, CSV or XLSX."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from tefu_common.auth import Principal, Scope, require
from tefu_common.calendar import today
from tefu_common.db import ReadSession
from tefu_common.errors import Invalid, ValidationFailed
from tefu_common.openapi import problems
from tefu_common.regions import region_table
from tefu_common.scoping import require_within
from tefu_common.tables import table_response
from tefu_medical_priority.reports import service

Inspector = Annotated[Principal, Depends(require(Scope.reports_read))]
router = APIRouter(prefix="/v1/reports", tags=["reports"])
Format = Literal["json", "csv", "xlsx"]
CARD_COLUMNS = [("region_code", "地区代码"), ("region_name", "地区"), ("issued", "本月发卡"), ("revoked", "本月注销"),
                ("active_at_end", "月末有效卡"), ("qualifying", "当前符合条件人数"), ("with_active_card", "当前持有效卡人数"),
                ("coverage_percent", "发卡覆盖率(%)")]
VISIT_COLUMNS = [("hospital_code", "医院编码"), ("hospital_name", "医院名称"), ("region_code", "地区代码"),
                 ("designated", "定点医院"), ("visits", "优先就诊人次"), ("holders_served", "实际享受优先人数"),
                 ("waived_total", "减免金额(元)")]
FILES = {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}
CARDS_EXAMPLE = {"region": "420900", "month": "2026-11", "regions": [{
    "region_code": "420984", "region_name": "湖北省孝感市汉川市", "issued": 2, "revoked": 1, "active_at_end": 1,
    "qualifying": 3, "with_active_card": 1, "coverage_percent": "33.3"}]}
VISITS_EXAMPLE = {"region": "420500", "month": "2026-11", "hospitals": [{
    "hospital_code": "H420528001", "hospital_name": "长阳土家族自治县人民医院", "region_code": "420528",
    "designated": True, "visits": 3, "holders_served": 2, "waived_total": "4.50"}], "holders_served": 2}
Region = Annotated[str, Query(description="GB/T 2260 code of the region reported (000000: the country).",
                              examples=["420000"])]
Month = Annotated[str, Query(description="The calendar month, YYYY-MM (China time).", examples=["2026-11"])]


EARLIEST_MONTH = "1950-01"


def _checked(region: str, month: str, caller: Principal) -> date:
    errors = []
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        errors.append(Invalid("month-format", f"“{month}”不是月份（应为 YYYY-MM）", f"{month!r} is not a month (YYYY-MM)")
                      .error("month", location="query"))
    elif not f"{EARLIEST_MONTH}" <= month <= f"{today():%Y-%m}":
        # Cards began long after 1950, and a month still to come has nothing to count yet.
        errors.append(Invalid("month-out-of-range", f"月份应在 {EARLIEST_MONTH} 至本月（{today():%Y-%m}）之间，而不是 {month}",
                              f"the month must lie between {EARLIEST_MONTH} and this month, not {month}")
                      .error("month", location="query"))
    if region != "000000" and region_table().get(region[:6]) is None:
        errors.append(Invalid("region-code-unknown", f"“{region}”不是 GB/T 2260 行政区划代码",
                              f"{region!r} is not a GB/T 2260 code").error("region", location="query"))
    if errors:
        raise ValidationFailed(errors)
    require_within(caller, region, field="region", location="query")
    return date.fromisoformat(f"{month}-01")


@router.get("/cards", summary="各县发卡、注销、有效卡数与发卡覆盖率", description=(
    "Inspectors, clerks and services (scope `reports:read`), for their region or a part of it (a region outside "
    "it is 422 `region-outside-scope`). Per county: cards issued and revoked in the month, cards active at its "
    "end (from each card's history), and coverage now: members who qualify for the green channel against members "
    "holding an active card (发卡覆盖率, an inspection item: 未发放就诊服务卡的扣 5 分). `format=csv` or `xlsx` "
    "gives a file with Chinese headings."),
    responses={200: {"content": {"application/json": {"example": CARDS_EXAMPLE}, **FILES}}, **problems()})
async def cards_report(session: ReadSession, caller: Inspector, region: Region, month: Month,
                       format: Format = Query("json")) -> Any:
    first = _checked(region, month, caller)
    rows = await service.card_report(session, region=region, month=first)
    if format == "json":
        return {"region": region, "month": month, "regions": [
            {**r, "coverage_percent": None if r["coverage_percent"] is None else str(r["coverage_percent"])} for r in rows]}
    return table_response(rows, CARD_COLUMNS, file_format=format, name=f"cards-{region}-{month}", sheet_title="就医优先卡")


@router.get("/visits", summary="各医院优先就诊人次、实际享受人数与减免金额", description=(
    "Inspectors, clerks and services, for their region or a part of it. Per hospital of the region: "
    "green-channel visits in the month, distinct holders served and the fees waived (decimal strings); and, for "
    "the region's own holders, how many were served anywhere (`holders_served`). `format=csv` or `xlsx` gives "
    "a file."),
    responses={200: {"content": {"application/json": {"example": VISITS_EXAMPLE}, **FILES}}, **problems()})
async def visits_report(session: ReadSession, caller: Inspector, region: Region, month: Month,
                        format: Format = Query("json")) -> Any:
    first = _checked(region, month, caller)
    rows = await service.visit_report(session, region=region, month=first)
    if format == "json":  # amounts as decimal strings, never floats
        return {"region": region, "month": month, "hospitals": [{**r, "waived_total": f"{r['waived_total']:.2f}"} for r in rows],
                "holders_served": await service.holders_served(session, region=region, month=first)}
    return table_response(rows, VISIT_COLUMNS, file_format=format, name=f"visits-{region}-{month}",
                          sheet_title="优先就诊")
