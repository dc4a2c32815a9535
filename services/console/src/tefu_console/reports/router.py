"""报表 pages: /reports and /reports/{report}.xlsx (the service's own file, passed through)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from tefu_console.auth.dependencies import Services, SignedIn, require
from tefu_console.periods import this_month
from tefu_console.reports.figures import REPORTS, reports
from tefu_console.web import render

router = APIRouter(prefix="/reports", include_in_schema=False)
PERIOD = "^[0-9]{4}(-(Q[1-4]|[0-9]{2}))?$"


@router.get("", response_class=HTMLResponse)
async def reports_page(request: Request, person: SignedIn, apis: Services, region: str = Query("", max_length=12),
                       period: str = Query("", pattern=f"({PERIOD})?"),
                       month: str = Query("", pattern="^([0-9]{4}-[0-9]{2})?$")) -> Response:
    require(person, "reports:read")
    region, month = region or person.region, month or this_month()
    found = await reports(apis, region, period or None, month)
    return render(request, "reports/index.html", {
        "person": person, "current": "reports", "title": "报表", "region": region, "period": found["period"],
        "month": month, **found})


@router.get("/{report}.{file_format}")
async def download(report: str, file_format: str, person: SignedIn, apis: Services,
                   region: str = Query(..., max_length=12), period: str = Query("", pattern=f"({PERIOD})?"),
                   month: str = Query("", pattern="^([0-9]{4}-[0-9]{2})?$")) -> Response:
    """The report's spreadsheet exactly as the service writes it (Chinese headings)."""
    require(person, "reports:read")
    if report not in REPORTS or file_format not in ("xlsx", "csv"):
        raise HTTPException(404)
    service, path, takes = REPORTS[report]
    given = {"region": region, "period": period, "month": month}
    answer = await getattr(apis, service).response(
        "GET", path, params={**{k: given[k] for k in takes}, "format": file_format})
    headers = {k: v for k, v in answer.headers.items() if k.lower() == "content-disposition"}
    return Response(answer.content, media_type=answer.headers.get("content-type"), headers=headers)
