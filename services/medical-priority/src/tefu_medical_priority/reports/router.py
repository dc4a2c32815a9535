"""``/v1/reports``: cards and coverage per county, visits per hospital; JSON, CSV or XLSX."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from tefu_common.auth import Principal, Scope, require
from tefu_common.db import DbSession
from tefu_common.errors import PROBLEM_JSON, Forbidden, ValidationFailed
from tefu_common.regions import region_table
from tefu_common.tables import table_response
from tefu_medical_priority.reports import service

Inspector = Annotated[Principal, Depends(require(Scope.reports_read))]
PROBLEM = {"content": {PROBLEM_JSON: {}}}
router = APIRouter(prefix="/v1/reports", tags=["reports"], responses={401: PROBLEM, 403: PROBLEM, 422: PROBLEM})
Format = Literal["json", "csv", "xlsx"]
CARD_COLUMNS = [("region_code", "地区代码"), ("region_name", "地区"), ("issued", "本月发卡"), ("revoked", "本月注销"),
                ("active_at_end", "月末有效卡"), ("qualifying", "当前符合条件人数"), ("with_active_card", "当前持有效卡人数"),
                ("coverage_percent", "发卡覆盖率(%)")]
VISIT_COLUMNS = [("hospital_code", "医院编码"), ("hospital_name", "医院名称"), ("region_code", "地区代码"),
                 ("designated", "定点医院"), ("visits", "优先就诊人次"), ("holders_served", "实际享受优先人数"),
                 ("waived_total", "减免金额(元)")]


def _checked(region: str, month: str, caller: Principal) -> date:
    errors = []
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        errors.append({"field": "month", "message": f"{month!r} is not a month (YYYY-MM)", "type": "value_error"})
    if region != "000000" and region_table().get(region[:6]) is None:
        errors.append({"field": "region", "message": f"{region!r} is not a GB/T 2260 code", "type": "value_error"})
    if errors:
        raise ValidationFailed("bad report request", errors=errors)
    if not caller.covers_region(region):
        raise Forbidden(f"region {region} is outside your region {caller.region}")
    return date.fromisoformat(f"{month}-01")


@router.get("/cards", summary="Cards issued, revoked and active per county; coverage")
async def cards_report(session: DbSession, caller: Inspector,
                       region: str = Query(examples=["420000"]), month: str = Query(examples=["2026-11"]),
                       format: Format = Query("json")) -> Any:
    """Per county: cards issued and revoked in the month, cards active at its end (from each card's
    history), and coverage now: members who qualify for the green channel against members holding
    an active card (发卡覆盖率, an inspection item: 未发放就诊服务卡的扣 5 分)."""
    first = _checked(region, month, caller)
    rows = await service.card_report(session, region=region, month=first)
    if format == "json":
        return {"region": region, "month": month, "regions": [
            {**r, "coverage_percent": None if r["coverage_percent"] is None else str(r["coverage_percent"])} for r in rows]}
    return table_response(rows, CARD_COLUMNS, file_format=format, name=f"cards-{region}-{month}", sheet_title="就医优先卡")


@router.get("/visits", summary="Visits, holders actually served and fees waived, per hospital")
async def visits_report(session: DbSession, caller: Inspector,
                        region: str = Query(examples=["420000"]), month: str = Query(examples=["2026-11"]),
                        format: Format = Query("json")) -> Any:
    """Per hospital of the region: green-channel visits in the month, distinct holders served and
    the fees waived; and, for the region's own holders, how many were served anywhere."""
    first = _checked(region, month, caller)
    rows = await service.visit_report(session, region=region, month=first)
    if format == "json":  # amounts as decimal strings, never floats
        return {"region": region, "month": month, "hospitals": [{**r, "waived_total": f"{r['waived_total']:.2f}"} for r in rows],
                "holders_served": await service.holders_served(session, region=region, month=first)}
    return table_response(rows, VISIT_COLUMNS, file_format=format, name=f"visits-{region}-{month}",
                          sheet_title="优先就诊")
