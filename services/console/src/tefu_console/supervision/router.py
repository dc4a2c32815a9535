"""督导 pages: /supervision (督导检查, kept reports, their workbooks) and /returns (报表报送提醒).

Only people whose role holds ``supervision:read`` (inspectors, admins) see them in the menu; anyone
else who goes to the address gets the 403 page (and the service would refuse them anyway).
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tefu_common.calendar import today
from tefu_console.auth.dependencies import CheckedForm, Services, SignedIn, require
from tefu_console.duties.worklist import period_options
from tefu_console.problems import ServiceRefused
from tefu_console.services import Api
from tefu_console.supervision import report as reports
from tefu_console.supervision import returns
from tefu_console.web import render

router = APIRouter(include_in_schema=False)
PERIOD = "^([0-9]{4}(-(Q[1-4]|0[1-9]|1[0-2]))?)?$"
DAY = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"
MESSAGE = "督导检查页面只对督导检查组（审计员）和管理员开放。"


async def _workbook(api: Api, path: str) -> Response:
    """The service's own XLSX, passed through with its file name."""
    answer = await api.response("GET", path, params={"format": "xlsx"})
    headers = {k: v for k, v in answer.headers.items() if k.lower() == "content-disposition"}
    return Response(answer.content, media_type=answer.headers.get("content-type"), headers=headers)


def _page(request: Request, person: SignedIn, context: dict, status_code: int = 200) -> Response:
    return render(request, "supervision/index.html", {
        "person": person, "current": "supervision", "title": "督导检查", **context}, status_code=status_code)


@router.get("/supervision", response_class=HTMLResponse)
async def supervision_page(request: Request, person: SignedIn, apis: Services, region: str = Query("", max_length=12),
                           period: str = Query("", pattern=PERIOD), cursor: str | None = Query(None, max_length=500)
                           ) -> Response:
    """With a period: a new report, produced and kept by the service. Without: the form and the kept ones."""
    require(person, "supervision:read", message=MESSAGE)
    region = region or person.region
    shown, kept, error = {}, {"items": [], "next_cursor": None}, None
    try:
        shown = await reports.produce(apis, region, period) if period else {}
        kept = await reports.kept(apis, region, cursor, request.app.state.settings.page_size)
    except ServiceRefused as refused:
        if refused.status != 422:
            raise
        error = refused.message  # e.g. a region outside the inspector's: said above the form
    return _page(request, person, {"region": region, "period": period or f"{today():%Y}", "error": error,
                                   "periods": period_options(period or f"{today():%Y}"), "kept": kept, **shown},
                 status_code=422 if error else 200)


@router.get("/supervision/reports/{report_id}.xlsx")
async def supervision_workbook(report_id: int, person: SignedIn, apis: Services) -> Response:
    require(person, "supervision:read", message=MESSAGE)
    return await _workbook(apis.supervision, f"/v1/supervision/reports/{report_id}")


@router.get("/supervision/reports/{report_id}", response_class=HTMLResponse)
async def kept_report(request: Request, report_id: int, person: SignedIn, apis: Services) -> Response:
    require(person, "supervision:read", message=MESSAGE)
    shown = await reports.stored(apis, report_id)
    region, period = shown["report"]["region"], shown["report"]["period"]
    kept = await reports.kept(apis, region, None, request.app.state.settings.page_size)
    return _page(request, person, {"region": region, "period": period, "periods": period_options(period),
                                   "kept": kept, **shown})


async def _returns(request: Request, person: SignedIn, apis: Services, region: str, on: str, cursor: str | None,
                   notice: str | None = None, error: str | None = None, status_code: int = 200) -> Response:
    found = await returns.returns_page(apis, region, on, cursor, request.app.state.settings.page_size)
    produced = found["produced"].value if found["produced"].ok else {}
    return render(request, "supervision/returns.html", {
        "person": person, "current": "returns", "title": "报表报送提醒", "region": region, "on": on, **found,
        "notice": notice, "error": error,
        "next_url": returns.returns_url(region, on, cursor=produced["next_cursor"])
        if produced.get("next_cursor") else None,
        "first_url": returns.returns_url(region, on) if cursor else None}, status_code=status_code)


@router.get("/returns", response_class=HTMLResponse)
async def returns_due(request: Request, person: SignedIn, apis: Services, region: str = Query("", max_length=12),
                      on: str = Query("", pattern=DAY), cursor: str | None = Query(None, max_length=500)) -> Response:
    require(person, "supervision:read", message=MESSAGE)
    return await _returns(request, person, apis, region or person.region, on or today().isoformat(), cursor)


@router.post("/returns")
async def produce_return(request: Request, person: SignedIn, apis: Services, form: CheckedForm) -> Response:
    require(person, "supervision:read", message=MESSAGE)
    body = returns.produce_body(form)
    on = str(form.get("on") or "") or today().isoformat()
    try:
        made = await returns.produce(apis, body)
    except ServiceRefused as refused:
        if refused.status in (403, 404):
            raise
        return await _returns(request, person, apis, body["region"] or person.region, on, None,
                              error=refused.message, status_code=422)
    return RedirectResponse(f"/returns/{made['id']}?notice=produced", status_code=303)


@router.get("/returns/{produced_id}.xlsx")
async def return_workbook(produced_id: int, person: SignedIn, apis: Services) -> Response:
    require(person, "supervision:read", message=MESSAGE)
    return await _workbook(apis.supervision, f"/v1/returns/{produced_id}")


@router.get("/returns/{produced_id}", response_class=HTMLResponse)
async def produced_return(request: Request, produced_id: int, person: SignedIn, apis: Services,
                          notice: str | None = Query(None, max_length=32)) -> Response:
    require(person, "supervision:read", message=MESSAGE)
    made = await returns.produced(apis, produced_id)
    return render(request, "supervision/return.html", {
        "person": person, "current": "returns", "title": made["name"], "r": made,
        "notice": returns.NOTICE if notice == "produced" else None})
