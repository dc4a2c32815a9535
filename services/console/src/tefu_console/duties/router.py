"""联系人 pages: /duties (联系人工作清单) and /duties/compliance (联系人履职情况)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from tefu_common.calendar import today
from tefu_console.auth.dependencies import Services, SignedIn, require
from tefu_console.duties.worklist import (COUNTS, STATUSES, WorkList, compliance, compliance_period, period_options,
                                         work_list)
from tefu_console.periods import period_zh
from tefu_console.problems import ServiceRefused
from tefu_console.web import render

router = APIRouter(prefix="/duties", include_in_schema=False)
DAY = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"


@router.get("", response_class=HTMLResponse)
async def duties_page(request: Request, person: SignedIn, apis: Services, region: str = Query("", max_length=12),
                      as_of: str = Query("", pattern=DAY),
                      status: str = Query("", pattern="^(overdue|due|outstanding|missing_liaison)?$"),
                      liaison_name: str = Query("", max_length=32),
                      cursor: str | None = Query(None, max_length=500)) -> Response:
    require(person, "families:read", message="联系人工作清单需要查看家庭的权限。")
    query = WorkList(region or person.region, as_of or today().isoformat(), status, liaison_name.strip())
    page, error = None, None
    try:
        page = await work_list(apis, query, cursor, request.app.state.settings.page_size)
    except ServiceRefused as refused:
        if refused.status != 422:
            raise
        error = refused.message  # a region outside the person's, a day the registry does not take: said above the form
    return render(request, "duties/list.html", {
        "person": person, "current": "duties", "title": "联系人工作清单", "query": query, "page": page,
        "statuses": STATUSES, "counts": COUNTS, "error": error,
        "next_url": query.url(page["next_cursor"]) if page and page.get("next_cursor") else None,
        "first_url": query.url() if cursor else None}, status_code=422 if error else 200)


@router.get("/compliance", response_class=HTMLResponse)
async def compliance_page(request: Request, person: SignedIn, apis: Services,
                          region: str = Query("", max_length=12), period: str = Query("", max_length=7)) -> Response:
    require(person, "families:read", message="联系人履职情况需要查看家庭的权限。")
    region, period = region or person.region, compliance_period(period)
    found: dict = {"answer": None}
    error = None
    try:
        found = await compliance(apis, region, period)
    except ServiceRefused as refused:
        if refused.status != 422:
            raise
        error = refused.message
    return render(request, "duties/compliance.html", {
        "person": person, "current": "duties", "title": "联系人履职情况", "region": region, "period": period,
        "periods": period_options(period), "period_name": period_zh(period), "error": error, **found},
        status_code=422 if error else 200)
