"""``POST /v1/people``: who members are, for a service that must recognise them (medical priority).

A hospital checks a priority card against the holder's name and ID number, and the card shows the
holder's sex, birth year and the last four characters of the ID number; the medical-priority
service keeps those on its cards so that hospital lookups never need the registry. Only the
``service`` role may call this, and it returns identity only: no bank accounts, phones or
addresses (PIPL: the minimum the purpose needs). Every member returned is logged as a read.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from tefu_common.auth import Principal, Role, Scope, require
from tefu_common.db import DbSession
from tefu_common.errors import PROBLEM_JSON
from tefu_registry.access_log.service import log_reads
from tefu_registry.families.schemas import MemberIds
from tefu_registry.families.service import members_by_id

Recogniser = Annotated[Principal, Depends(require(Scope.families_read, roles=[Role.service]))]
PROBLEM = {"content": {PROBLEM_JSON: {}}}
router = APIRouter(prefix="/v1", tags=["people"], responses={401: PROBLEM, 403: PROBLEM, 422: PROBLEM})


class PersonOut(BaseModel):
    member_id: int
    family_id: int
    role: str = Field(description="mother, father or child")
    region_code: str = Field(description="The family's region (户籍).")
    name: str
    id_number: str | None
    sex: str | None = Field(description="female or male")
    birth_date: date | None
    death_date: date | None


class PeopleOut(BaseModel):
    people: list[PersonOut]
    missing: list[int] = Field(description="Ids not found in the caller's region.")


@router.post("/people", response_model=PeopleOut, summary="Names, ID numbers, sex and dates of members (services only)")
async def people(body: MemberIds, session: DbSession, caller: Recogniser) -> PeopleOut:
    wanted = sorted(set(body.member_ids))
    found = [
        PersonOut(member_id=m.id, family_id=m.family_id, role=m.role, region_code=region, name=m.name,
                  id_number=m.id_number, sex=m.sex, birth_date=m.birth_date, death_date=m.death_date)
        for m, region in await members_by_id(session, member_ids=wanted, caller=caller)
    ]
    await log_reads(session, caller=caller, families=sorted({(p.family_id, p.region_code) for p in found}),
                    endpoint="POST /v1/people")
    seen = {p.member_id for p in found}
    return PeopleOut(people=found, missing=[i for i in wanted if i not in seen])
