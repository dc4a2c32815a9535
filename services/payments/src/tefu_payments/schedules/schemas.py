"""Requests and answers of the payment schedule endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Frequency = Literal["monthly", "quarterly", "yearly"]
BenefitCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,47}$")]


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "frequency": "quarterly", "benefit_frequencies": {"one_time_condolence": "monthly"},
        "basis": "周政发〔2018〕85号 第五条"}]})

    frequency: Frequency = Field(description="How often the region pays its cash benefits: the period one batch covers "
                                             "(2020-06, 2020-Q2 or 2020).", examples=["quarterly"])
    benefit_frequencies: dict[BenefitCode, Frequency] = Field(
        default_factory=dict, max_length=50,
        description="Benefits the region pays at another frequency than `frequency`, by benefit code.",
        examples=[{"one_time_condolence": "monthly"}])
    basis: str | None = Field(None, max_length=200, description="The local document that sets the schedule.",
                              examples=["周政发〔2018〕85号 第五条"])


class ScheduleOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "region_code": "370306", "frequency": "quarterly", "benefit_frequencies": {"one_time_condolence": "monthly"},
        "basis": "淄政办发〔2019〕3号", "defined_at": "370300", "updated_by": "admin-sd",
        "updated_at": "2026-12-01T08:00:00Z"}]})

    region_code: str = Field(description="The region asked about.")
    frequency: Frequency
    benefit_frequencies: dict[str, Frequency]
    basis: str | None
    defined_at: str | None = Field(description="The region whose schedule applies: the region itself, the nearest "
                                               "region above it that has one, or null for the national default "
                                               "(monthly).")
    updated_by: str | None
    updated_at: datetime | None
