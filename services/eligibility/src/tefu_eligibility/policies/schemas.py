"""Responses of the catalogue endpoints."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

DOCUMENT_EXAMPLE = {
    "file": "370306-zhoucun.yaml", "region_code": "370306", "region_name": "山东省淄博市周村区",
    "document": "周政发〔2018〕85号", "title": "周村区人民政府关于进一步做好计划生育特殊家庭扶助关怀工作的实施意见",
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
    title: str
    issuer: str
    issued_on: date | None
    effective_from: date | None = Field(description="Null: in force since before any record.")
    effective_to: date | None = Field(description="Null: still in force.")
    special_family: dict[str, Any] | None = Field(
        description="The base definition of a special family (national file) or the region's extra conditions.")
    rules: list[str] = Field(description="Benefit codes of the document's rules.")
    parameters: list[str] = Field(description="Names of the dated parameters (amounts) the file sets.")
