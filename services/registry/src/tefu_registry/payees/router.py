"""``POST /v1/payees``: bank details of the members a payment batch pays (payments service only).

Only the ``service`` role may call it: the one role whose token is held by the payments service,
the only reader that needs full account numbers (PIPL: the minimum each role needs). Every family
whose members are returned is logged as a read (``families.repository``).
"""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from tefu_common.auth import Role, Scope, require
from tefu_registry.families.repository import FamilyRepository
from tefu_registry.families.schemas import MemberIds

Payer = Annotated[FamilyRepository, FamilyRepository.dependency(require(Scope.families_read, roles=[Role.service]))]
router = APIRouter(prefix="/v1", tags=["payees"])


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
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "payees": [{"member_id": 51, "family_id": 17, "role": "mother", "region_code": "370306", "name": "李秀英",
                    "id_number": "370306196503020026", "bank": "中国农业银行周村支行",
                    "account_number": "6228480012345678901", "holder": "李秀英", "death_date": None}],
        "missing": [999],
    }]})

    payees: list[PayeeOut]
    missing: list[int] = Field(description="Ids not found in the caller's region.")


@router.post(
    "/payees",
    response_model=PayeesOut,
    summary="成员的银行账户信息（供支付批次使用）",
    description=(
        "按成员编号返回姓名、身份证号和完整的银行账户，用于生成扶助金支付批次。\n\nThe payments service only (role "
        "`service` with `families:read`; every other role gets 403 `role-not-allowed`). At most 5,000 ids a call "
        "(422 otherwise). Ids that do not exist or lie outside the caller's region are listed in `missing`. Every "
        "family shown is logged as a read, in one statement however many there are."
    ),
)
async def payees(body: MemberIds, families: Payer) -> Response:
    # Plain rows and one orjson document: a large batch asks for a million payees, 5,000 at a time.
    wanted = sorted(set(body.member_ids))
    found = [
        {"member_id": member_id, "family_id": family_id, "role": role, "region_code": region, "name": name,
         "id_number": id_number, "bank": bank, "account_number": account, "holder": holder,
         "death_date": death_date.isoformat() if death_date else None}
        for member_id, family_id, role, region, name, id_number, bank, account, holder, death_date
        in await families.payees(wanted)
    ]
    seen = {p["member_id"] for p in found}
    return Response(orjson.dumps({"payees": found, "missing": [i for i in wanted if i not in seen]}),
                    media_type="application/json")
