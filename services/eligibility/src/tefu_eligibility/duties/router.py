"""``GET /v1/duties``, ``GET /v1/duties/festival-visit`` and ``GET /v1/festivals``."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query

from tefu_common.calendar import today
from tefu_common.openapi import problems
from tefu_eligibility.access import RulesReader
from tefu_eligibility.catalogue.schema import Festival
from tefu_eligibility.duties.schemas import DutiesOut, FestivalsOut, FestivalVisitOut
from tefu_eligibility.duties.service import duties_view, festival_visit_check, festivals_view
from tefu_eligibility.overlays.current import CurrentCatalogue

router = APIRouter(tags=["duties"])


@router.get(
    "/v1/duties",
    response_model=DutiesOut,
    summary="某地区在某日的联系人职责：联系频次、节日走访及时间窗口、事件走访期限、联系人配备（附出处）",
    description=(
        "Any caller with `rules:read` (clerks, approvers, auditors, admins, and the registry's machine client): duties "
        "are public policy like the rules. The liaison duties in force for `region` on `on` (default today), layered "
        "like the rules (national → province → city → county: a lower level's duty of the same `id` replaces the "
        "upper one's, and may only be tighter). Each names its `kind` (`contact`, `festival_visit`, `event_visit`, "
        "`liaisons`), its `values`, the families it `applies_to`, its `source` (document, clause and the sentence "
        "quoted) and the `defaults` chosen where the text gives no number. A festival duty lists this year's and "
        "next year's festival with the window around it (`festivals`), from the lunar calendar, so the caller needs "
        "none of its own. 422 `region-code-format` / `region-code-unknown` / `region-code-county` on `query.region`, "
        "`date-before-1950` on `query.on`."),
    responses=problems(422),
)
async def duties(
    caller: RulesReader,
    catalogue: CurrentCatalogue,
    region: str = Query(description="GB/T 2260 code, 6 digits.", examples=["420102"]),
    on: date | None = Query(None, description="Defaults to today (Asia/Shanghai).", examples=["2026-09-01"]),
) -> dict[str, Any]:
    return duties_view(catalogue, region, on or today())


@router.get(
    "/v1/duties/festival-visit",
    response_model=FestivalVisitOut,
    summary="检查一次节日走访是否在本地区规定的时间窗口内（窗口外给出中文原因）",
    description=(
        "Any caller with `rules:read`. Whether a festival visit on `visited_on` falls within the window of the "
        "region's festival duty in force that day, for the nearest festival; `admitted: false` comes with `reason` in "
        "Chinese, for the registry to refuse the contact with. A region with no duty for the festival admits any "
        "day. 422 `region-code-*` on `query.region`, `date-before-1950` / `year-out-of-range` on `query.visited_on`."),
    responses=problems(422),
)
async def festival_visit(
    caller: RulesReader,
    catalogue: CurrentCatalogue,
    region: str = Query(description="GB/T 2260 code, 6 digits.", examples=["420102"]),
    festival: Festival = Query(description="spring (春节), dragon_boat (端午) or mid_autumn (中秋).",
                               examples=["mid_autumn"]),
    visited_on: date = Query(description="The day of the visit.", examples=["2026-10-05"]),
) -> dict[str, Any]:
    return festival_visit_check(catalogue, region, festival, visited_on)


@router.get(
    "/v1/festivals",
    response_model=FestivalsOut,
    summary="某年春节、端午、中秋的公历日期（按农历推算）",
    description=(
        "Any caller with `rules:read`. The Gregorian dates of 春节 (lunar 1/1), 端午 (5/5) and 中秋 (8/15) in `year` "
        "(default this year), from the lunar-python calendar library. 422 `year-out-of-range` on `query.year` "
        "(1950–2100)."),
    responses=problems(422),
)
async def festivals(
    caller: RulesReader,
    year: int | None = Query(None, description="Defaults to this year (Asia/Shanghai).", examples=[2026]),
) -> dict[str, Any]:
    return festivals_view(year if year is not None else today().year)
