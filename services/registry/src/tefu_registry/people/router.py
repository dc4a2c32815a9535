"""``POST /v1/people``: who members are, for a service that must recognise them (medical priority).

A hospital checks a priority card against the holder's name and ID number, and the card shows the
holder's sex, birth year and the last four characters of the ID number; the medical-priority
service keeps those on its cards so that hospital lookups never need the registry. Only the
``service`` role may call this, and it returns identity only: no bank accounts, phones or
addresses (PIPL: the minimum the purpose needs). Every family shown is logged as a read.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import orjson
from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from tefu_common.auth import Role, Scope, require
from tefu_registry.families.repository import FamilyRepository
from tefu_registry.families.schemas import MemberIds

Recogniser = Annotated[FamilyRepository, FamilyRepository.dependency(require(Scope.families_read, roles=[Role.service]))]
router = APIRouter(prefix="/v1", tags=["people"])


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
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "people": [{"member_id": 51, "family_id": 17, "role": "mother", "region_code": "370306", "name": "李秀英",
                    "id_number": "370306196503020026", "sex": "female", "birth_date": "1965-03-02", "death_date": None}],
        "missing": [999],
    }]})

    people: list[PersonOut]
    missing: list[int] = Field(description="Ids not found in the caller's region.")


@router.post(
    "/people",
    response_model=PeopleOut,
    summary="成员的姓名、身份证号、性别和日期（仅限服务调用）",
    description=(
        "按成员编号返回身份信息，不含银行账户、电话和住址，供优先就医服务制作和核对优待卡。\n\nServices only (role "
        "`service` with `families:read`; others get 403). At most 5,000 ids a call (422 on `member_ids` "
        "otherwise). Ids that do not exist or lie outside the caller's region are listed in `missing`. Every "
        "family shown is logged as a read."
    ),
)
async def people(body: MemberIds, families: Recogniser) -> Response:
    # Plain rows and one orjson document: a bulk pass of the medical-priority service asks for
    # every qualifying member of the register, 5,000 at a time.
    wanted = sorted(set(body.member_ids))
    found = [
        {"member_id": member_id, "family_id": family_id, "role": role, "region_code": region, "name": name,
         "id_number": id_number, "sex": sex, "birth_date": birth_date.isoformat() if birth_date else None,
         "death_date": death_date.isoformat() if death_date else None}
        for member_id, family_id, role, region, name, id_number, sex, birth_date, death_date
        in await families.members(wanted)
    ]
    seen = {p["member_id"] for p in found}
    return Response(orjson.dumps({"people": found, "missing": [i for i in wanted if i not in seen]}),
                    media_type="application/json")
