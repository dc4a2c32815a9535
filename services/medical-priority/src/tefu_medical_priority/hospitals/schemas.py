"""The hospital directory as the API shows and takes it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, model_validator

from tefu_common.regions import RegionCodeStr
from tefu_medical_priority.cards.vocabulary import Fee


class Level(StrEnum):
    """医院等级: the grade of the hospital (三级甲等 …), or 未定级 for an ungraded institution."""

    level_1 = "一级"
    level_1a = "一级甲等"
    level_1b = "一级乙等"
    level_1c = "一级丙等"
    level_2 = "二级"
    level_2a = "二级甲等"
    level_2b = "二级乙等"
    level_2c = "二级丙等"
    level_3 = "三级"
    level_3a = "三级甲等"
    level_3b = "三级乙等"
    level_3c = "三级丙等"
    ungraded = "未定级"


class HospitalIn(BaseModel):
    name: str = Field(min_length=2, max_length=128, examples=["湖北省人民医院"])
    region_code: RegionCodeStr = Field(description="GB/T 2260 code of where the hospital is.", examples=["420106"])
    level: Level = Field(examples=["三级甲等"])
    designated: bool = Field(False, description="A designated (定点) hospital of the green channel.")
    fee_waivers: list[Fee] = Field(
        default_factory=list, description="Fees waived for card holders with the fee_waiver privilege "
                                          "(designated hospitals only).")
    active: bool = Field(True, description="Inactive hospitals' HIS clients cannot look up cards.")

    @model_validator(mode="after")
    def _waivers_need_designation(self) -> HospitalIn:
        if self.fee_waivers and not self.designated:
            raise ValueError("fee_waivers: only a designated (定点) hospital waives fees")
        if len(set(self.fee_waivers)) != len(self.fee_waivers):
            raise ValueError("fee_waivers: each fee once")
        return self


class HospitalOut(HospitalIn):
    code: str
    region_name: str | None
    created_at: datetime
    updated_at: datetime


class ImportIssue(BaseModel):
    row: int = Field(description="Row number in the file (the heading is row 1).")
    column: str
    message: str


class ImportReport(BaseModel):
    created: int
    updated: int
    unchanged: int
    rejected: list[ImportIssue] = Field(description="Rows not loaded, each with its reason; the others were loaded.")
