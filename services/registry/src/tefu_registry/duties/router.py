"""Work lists (``/v1/liaison-duties``), a family's duties and a region's compliance."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from tefu_common import calendar
from tefu_common.auth import Scope, require
from tefu_common.openapi import problems
from tefu_common.paging import PageParams
from tefu_common.ids import RowId
from tefu_registry.duties import service
from tefu_registry.duties.repository import DutyRepository
from tefu_registry.duties.schemas import Compliance, FamilyDuties, WorkList, WorkStatus
from tefu_registry.upstreams import Eligibility

Duties = Annotated[DutyRepository, DutyRepository.dependency(require(Scope.families_read))]
router = APIRouter(tags=["liaison duties"])
UPSTREAM = "The duties come from the eligibility service (`GET /v1/duties`), asked with your token: 503 " \
           "`upstream-unavailable` while it cannot be reached."


@router.get(
    "/v1/liaison-duties",
    response_model=WorkList,
    summary="联系人工作清单：哪些家庭本周应联系、哪些已逾期（自何日起）、哪些节日走访未完成、哪些缺少联系人",
    description=(
        "The work list of a township, county or liaison on `as_of` (default today): the special families under "
        "`region` with an open duty — a contact falling due within 7 days (`due`), one overdue (`overdue`, with "
        "`since`), a festival visit whose window is open or an event visit within its deadline not yet made "
        "(`outstanding`), a liaison post not filled (`missing_liaison`). Each item gives the reason in Chinese and "
        "the clause it comes from. `status` keeps one status; `liaison_name` keeps the families one liaison serves "
        "(a per-liaison list). `counts` cover the whole region, all pages. Pages by `cursor`/`limit`.\n\n"
        "Any token with `families:read`; `region` must lie within yours (422 `region-outside-scope`; "
        "`region-code-format` / `region-code-unknown`); 422 `date-before-1950` / `date-too-far` on `as_of`. Names "
        "of family members are masked; the families listed are written to the access log. " + UPSTREAM),
    responses=problems(422, 503),
)
async def liaison_duties(
    duties: Duties,
    eligibility: Eligibility,
    page: PageParams,
    region: str = Query(description="GB/T 2260 code (county, township or village) within yours.", examples=["420116"]),
    as_of: date | None = Query(None, description="The day the list is for; default today (Asia/Shanghai)."),
    status: WorkStatus | None = Query(None, description="Keep only items of this status."),
    liaison_name: str | None = Query(None, max_length=64, description="Keep families served by this liaison."),
) -> WorkList:
    today = calendar.today()
    return await service.work_list(
        duties, eligibility, service.check_region(duties, region),
        service.check_day(as_of or today, field="as_of", today=today),
        status=status.value if status else None, liaison_name=liaison_name, page=page)


@router.get(
    "/v1/families/{family_id}/liaison-duties",
    response_model=FamilyDuties,
    summary="一户家庭在某日的各项联系人职责及完成情况",
    description=(
        "Every liaison duty of one family on `as_of` (default today), met ones too (`met`), each with its state, "
        "dates and reason in Chinese, and `missed` for a festival whose window closed without a visit.\n\n"
        "Any token with `families:read`; 404 for a family outside your region; 422 `date-before-1950` / "
        "`date-too-far` on `as_of`. The read is logged. " + UPSTREAM),
    responses=problems(404, 422, 503),
)
async def family_liaison_duties(
    family_id: RowId, duties: Duties, eligibility: Eligibility,
    as_of: date | None = Query(None, description="Default today (Asia/Shanghai)."),
) -> FamilyDuties:
    today = calendar.today()
    return await service.family_duties(duties, eligibility, family_id,
                                       service.check_day(as_of or today, field="as_of", today=today))


@router.get(
    "/v1/liaison-compliance",
    response_model=Compliance,
    summary="联系人履职情况：某地区某期间每项职责的应履职户数、已履职户数、履职率和未履职家庭",
    description=(
        "For `period` (a month `2026-09`, a quarter `2026-Q3` or a year `2026`) and the special families under "
        "`region`: for each duty in force (contact frequencies, each festival of the period, event visits, liaison "
        "make-up) the families it applied to, those that met it, those that missed it (the first 100 named, with "
        "the reason) and those still within their window (`pending`), with the share met. A contact duty is missed "
        "if the family was overdue on any day of the period. Duties the register cannot check (families in special "
        "difficulty, family-doctor signing) are listed with `computable: false` and a note. The supervision "
        "service gathers this figure for inspectors.\n\n"
        "Any token with `families:read` (auditors included); `region` within yours (422 `region-outside-scope`); "
        "422 `period-format`, `period-in-future`, `date-before-1950` on `period`. " + UPSTREAM),
    responses=problems(422, 503),
)
async def liaison_compliance(
    duties: Duties,
    eligibility: Eligibility,
    region: str = Query(description="GB/T 2260 code within yours (a province, city, county or township).",
                        examples=["420116"]),
    period: str = Query(description="YYYY-MM, YYYY-Qn or YYYY.", examples=["2026-09"]),
) -> Compliance:
    today = calendar.today()
    return await service.compliance(duties, eligibility, service.check_region(duties, region),
                                    service.check_period(period, today=today), today=today)
