"""``/v1/payment-schedules``: how often each region pays (admins set it, batch readers read it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from tefu_common.auth import Principal, Role, Scope, require
from tefu_common.db import DbSession
from tefu_common.errors import PROBLEM_JSON
from tefu_payments.schedules import service
from tefu_payments.schedules.schemas import ScheduleIn, ScheduleOut

Manager = Annotated[Principal, Depends(require(Scope.schedules_manage, roles=[Role.admin]))]
Reader = Annotated[Principal, Depends(require(Scope.batches_read))]
PROBLEM = {"content": {PROBLEM_JSON: {}}}
router = APIRouter(prefix="/v1/payment-schedules", tags=["payment schedules"],
                   responses={401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 422: PROBLEM})


@router.get("", response_model=list[ScheduleOut], summary="Schedules set in the caller's region and above it")
async def list_schedules(session: DbSession, caller: Reader) -> list[ScheduleOut]:
    return [service.Applicable(s.region_code, s).out() for s in await service.listed(session, caller)]


@router.get("/{region_code}", response_model=ScheduleOut, summary="How often a region pays, and where that is set")
async def get_schedule(region_code: str, session: DbSession, caller: Reader) -> ScheduleOut:
    """The schedule that applies to the region: its own, else the nearest region's above it
    (`defined_at` says which), else the national default, monthly (`defined_at` null). Any region
    of the caller's, or one above it."""
    return (await service.read(session, caller, region_code)).out()


@router.put("/{region_code}", response_model=ScheduleOut, summary="Set how often a region pays (admins)")
async def put_schedule(region_code: str, body: ScheduleIn, session: DbSession, caller: Manager) -> ScheduleOut:
    """`frequency` is the period one batch covers: `monthly` (2020-06), `quarterly` (2020-Q2) or
    `yearly` (2020); `benefit_frequencies` names the benefits paid otherwise. Regions below without
    a schedule of their own follow it. From then on `POST /v1/batches` for the region refuses a
    period of another frequency (422 on `period`, saying what to ask for). Batches already built
    keep the frequency they were built with."""
    return (await service.put(session, caller, region_code, body)).out()


@router.delete("/{region_code}", status_code=204, summary="Remove a region's own schedule: it follows the one above")
async def delete_schedule(region_code: str, session: DbSession, caller: Manager) -> Response:
    await service.delete(session, caller, region_code)
    return Response(status_code=204)
