"""HTTP endpoints of the family register (thin: the rules live in the service modules)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from tefu_common.auth import Principal, Scope, require
from tefu_common.db import DbSession
from tefu_common.errors import PROBLEM_JSON
from tefu_common.regions import RegionCodeStr
from tefu_common import calendar
from tefu_registry.access_log.service import log_reads
from tefu_registry.events.schemas import EventIn, EventKind, EventOut
from tefu_registry.events.service import family_events, invalid
from tefu_registry.events.timeline import effective_facts, special_family_status
from tefu_registry.families import service
from tefu_registry.families.disclosure import family_out, family_summary, sees_identity
from tefu_registry.families.facts import FamilyFacts, facts_document, stream_region_facts
from tefu_registry.families.schemas import FamilyCreate, FamilyOut, FamilyPage, FamilyPatch, SpecialFamilyStatus
from tefu_common.masking import mask_id_number

Reader = Annotated[Principal, Depends(require(Scope.families_read))]
Writer = Annotated[Principal, Depends(require(Scope.families_write))]
PROBLEM = {"content": {PROBLEM_JSON: {}}}
ERRORS = {401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 422: PROBLEM}

router = APIRouter(prefix="/v1", tags=["families"], responses=ERRORS)


def _as_of(value: date | None) -> date:
    day = value or calendar.today()
    if day.year < 1950:
        raise invalid("as_of", f"{day} is before 1950", location="query")
    return day


async def _family_view(session, family, caller: Principal, endpoint: str) -> FamilyOut:
    facts = effective_facts(await family_events(session, family.id))
    await log_reads(session, caller=caller, families=[(family.id, family.region_code)], endpoint=endpoint)
    return family_out(family, facts, caller, today=calendar.today())


@router.post(
    "/families",
    response_model=FamilyOut,
    status_code=201,
    summary="Register a family",
    description=(
        "Validates every ID number (check character, birth date, region), checks the birth date and sex typed "
        "against the ID number, and refuses (409, naming the existing family when you may see it) a parent "
        "already registered. Known events (the child's death, a disability certificate, a parent's death) can be "
        "sent along in `events` and are recorded in the same transaction."
    ),
    responses={409: PROBLEM},
)
async def create_family(data: FamilyCreate, session: DbSession, caller: Writer) -> FamilyOut:
    family = await service.create_family(session, data=data, caller=caller, today=calendar.today())
    return await _family_view(session, family, caller, "POST /v1/families")


@router.get(
    "/families",
    response_model=FamilyPage,
    summary="Search families in your region",
    description=(
        "Filters combine. `name` and `id_number` match exactly (they are encrypted; the search uses a keyed "
        "blind index). Names and ID numbers are masked in the list. Pages go by `cursor`."
    ),
)
async def search_families(
    session: DbSession,
    caller: Reader,
    name: str | None = Query(None, max_length=32),
    id_number: str | None = Query(None, max_length=18),
    region: RegionCodeStr | None = Query(None, description="A GB/T 2260 code; families under it."),
    special_family: bool | None = Query(None, description="Special family as of today."),
    event_kind: EventKind | None = Query(None, description="Families with at least one event of this kind."),
    cursor: int = Query(0, ge=0),
    limit: int = Query(50, ge=1, le=500),
) -> FamilyPage:
    families = await service.search(
        session, caller=caller, name=name, id_number=id_number, region=region, special_family=special_family,
        event_kind=event_kind.value if event_kind else None, after=cursor, limit=limit,
    )
    await log_reads(session, caller=caller, families=[(f.id, f.region_code) for f in families], endpoint="GET /v1/families")
    return FamilyPage(
        items=[family_summary(f) for f in families],
        next_cursor=str(families[-1].id) if len(families) == limit else None,
    )


@router.get("/families/{family_id}", response_model=FamilyOut, summary="One family, with its status today")
async def get_family(family_id: int, session: DbSession, caller: Reader) -> FamilyOut:
    family = await service.scoped_family(session, family_id=family_id, caller=caller)
    return await _family_view(session, family, caller, "GET /v1/families/{id}")


@router.patch(
    "/families/{family_id}",
    response_model=FamilyOut,
    summary="Change plain fields",
    description="Address, hukou type, certificates, a parent's phone, bank account and pension. Facts that "
    "decide eligibility (deaths, disability, later children, hukou moves) change only through events.",
)
async def patch_family(family_id: int, patch: FamilyPatch, session: DbSession, caller: Writer) -> FamilyOut:
    family = await service.scoped_family(session, family_id=family_id, caller=caller)
    await service.update_family(session, family=family, patch=patch, caller=caller)
    return await _family_view(session, family, caller, "PATCH /v1/families/{id}")


@router.get(
    "/families/{family_id}/status",
    response_model=SpecialFamilyStatus,
    summary="Was this a special family on a date, and why",
)
async def family_status(
    family_id: int, session: DbSession, caller: Reader, as_of: date | None = Query(None)
) -> SpecialFamilyStatus:
    family = await service.scoped_family(session, family_id=family_id, caller=caller)
    facts = effective_facts(await family_events(session, family.id))
    child = next((m for m in family.members if m.role == "child"), None)
    return special_family_status(
        facts=facts, child_joined_on=child.joined_on if child else None,
        parent_roles=[m.role for m in family.members if m.role in ("mother", "father")], as_of=_as_of(as_of),
    )


@router.get(
    "/families/{family_id}/facts",
    response_model=FamilyFacts,
    summary="The family's facts on a date, as POST /v1/evaluate takes them",
)
async def family_facts(family_id: int, session: DbSession, caller: Reader, as_of: date | None = Query(None)) -> dict:
    family = await service.scoped_family(session, family_id=family_id, caller=caller)
    facts = effective_facts(await family_events(session, family.id))
    await log_reads(session, caller=caller, families=[(family.id, family.region_code)], endpoint="GET /v1/families/{id}/facts")
    return facts_document(family, family.members, facts, _as_of(as_of))


@router.get(
    "/facts",
    summary="Facts of every family under a region (NDJSON stream)",
    description=(
        "One `FamilyFacts` JSON document a line (`application/x-ndjson`), every family whose hukou is under "
        "`region` (which must lie within yours), in family id order. Streamed in constant memory: read it "
        "line by line."
    ),
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
async def region_facts(
    request: Request, caller: Reader, region: RegionCodeStr = Query(...), as_of: date | None = Query(None)
) -> StreamingResponse:
    if not caller.covers_region(region):
        raise invalid("region", f"{region} is outside your region {caller.region}", location="query")
    stream = stream_region_facts(request.app.state.database.sessionmaker, caller=caller, region=region, as_of=_as_of(as_of))
    return StreamingResponse(stream, media_type="application/x-ndjson")


@router.post(
    "/families/{family_id}/events",
    response_model=EventOut,
    status_code=201,
    summary="Record a life event",
    description=(
        "Append-only. Each kind has its own fields (see the schema). A mistake is fixed with `kind: correction`, "
        "naming the event and giving the `replacement` (or none, to void it); both stay in the history."
    ),
)
async def add_event(family_id: int, event: EventIn, session: DbSession, caller: Writer) -> EventOut:
    family = await service.scoped_family(session, family_id=family_id, caller=caller)
    row = await service.add_event(session, family=family, event=event, caller=caller, today=calendar.today())
    return _event_out(row, caller, in_effect=True)


@router.get("/families/{family_id}/events", response_model=list[EventOut], summary="Every event, corrections included")
async def list_events(family_id: int, session: DbSession, caller: Reader) -> list[EventOut]:
    family = await service.scoped_family(session, family_id=family_id, caller=caller)
    rows = await family_events(session, family.id)
    effective = {f.event_id for f in effective_facts(rows)}
    await log_reads(session, caller=caller, families=[(family.id, family.region_code)], endpoint="GET /v1/families/{id}/events")
    return [_event_out(r, caller, in_effect=r.id in effective or r.kind == "correction") for r in rows]


def _event_out(row, caller: Principal, *, in_effect: bool) -> EventOut:
    certificate = row.certificate_no
    if certificate and not sees_identity(caller):
        certificate = mask_id_number(certificate)
    return EventOut(
        id=row.id, kind=row.kind, occurred_on=row.occurred_on, member=row.member_role, details=row.details,
        certificate_no=certificate, corrects_event_id=row.corrects_event_id, note=row.note,
        recorded_at=row.recorded_at, recorded_by=row.recorded_by, in_effect=in_effect,
    )
