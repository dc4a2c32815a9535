"""``POST /v1/payees``: bank details of the members a payment batch pays (payments service only).

Only the ``service`` role may call it: the one role whose token is held by the payments service,
the only reader that needs full account numbers (PIPL: the minimum each role needs). Every member
returned is a read of its family's personal data and lands in the access log.
"""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from tefu_common.auth import Principal, Role, Scope, require
from tefu_common.db import DbSession
from tefu_common.errors import PROBLEM_JSON
from tefu_registry.access_log.service import log_reads
from tefu_registry.families.models import Family, Member
from tefu_registry.families.schemas import MemberIds
from tefu_registry.families.service import in_region

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
async def payees(body: MemberIds, session: DbSession, caller: Payer) -> Response:
    # Plain rows and one orjson document: a large batch asks for a million payees, 5,000 at a time.
    wanted = sorted(set(body.member_ids))
    member, family = Member.__table__.c, Family.__table__.c  # table columns: rows, not ORM loading
    query = (select(member.id, member.family_id, member.role, family.region_code, member.name, member.id_number,
                    member.bank_name, member.bank_account, member.bank_account_holder, member.death_date)
             .join(Family.__table__, family.id == member.family_id).where(member.id.in_(wanted)))
    query = in_region(query, caller)
    found = [
        {"member_id": member_id, "family_id": family_id, "role": role, "region_code": region, "name": name,
         "id_number": id_number, "bank": bank, "account_number": account, "holder": holder,
         "death_date": death_date.isoformat() if death_date else None}
        for member_id, family_id, role, region, name, id_number, bank, account, holder, death_date
        in (await session.execute(query)).all()
    ]
    await log_reads(session, caller=caller, families=sorted({(p["family_id"], p["region_code"]) for p in found}),
                    endpoint="POST /v1/payees")
    seen = {p["member_id"] for p in found}
    return Response(orjson.dumps({"payees": found, "missing": [i for i in wanted if i not in seen]}),
                    media_type="application/json")
