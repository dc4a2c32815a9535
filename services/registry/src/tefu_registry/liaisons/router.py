"""Liaisons (双岗联系人) and the contact log of a family."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from tefu_common.auth import Principal, Scope, require
from tefu_common.db import DbSession
from tefu_common.errors import PROBLEM_JSON
from tefu_common.masking import mask_name, mask_phone
from tefu_common import calendar
from tefu_registry.access_log.service import log_reads
from tefu_registry.families.disclosure import sees_identity
from tefu_registry.families.service import scoped_family
from tefu_registry.liaisons import service
from tefu_registry.liaisons.schemas import ContactIn, ContactOut, LiaisonOut, LiaisonsAssign

Reader = Annotated[Principal, Depends(require(Scope.families_read))]
Writer = Annotated[Principal, Depends(require(Scope.families_write))]
PROBLEM = {"content": {PROBLEM_JSON: {}}}
router = APIRouter(prefix="/v1/families/{family_id}", tags=["liaisons and contacts"],
                   responses={401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 422: PROBLEM})


def _liaison_out(liaison, caller: Principal) -> LiaisonOut:
    # Liaisons are officials, but their phones are still personal data outside the region's clerks.
    return LiaisonOut(
        id=liaison.id, post=liaison.post, name=liaison.name if sees_identity(caller) else mask_name(liaison.name),
        phone=liaison.phone if sees_identity(caller) else mask_phone(liaison.phone), unit=liaison.unit,
        assigned_on=liaison.assigned_on, ended_on=liaison.ended_on, assigned_by=liaison.assigned_by,
    )


@router.put(
    "/liaisons",
    response_model=list[LiaisonOut],
    summary="Assign or replace the family's liaisons",
    description="Every family has a township (街镇) and a village (村/居委会) liaison. Naming a post that is held "
    "hands it over: the previous liaison's period ends the day before, and stays in the list.",
)
async def assign_liaisons(family_id: int, data: LiaisonsAssign, session: DbSession, caller: Writer) -> list[LiaisonOut]:
    family = await scoped_family(session, family_id=family_id, caller=caller)
    rows = await service.assign(session, family=family, data=data, caller=caller, today=calendar.today())
    return [_liaison_out(r, caller) for r in rows]


@router.get("/liaisons", response_model=list[LiaisonOut], summary="Liaisons, current and past")
async def list_liaisons(family_id: int, session: DbSession, caller: Reader) -> list[LiaisonOut]:
    family = await scoped_family(session, family_id=family_id, caller=caller)
    return [_liaison_out(r, caller) for r in await service.liaisons_of(session, family.id)]


@router.post("/contacts", response_model=ContactOut, status_code=201, summary="Record a contact with the family")
async def add_contact(family_id: int, data: ContactIn, session: DbSession, caller: Writer) -> ContactOut:
    family = await scoped_family(session, family_id=family_id, caller=caller)
    contact = await service.record_contact(session, family=family, data=data, caller=caller, today=calendar.today())
    return ContactOut.model_validate(contact, from_attributes=True)


@router.get("/contacts", response_model=list[ContactOut], summary="The family's contact log, oldest first")
async def list_contacts(family_id: int, session: DbSession, caller: Reader) -> list[ContactOut]:
    family = await scoped_family(session, family_id=family_id, caller=caller)
    await log_reads(session, caller=caller, families=[(family.id, family.region_code)],
                    endpoint="GET /v1/families/{id}/contacts")
    return [ContactOut.model_validate(c, from_attributes=True) for c in await service.contacts_of(session, family.id)]
