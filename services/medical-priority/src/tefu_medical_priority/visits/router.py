"""``/v1/visits``: hospitals record what they gave a holder; clerks and inspectors read the log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from tefu_common.auth import Principal, Role, Scope, require
from tefu_common.db import DbSession
from tefu_common.errors import PROBLEM_JSON
from tefu_medical_priority.lookup.service import calling_hospital
from tefu_medical_priority.visits import service
from tefu_medical_priority.visits.models import Visit
from tefu_medical_priority.visits.schemas import VisitIn, VisitOut

Desk = Annotated[Principal, Depends(require(Scope.visits_write, roles=[Role.hospital]))]
Reader = Annotated[Principal, Depends(require(roles=[Role.hospital, Role.clerk, Role.auditor, Role.admin, Role.service]))]
PROBLEM = {"content": {PROBLEM_JSON: {}}}
router = APIRouter(prefix="/v1/visits", tags=["visits"], responses={401: PROBLEM, 403: PROBLEM, 422: PROBLEM})


def visit_out(visit: Visit, card_no: str) -> VisitOut:
    return VisitOut(id=visit.id, card_no=card_no, hospital_code=visit.hospital_code, department=visit.department,
                    services=visit.services, waivers=visit.waivers, waived_total=visit.waived_total,
                    visited_at=visit.visited_at, recorded_at=visit.recorded_at)


@router.post("", response_model=VisitOut, status_code=201, summary="Record a holder's visit (HIS)",
             responses={200: {"description": "The same Idempotency-Key again: the visit it recorded"},
                        404: PROBLEM, 409: {**PROBLEM, "description": "The card was not valid at the visit"}})
async def record_visit(body: VisitIn, request: Request, response: Response, session: DbSession, caller: Desk,
                       idempotency_key: str | None = Header(None, max_length=128,
                                                            description="Repeat it to retry safely.")) -> VisitOut:
    """The hospital is the one in the token. Each waiver must be one the hospital waives (and the
    holder's rules waive fees at all); a free ambulance needs the holder's free_ambulance privilege.
    Works while the registry and eligibility services are down: it reads this service's cards only."""
    hospital = await calling_hospital(request, caller)
    visit, card_no, created = await service.record_visit(session, caller, hospital, body, idempotency_key)
    if not created:
        response.status_code = 200
    return visit_out(visit, card_no)


@router.get("", response_model=list[VisitOut], summary="Visits: a hospital's own, or those of the caller's region")
async def list_visits(session: DbSession, caller: Reader,
                      card_no: str | None = Query(None), hospital: str | None = Query(None, description="Hospital code"),
                      since: datetime | None = Query(None), until: datetime | None = Query(None),
                      after: int = Query(0, ge=0, description="The last id of the previous page."),
                      limit: int = Query(500, ge=1, le=5000)) -> list[VisitOut]:
    rows = await service.list_visits(session, caller, card_no=card_no, hospital=hospital, since=since, until=until,
                                     after=after, limit=limit)
    return [visit_out(visit, number) for visit, number in rows]
