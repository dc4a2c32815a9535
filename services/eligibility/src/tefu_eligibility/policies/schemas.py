"""Responses of the catalogue endpoints."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

DOCUMENT_EXAMPLE = {
    "file": "370306-zhoucun.yaml", "region_code": "370306", "region_name": "山东省淄博市周村区",
    "document": "周政发〔2018〕85号", "status": "final", "title": "周村区人民政府关于进一步做好计划生育特殊家庭扶助关怀工作的实施意见",
    "issuer": "周村区人民政府", "issued_on": "2018-12-26", "effective_from": "2019-02-01", "effective_to": "2022-01-31",
    "special_family": None,
    "rules": ["one_time_condolence", "household_service_allowance", "pension_supplement", "medical_priority"],
    "parameters": ["special_assistance.death.rural", "special_assistance.death.urban", "zhoucun.one_time_condolence"],
}


class DocumentOut(BaseModel):
    """One rule file: one policy document of one region, as loaded and validated at start-up."""

    model_config = {"json_schema_extra": {"examples": [DOCUMENT_EXAMPLE]}}

    file: str = Field(description="The rule file's name in the catalogue.")
    region_code: str = Field(description="The region the document governs (GB/T 2260; 000000 for the nation).")
    region_name: str
    document: str = Field(description="Document number, e.g. 周政发〔2018〕85号.")
    status: str = Field("final", description="`final`, or `draft` for a 征求意见稿 (applied, and flagged on every answer).")
    title: str
    issuer: str
    issued_on: date | None
    effective_from: date | None = Field(description="Null: in force since before any record.")
    effective_to: date | None = Field(description="Null: still in force.")
    special_family: dict[str, Any] | None = Field(
        description="The base definition of a special family (national file) or the region's extra conditions, "
                    "which apply to the region's own rules and those of the levels below it.")
    rules: list[str] = Field(description="Benefit codes of the document's rules.")
    parameters: list[str] = Field(description="Names of the dated parameters (amounts) the file sets.")


class HealthItemOut(BaseModel):
    kind: str = Field(description="lapsed_document, amount_unknown, national_minimum, optional_not_set, draft_in_use, "
                                  "no_amount or value_without_source.")
    title: str = Field(description="The kind, in Chinese.")
    document: str = Field(description="The document concerned (本地区参数设置 for an overlay).")
    file: str | None = Field(description="Its rule file (null for an overlay).")
    text: str = Field(description="What is wrong and what to configure, in Chinese.")
    parameter: str | None = Field(description="The parameter concerned: set it as an overlay of the region.")
    rules: list[str] = Field(description="Benefit codes whose amount depends on it.")
    value: Decimal | None = Field(description="The national floor shown, for national_minimum.")
    floor: Decimal | None = Field(description="The national floor beside an amount unknown since a lapse.")
    without_successor: list[str] = Field(description="For a lapsed document: what it set that nothing replaces.")


class RegionHealthOut(BaseModel):
    region_code: str
    region_name: str | None
    items: list[HealthItemOut]


HEALTH_EXAMPLE = {
    "region": "370306", "on": "2023-01-01", "catalogue_version": "1a6b575a8f864868",
    "regions": [
        {"region_code": "000000", "region_name": "全国", "items": []},
        {"region_code": "370306", "region_name": "山东省淄博市周村区", "items": [
            {"kind": "lapsed_document", "title": "已失效且未配置后续规定的文件", "document": "周政发〔2018〕85号",
             "file": "370306-zhoucun.yaml",
             "text": "周政发〔2018〕85号已于2022-01-31失效，未配置后续规定：14 项待遇不再有规定，10 个参数的标准未知（见 without_successor）",
             "parameter": None, "rules": [], "value": None, "floor": None,
             "without_successor": ["待遇 one_time_condolence（失独家庭一次性扶助金）", "参数 special_assistance.death.rural"]},
            {"kind": "amount_unknown", "title": "金额未知（未配置）", "document": "周政发〔2018〕85号",
             "file": "370306-zhoucun.yaml",
             "text": "special_assistance.death.rural：周政发〔2018〕85号已于2022-01-31失效，未配置后续标准；全国最低标准为170.00元",
             "parameter": "special_assistance.death.rural", "rules": ["special_assistance"], "value": None,
             "floor": "170.00", "without_successor": []}]}],
}


class HealthOut(BaseModel):
    model_config = {"json_schema_extra": {"examples": [HEALTH_EXAMPLE]}}

    region: str
    on: date
    catalogue_version: str
    regions: list[RegionHealthOut] = Field(description="Each catalogue region at, above or below the one asked about.")
