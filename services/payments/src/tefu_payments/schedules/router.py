"""``/v1/payment-schedules``: how often each region pays (admins set it, batch readers read it)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from tefu_common.openapi import problems
from tefu_common.paging import Page, PageParams
from tefu_payments.schedules import service
from tefu_payments.schedules.repository import ScheduleManagers, Schedules
from tefu_payments.schedules.schemas import ScheduleIn, ScheduleOut

router = APIRouter(prefix="/v1/payment-schedules", tags=["payment schedules"])


@router.get("", response_model=Page[ScheduleOut], summary="本辖区及其上级地区设定的发放周期")
async def list_schedules(schedules: Schedules, page: PageParams) -> Page[ScheduleOut]:
    """Any caller with `batches:read`: the schedules set in the caller's region and in the regions
    above it (which the caller's regions follow), by region code, in pages."""
    found, next_cursor = await service.listed(schedules, page)
    return Page[ScheduleOut](items=[service.Applicable(s.region_code, s).out() for s in found], next_cursor=next_cursor)


@router.get("/{region_code}", response_model=ScheduleOut, summary="某地区的发放周期，以及在哪一级设定",
            responses=problems(404))
async def get_schedule(region_code: str, schedules: Schedules) -> ScheduleOut:
    """The schedule that applies to the region: its own, else the nearest region's above it
    (`defined_at` says which), else the national default, monthly (`defined_at` null). Any region
    of the caller's, or one above it; another is 404 `schedule-not-found`."""
    return (await service.read(schedules, region_code)).out()


@router.put("/{region_code}", response_model=ScheduleOut, summary="设定某地区的发放周期（管理员）")
async def put_schedule(region_code: str, body: ScheduleIn, schedules: ScheduleManagers) -> ScheduleOut:
    """Admins of the region (another region is 422 `region-outside-scope`). `frequency` is the
    period one batch covers: `monthly` (2020-06), `quarterly` (2020-Q2) or `yearly` (2020);
    `benefit_frequencies` names the benefits paid otherwise. Regions below without a schedule of
    their own follow it. From then on `POST /v1/batches` for the region refuses a period of another
    frequency (422 on `period`, saying what to ask for). Batches already built keep the frequency
    they were built with."""
    return (await service.put(schedules, region_code, body)).out()


@router.delete("/{region_code}", status_code=204, summary="删除某地区自己的发放周期：改按上级地区的执行",
               responses=problems(404))
async def delete_schedule(region_code: str, schedules: ScheduleManagers) -> Response:
    """Admins of the region. The region then follows the nearest schedule above it; 404
    `schedule-not-found` if it had none of its own."""
    await service.delete(schedules, region_code)
    return Response(status_code=204)
