"""``/v1/supervision``: a region's report for a period (JSON or XLSX), and the reports kept."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from tefu_common import calendar
from tefu_common.openapi import problems
from tefu_common.paging import Page, PageParams
from tefu_common.regions import RegionCodeStr
from tefu_common.ids import RowId
from tefu_supervision.reports import service
from tefu_supervision.reports.repository import Reports
from tefu_supervision.reports.schemas import ReportSummary, SupervisionReportOut
from tefu_supervision.reports.workbook import XLSX_TYPE, workbook_bytes
from tefu_supervision.upstreams import SourcesDep

router = APIRouter(prefix="/v1/supervision", tags=["supervision"])
Region = Annotated[str, Query(description="GB/T 2260 code of the region inspected (000000: the country).",
                              examples=["420000"])]
PeriodText = Annotated[str, Query(description="A month (2026-06), a quarter (2026-Q2), a half-year (2026-H1) or a "
                                              "year (2026).",
                                  examples=["2026"])]
Format = Annotated[Literal["json", "xlsx"], Query(description="`xlsx`: the workbook, with a chart per figure.")]
FILE = {"content": {"application/json": {}, XLSX_TYPE: {}}}


def _answer(report: dict[str, Any], file_format: str) -> Any:
    if file_format == "json":
        return report
    name = f"supervision-{report['region']}-{report['period']}-{report['report_id']}.xlsx"
    return Response(workbook_bytes(report), media_type=XLSX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("", response_model=SupervisionReportOut, summary="督导报告：某地区某期间的检查指标与检查表得分",
            description=(
    "Inspectors and admins (scope `supervision:read`; a clerk's token is 403), for their region or a part "
    "of it (another region is 422 `region-outside-scope`). Gathers, with the caller's own token, each figure "
    "from the service that owns it: families (registry), liaison compliance (registry "
    "`GET /v1/liaison-compliance`), 发放到位率 of special assistance, the one-time condolence payment and the "
    "premium subsidies (payments), cards issued and coverage, green-channel use (medical-priority), and who is "
    "entitled to each cash benefit (eligibility). Each figure names its `sources`; one whose service does not "
    "answer says `available: false` with the reason, and the score-sheet items needing it stay `not_computed`.\n\n"
    "Within Hubei (420000) the report applies the 附件2 score sheet of 鄂卫生计生通〔2016〕89号: items Tefu can "
    "compute from the data are scored with their basis; the others (documents, sampled interviews, data kept "
    "outside Tefu) say what the inspection team must check.\n\n"
    "Every report produced is kept, unchanged, with the SHA-256 of its content (`GET /v1/supervision/reports`); "
    "`compared_with` sets its headline numbers beside the previous report of the same region and period. "
    "`format=xlsx` answers the workbook: Chinese headings, numbers as numbers, a chart per figure."),
            responses={200: FILE, **problems(502, 503)})
async def supervision_report(reports: Reports, sources: SourcesDep, region: Region, period: PeriodText,
                             format: Format = "json") -> Any:
    report = await service.produce(reports, sources, region=region, period_text=period, today=calendar.today())
    return _answer(report, format)


@router.get("/reports", response_model=Page[ReportSummary], summary="已生成的督导报告",
            description=(
    "Inspectors and admins (`supervision:read`): the reports kept for regions within theirs, oldest first, in "
    "pages (`?cursor=&limit=`); `region` narrows to a region and those under it, `period` to one period."))
async def list_reports(reports: Reports, page: PageParams,
                       region: Annotated[RegionCodeStr | None, Query(description="A region within the caller's.")] = None,
                       period: Annotated[str | None, Query(description="2026, 2026-H1, 2026-Q2 or 2026-06.")] = None,
                       ) -> Page[ReportSummary]:
    rows, next_cursor = await reports.page(page, region=region, period=period)
    return Page[ReportSummary](items=[ReportSummary(
        report_id=r.id, region=r.region_code, period=r.period, produced_at=r.produced_at.isoformat(timespec="seconds"),
        produced_by=r.produced_by, content_sha256=r.content_sha256, headline=r.headline) for r in rows],
        next_cursor=next_cursor)


@router.get("/reports/{report_id}", response_model=SupervisionReportOut, summary="一份已生成的督导报告（原样）",
            description=(
    "A kept report exactly as it was produced (`intact` checks its content against `content_sha256`), compared "
    "with the report kept before it for the same region and period. 404 for a report that does not exist or "
    "lies outside the caller's region. `format=xlsx` answers the workbook."),
            responses={200: FILE, **problems(404)})
async def get_report(report_id: RowId, reports: Reports, format: Format = "json") -> Any:
    return _answer(await service.stored(reports, report_id), format)
