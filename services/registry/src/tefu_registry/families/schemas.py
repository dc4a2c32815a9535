"""Request and response bodies of the family register."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tefu_common.money import MoneyDecimal, NonNegativeMoney
from tefu_common.regions import RegionCodeStr
from tefu_common.resident_id import ResidentIdStr
from tefu_registry.events.schemas import EventIn, SpecialFamilyStatus, StatusReason

__all__ = ["SpecialFamilyStatus", "StatusReason"]  # defined with the events whose facts they explain

PHONE_PATTERN = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$"

# A family of Zhoucun (淄博市周村区) whose only child died; the ID numbers are made up but valid
# (region, birth date, sex digit and check character), so the example registers as it stands.
MOTHER_ID, FATHER_ID, CHILD_ID = "370306196503020026", "370306196307090019", "370306199005010013"
REGISTRATION_EXAMPLE = {
    "region_code": "370306",
    "hukou_type": "rural",
    "address": "山东省淄博市周村区南郊镇某村12号",
    "honor_certificate": {"number": "鲁周字第001234号", "issued_on": "1991-01-05"},
    "mother": {
        "name": "李秀英", "id_number": MOTHER_ID, "birth_date": "1965-03-02", "sex": "female", "phone": "13812345678",
        "bank_account": {"bank": "中国农业银行周村支行", "account_number": "6228480012345678901", "holder": "李秀英"},
        "in_resident_pension": True, "monthly_basic_pension": "150.00",
    },
    "father": {"name": "王建国", "id_number": FATHER_ID, "phone": "13905331234"},
    "child": {"name": "王小明", "id_number": CHILD_ID, "birth_date": "1990-05-01", "sex": "male"},
    "events": [{"kind": "child_died", "occurred_on": "2019-03-10", "note": "死亡医学证明 2019-0310"}],
    "external_ref": "ZC-2026-0001",
}
_STATUS_EXAMPLE = {"as_of": "2026-11-23", "special_family": True, "basis": "child_died",
                   "reasons": [{"code": "child_died", "on": "2019-03-10", "detail": "独生子女死亡"}]}
_MEMBER_EXAMPLE = {
    "id": 51, "role": "mother", "name": "李秀英", "id_number": MOTHER_ID, "birth_date": "1965-03-02", "sex": "female",
    "phone": "13812345678", "death_date": None, "adopted": False, "joined_on": None,
    "bank_account": {"bank": "中国农业银行周村支行", "account_number": "***************8901", "holder": "李秀英"},
    "in_resident_pension": True, "monthly_basic_pension": "150.00",
}
FAMILY_EXAMPLE = {
    "id": 17, "region_code": "370306", "region_name": "山东省淄博市周村区", "hukou_type": "rural",
    "address": "山东省淄博市周村区南郊镇某村12号",
    "honor_certificate": {"number": "鲁周字第001234号", "issued_on": "1991-01-05"}, "assistance_certificate": None,
    "members": [_MEMBER_EXAMPLE], "status": _STATUS_EXAMPLE, "external_ref": "ZC-2026-0001",
    "created_at": "2026-11-23T08:15:02Z", "created_by": "clerk-zhoucun-3", "updated_at": "2026-11-23T08:15:02Z",
    "version": 1,
}
NAME_PATTERN = r"^[\u3400-\u9fff\u00b7·A-Za-z][\u3400-\u9fff\u00b7·A-Za-z .]{0,31}$"


class HukouType(StrEnum):
    urban = "urban"
    rural = "rural"


class Certificate(BaseModel):
    number: str = Field(min_length=1, max_length=64)
    issued_on: date | None = None


class BankAccountIn(BaseModel):
    bank: str = Field(min_length=2, max_length=64, description="Bank name, e.g. 中国农业银行周村支行.")
    account_number: str = Field(pattern=r"^\d{12,30}$", description="Digits only.")
    holder: str = Field(pattern=NAME_PATTERN, description="Account holder's name.")


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    id_number: ResidentIdStr = Field(description="18 characters (15-digit legacy numbers are converted).")
    birth_date: date | None = Field(None, description="If given, must match the ID number.")
    sex: Literal["male", "female"] | None = Field(None, description="If given, must match the ID number.")
    phone: str | None = Field(None, pattern=PHONE_PATTERN)
    death_date: date | None = Field(None, description="Recorded as a parent_died event.")
    bank_account: BankAccountIn | None = None
    in_resident_pension: bool = False
    monthly_basic_pension: NonNegativeMoney | None = Field(None, description="Monthly basic pension, yuan.")


class ChildIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    id_number: ResidentIdStr | None = Field(None, description="Optional: many children who died never had one.")
    birth_date: date | None = Field(None, description="Required when there is no ID number.")
    sex: Literal["male", "female"] | None = None
    adopted: bool = False
    adopted_on: date | None = Field(None, description="Date of the legal adoption, for an adopted child.")


class FamilyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [REGISTRATION_EXAMPLE]})

    region_code: RegionCodeStr = Field(description="Hukou region, GB/T 2260, county level or finer.")
    hukou_type: HukouType
    address: str | None = Field(None, max_length=200)
    honor_certificate: Certificate | None = Field(None, description="独生子女父母光荣证.")
    assistance_certificate: Certificate | None = Field(None, description="计划生育家庭特别扶助证, where used.")
    mother: PersonIn | None = None
    father: PersonIn | None = None
    child: ChildIn
    events: list[EventIn] = Field(
        default_factory=list, max_length=50, description="Life events already known (the child's death, a disability ...)."
    )
    external_ref: str | None = Field(
        None, max_length=64, description="The caller's own reference; a second family with it is refused."
    )


class PersonPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str | None = Field(None, pattern=PHONE_PATTERN)
    bank_account: BankAccountIn | None = None
    in_resident_pension: bool | None = None
    monthly_basic_pension: NonNegativeMoney | None = None


class FamilyPatch(BaseModel):
    """Plain fields only. Facts that decide eligibility change through events."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "address": "山东省淄博市周村区丝绸路18号", "mother": {"phone": "13900001111", "monthly_basic_pension": "180.50"},
    }]})

    hukou_type: HukouType | None = None
    address: str | None = Field(None, max_length=200)
    honor_certificate: Certificate | None = None
    assistance_certificate: Certificate | None = None
    mother: PersonPatch | None = None
    father: PersonPatch | None = None


class BankAccountOut(BaseModel):
    bank: str | None
    account_number: str = Field(description="Full only for the payments service; otherwise masked.")
    holder: str | None


class MemberOut(BaseModel):
    id: int
    role: str
    name: str
    id_number: str | None = Field(description="Full for clerks and admins of the region; otherwise masked.")
    birth_date: date | None
    sex: str | None
    phone: str | None
    death_date: date | None
    adopted: bool
    joined_on: date | None
    bank_account: BankAccountOut | None
    in_resident_pension: bool
    monthly_basic_pension: MoneyDecimal | None


class FamilyOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [FAMILY_EXAMPLE]})

    id: int
    region_code: str
    region_name: str | None
    hukou_type: HukouType
    address: str | None
    honor_certificate: Certificate | None
    assistance_certificate: Certificate | None
    members: list[MemberOut]
    status: SpecialFamilyStatus
    external_ref: str | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    version: int


class FamilySummary(BaseModel):
    """A list entry: names and ID numbers always masked."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 17, "region_code": "370306", "hukou_type": "rural", "special_family": True,
        "parents": [{"role": "mother", "name": "李*英", "id_number": "**************0026"},
                    {"role": "father", "name": "王*国", "id_number": "**************0019"}],
        "updated_at": "2026-11-23T08:15:02Z",
    }]})

    id: int
    region_code: str
    hukou_type: HukouType
    special_family: bool
    parents: list[dict[str, Any]] = Field(description="role, masked name, masked ID number")
    updated_at: datetime


class FamilyConflict(BaseModel):
    existing_family_id: int | None


class MemberIds(BaseModel):
    """A service's request about several members at once."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"member_ids": [51, 52, 53]}]})

    member_ids: list[int] = Field(min_length=1, max_length=5000, description="At most 5,000 a call.")
