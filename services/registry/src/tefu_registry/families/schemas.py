"""Request and response bodies of the family register."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tefu_common.money import MoneyDecimal
from tefu_common.regions import RegionCodeStr
from tefu_common.resident_id import ResidentIdStr
from tefu_registry.events.schemas import EventIn

PHONE_PATTERN = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$"
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
    monthly_basic_pension: MoneyDecimal | None = Field(None, description="Monthly basic pension, yuan.")


class ChildIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    id_number: ResidentIdStr | None = Field(None, description="Optional: many children who died never had one.")
    birth_date: date | None = Field(None, description="Required when there is no ID number.")
    sex: Literal["male", "female"] | None = None
    adopted: bool = False
    adopted_on: date | None = Field(None, description="Date of the legal adoption, for an adopted child.")


class FamilyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region_code: RegionCodeStr = Field(description="Hukou region, GB/T 2260, county level or finer.")
    hukou_type: HukouType
    address: str | None = Field(None, max_length=200)
    honor_certificate: Certificate | None = Field(None, description="独生子女父母光荣证.")
    assistance_certificate: Certificate | None = Field(None, description="计划生育家庭特别扶助证, where used.")
    mother: PersonIn | None = None
    father: PersonIn | None = None
    child: ChildIn
    events: list[EventIn] = Field(
        default_factory=list, description="Life events already known (the child's death, a disability ...)."
    )
    external_ref: str | None = Field(
        None, max_length=64, description="The caller's own reference; a second family with it is refused."
    )


class PersonPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str | None = Field(None, pattern=PHONE_PATTERN)
    bank_account: BankAccountIn | None = None
    in_resident_pension: bool | None = None
    monthly_basic_pension: MoneyDecimal | None = None


class FamilyPatch(BaseModel):
    """Plain fields only. Facts that decide eligibility change through events."""

    model_config = ConfigDict(extra="forbid")

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


class StatusReason(BaseModel):
    code: str
    on: date | None
    detail: str


class SpecialFamilyStatus(BaseModel):
    as_of: date
    special_family: bool
    basis: Literal["child_died", "child_disabled"] | None
    reasons: list[StatusReason] = Field(description="The facts that made the family a special family or not.")


class FamilyOut(BaseModel):
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

    id: int
    region_code: str
    hukou_type: HukouType
    special_family: bool
    parents: list[dict[str, Any]] = Field(description="role, masked name, masked ID number")
    updated_at: datetime


class FamilyPage(BaseModel):
    items: list[FamilySummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class FamilyConflict(BaseModel):
    existing_family_id: int | None


class MemberIds(BaseModel):
    """A services' request about several members at once."""

    member_ids: list[int] = Field(min_length=1, max_length=5000, description="At most 5,000 a call.")
