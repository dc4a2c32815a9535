"""``/v1/visits``: hospitals record what they gave a holder; clerks and inspectors read the log."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Header, Query, Response

from tefu_common.openapi import problems
from tefu_common.paging import Page, PageParams
from tefu_medical_priority.hospitals.repository import Directory
from tefu_medical_priority.visits import service
from tefu_medical_priority.visits.models import Visit
from tefu_medical_priority.visits.repository import HospitalVisits, Visits
from tefu_medical_priority.visits.schemas import VisitIn, VisitOut

router = APIRouter(prefix="/v1/visits", tags=["visits"])


def visit_out(visit: Visit, card_no: str) -> VisitOut:
    return VisitOut(id=visit.id, card_no=card_no, hospital_code=visit.hospital_code, department=visit.department,
                    services=visit.services, waivers=visit.waivers, waived_total=visit.waived_total,
                    visited_at=visit.visited_at, recorded_at=visit.recorded_at)


@router.post("", response_model=VisitOut, status_code=201, summary="登记持卡人的一次就诊（HIS）", description=(
    "Hospital HIS clients; the hospital is the one in the token (403 `hospital-not-registered` if it is not in "
    "the directory). Each waiver must be one the hospital waives (`fee-not-waived-here`) and the holder's rules "
    "must waive fees at all (`fee-waiver-not-entitled`); a free ambulance needs the holder's free_ambulance "
    "privilege (`ambulance-not-entitled`). A card not valid at the visit is 409 `card-not-valid-at-visit`. Repeat "
    "the `Idempotency-Key` to retry safely: the same key again answers 200 with the visit it recorded, with other "
    "values 422 `idempotency-key-reused`. Works while the registry and eligibility services are down."),
    responses={200: {"description": "The same Idempotency-Key again: the visit it recorded", "content": {
        "application/json": {"example": VisitOut.model_config["json_schema_extra"]["examples"][0]}}},  # type: ignore[index]
        **problems(404, **{"409": "就诊时卡不是有效卡（code card-not-valid-at-visit）（The card was not valid at the visit）"})})
async def record_visit(body: VisitIn, response: Response, visits: HospitalVisits, directory: Directory,
                       idempotency_key: str | None = Header(None, max_length=128,
                                                            description="Repeat it to retry safely.")) -> VisitOut:
    hospital = await directory.calling(visits.caller)
    visit, card_no, created = await service.record_visit(visits, hospital, body, idempotency_key)
    if not created:
        response.status_code = 200
    return visit_out(visit, card_no)


@router.get("", response_model=Page[VisitOut], summary="就诊记录：本院的，或本辖区持卡人的", description=(
    "A hospital sees its own visits; clerks, inspectors, admins and services those of their region's holders. "
    "Oldest first, in pages (`cursor`, `limit`); filter by `card_no`, `hospital`, `since`, `until`. Every visit "
    "shown is in the access log."))
async def list_visits(visits: Visits, page: PageParams,
                      card_no: str | None = Query(None), hospital: str | None = Query(None, description="Hospital code"),
                      since: datetime | None = Query(None), until: datetime | None = Query(None)) -> Page[VisitOut]:
    rows, next_cursor = await visits.page(page, card_no=card_no, hospital=hospital, since=since, until=until)
    return Page[VisitOut](items=[visit_out(visit, number) for visit, number in rows], next_cursor=next_cursor)
