"""``/v1/returns``: the statistics returns coming due for a region, producing one, and those produced."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from tefu_common import calendar
from tefu_common.openapi import problems
from tefu_common.paging import Page, PageParams
from tefu_common.regions import RegionCodeStr
from tefu_common.ids import RowId
from tefu_supervision.returns import service
from tefu_supervision.returns.repository import Returns
from tefu_supervision.returns.schemas import DueList, ReturnOut, ReturnRequest, ReturnSummary
from tefu_supervision.returns.workbook import XLSX_TYPE, workbook_bytes
from tefu_supervision.upstreams import SourcesDep

router = APIRouter(prefix="/v1/returns", tags=["returns"])
Format = Annotated[Literal["json", "xlsx"], Query(description="`xlsx`: the table as a workbook.")]
FILE = {"content": {"application/json": {}, XLSX_TYPE: {}}}


def _answer(produced: dict[str, Any], file_format: str) -> Any:
    if file_format == "json":
        return produced
    name = f"{produced['return_id']}-{produced['region']}-{produced['period']}-{produced['id']}.xlsx"
    return Response(workbook_bytes(produced), media_type=XLSX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/due", response_model=DueList, summary="应报统计报表：某地区哪些报表、哪一期、何时报送",
            description=(
    "Inspectors and admins (scope `supervision:read`; a clerk's token is 403), for their region or a part of it "
    "(another region is 422 `region-outside-scope`; an unknown code 422 `region-code-unknown`). The statistics "
    "returns the documents ask of the region (Foshan 440600 and its districts: 附件5 辅助再生育服务统计表 and 附件6 "
    "享受十项服务统计表, half-yearly, due before 06-25 and 12-25), each for the half-year coming due on `on` "
    "(default today, China time) and for those that fell due in the year before. `status`: `due` (within 30 "
    "days), `upcoming`, `overdue` (past due and never produced for the region and half-year), `produced` (with "
    "`produced_id`, the latest produced). A region no document asks returns of answers an empty list. Paged like "
    "every list (`?cursor=&limit=`)."),
            responses=problems())
async def due_returns(returns: Returns, page: PageParams,
                      region: Annotated[RegionCodeStr | None, Query(description="A region within the caller's (default: "
                                                                      "the caller's own).", examples=["440604"])] = None,
                      on: Annotated[dt.date | None, Query(description="The day the list is for (default today).",
                                                          examples=["2026-12-01"])] = None) -> dict[str, Any]:
    return await service.due_list(returns, page, region=region, on=on or calendar.today())


@router.post("", response_model=ReturnOut, status_code=201, summary="生成统计报表（某地区某半年）",
             description=(
    "Inspectors and admins (`supervision:read`). Produces the return for a region and a half-year: gathers, with "
    "the caller's own token, the figures its computed rows read (families from the registry, green-channel use "
    "from medical-priority, liaisons from the registry's liaison compliance, special assistance and the rebirth "
    "grant paid from payments), fills those rows with their basis and sources, and marks the others `manual` "
    "(由区卫生健康局填报): no number is guessed. A source that does not answer leaves its rows empty with the "
    "reason. The current half-year may be produced before its due day; the return is kept unchanged with the "
    "SHA-256 of its content. 422: `return-unknown` (return_id), `period-not-half-year` and `period-in-future` "
    "(period; a half-year not yet begun), `period-not-in-force` (before the document took effect), "
    "`return-not-applicable` (region: the return is not asked of it), `region-outside-scope`, "
    "`region-code-unknown`."),
             responses=problems(502, 503))
async def produce_return(body: ReturnRequest, returns: Returns, sources: SourcesDep) -> dict[str, Any]:
    return await service.produce(returns, sources, return_id=body.return_id, region=body.region,
                                 period_text=body.period, today=calendar.today())


@router.get("", response_model=Page[ReturnSummary], summary="已生成的统计报表",
            description=(
    "Inspectors and admins (`supervision:read`): the returns produced for regions within theirs, newest first, "
    "in pages (`?cursor=&limit=`); `region` narrows to a region and those under it, `return_id` to one return, "
    "`period` to one half-year. Another region's returns are never listed."))
async def list_returns(returns: Returns, page: PageParams,
                       region: Annotated[RegionCodeStr | None, Query(description="A region within the caller's.")] = None,
                       return_id: Annotated[str | None, Query(description="foshan-annex5 or foshan-annex6.")] = None,
                       period: Annotated[str | None, Query(description="2026-H1 or 2026-H2.")] = None,
                       ) -> dict[str, Any]:
    return await service.listed(returns, page, region=region, return_id=return_id, period=period)


@router.get("/{produced_id}", response_model=ReturnOut, summary="一份已生成的统计报表（原样）",
            description=(
    "Inspectors and admins (`supervision:read`): a produced return exactly as it was produced (`intact` checks "
    "its content against `content_sha256`). `format=xlsx` answers the table as a workbook: Chinese headings, "
    "numbers as numbers, a column saying whether each row is computed or filled in by the district and the "
    "source of each figure. 404 for a return that does not exist or lies outside the caller's region."),
            responses={200: FILE, **problems(404)})
async def get_return(produced_id: RowId, returns: Returns, format: Format = "json") -> Any:
    return _answer(await service.stored(returns, produced_id), format)
