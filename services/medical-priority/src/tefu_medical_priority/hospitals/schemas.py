"""The hospital directory as the API shows and takes it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from tefu_common.errors import Invalid

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


HOSPITAL_EXAMPLE = {"name": "湖北省人民医院", "region_code": "420106", "level": "三级甲等", "designated": True,
                    "fee_waivers": ["emergency_registration", "outpatient_registration", "outpatient_infusion"],
                    "active": True}


class HospitalIn(BaseModel):
    model_config = {"json_schema_extra": {"examples": [HOSPITAL_EXAMPLE]}}

    name: str = Field(min_length=2, max_length=128, examples=["湖北省人民医院"])
    region_code: RegionCodeStr = Field(description="GB/T 2260 code of where the hospital is.", examples=["420106"])
    level: Level = Field(examples=["三级甲等"])
    designated: bool = Field(False, description="A designated (定点) hospital of the green channel.")
    fee_waivers: list[Fee] = Field(
        default_factory=list, max_length=20, description="Fees waived for card holders with the fee_waiver privilege "
                                          "(designated hospitals only).")
    active: bool = Field(True, description="Inactive hospitals' HIS clients cannot look up cards.")

    @field_validator("fee_waivers")
    @classmethod
    def _waivers_need_designation(cls, fees: list[Fee], info: ValidationInfo) -> list[Fee]:
        if fees and info.data.get("designated") is False:  # (a designated value that failed is its own error)
            raise Invalid("fee-waiver-not-designated", "只有定点医院才能减免费用：请同时设为定点，或不填减免项目",
                          "only a designated (定点) hospital waives fees")
        if len(set(fees)) != len(fees):
            raise Invalid("fee-waiver-repeated", "每项费用只能填一次", "each fee once")
        return fees


class HospitalOut(HospitalIn):
    model_config = {"json_schema_extra": {"examples": [{
        **HOSPITAL_EXAMPLE, "code": "H420106001", "region_name": "湖北省武汉市武昌区",
        "created_at": "2026-12-01T02:00:00Z", "updated_at": "2026-12-01T02:00:00Z"}]}}

    code: str
    region_name: str | None
    created_at: datetime
    updated_at: datetime


class ImportIssue(BaseModel):
    row: int = Field(description="Row number in the file (the heading is row 1).")
    column: str = Field(description="The column's heading (医院编码, 行政区划代码 …).")
    code: str = Field(description="Stable machine code of what is wrong.")
    detail: str = Field(description="What is wrong, for a person (Chinese unless `Accept-Language: en`).")


class ImportReport(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{
        "created": 2, "updated": 0, "unchanged": 0, "rejected": [
            {"row": 4, "column": "行政区划代码", "code": "region-code-unknown",
             "detail": "地区码 429999 不是已知的 GB/T 2260 行政区划代码"}]}]}}

    created: int
    updated: int
    unchanged: int
    rejected: list[ImportIssue] = Field(description="Rows not loaded, each with its reason; the others were loaded.")
