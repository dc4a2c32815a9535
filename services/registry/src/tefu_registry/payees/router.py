"""``POST /v1/payees``: bank details of the members a payment batch pays (payments service only).

Only the ``service`` role may call it: the one role whose token is held by the payments service,
the only reader that needs full account numbers (PIPL: the minimum each role needs). Every member
returned is a read of its family's personal data and lands in the access log.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from tefu_common.auth import Principal, Role, Scope, require
from tefu_common.db import DbSession
from tefu_common.errors import PROBLEM_JSON
from tefu_registry.access_log.service import log_reads
from tefu_registry.families.schemas import MemberIds
from tefu_registry.families.service import members_by_id

Payer = Annotated[Principal, Depends(require(Scope.families_read, roles=[Role.service]))]
PROBLEM = {"content": {PROBLEM_JSON: {}}}
router = APIRouter(prefix="/v1", tags=["payees"], responses={401: PROBLEM, 403: PROBLEM, 422: PROBLEM})


class PayeeOut(BaseModel):
    member_id: int
    family_id: int
    role: str
    region_code: str
    name: str
    id_number: str | None
    bank: str | None
    account_number: str | None
    holder: str | None
    death_date: str | None


class PayeesOut(BaseModel):
    payees: list[PayeeOut]
    missing: list[int] = Field(description="Ids not found in the caller's region.")


@router.post("/payees", response_model=PayeesOut, summary="Bank details of members, for a payment batch")
async def payees(body: MemberIds, session: DbSession, caller: Payer) -> PayeesOut:
    wanted = sorted(set(body.member_ids))
    rows = await members_by_id(session, member_ids=wanted, caller=caller)
    found = [
        PayeeOut(member_id=m.id, family_id=m.family_id, role=m.role, region_code=region, name=m.name,
                 id_number=m.id_number, bank=m.bank_name, account_number=m.bank_account, holder=m.bank_account_holder,
                 death_date=m.death_date.isoformat() if m.death_date else None)
        for m, region in rows
    ]
    await log_reads(session, caller=caller, families=sorted({(p.family_id, p.region_code) for p in found}),
                    endpoint="POST /v1/payees")
    seen = {p.member_id for p in found}
    return PayeesOut(payees=found, missing=[i for i in wanted if i not in seen])
