"""Requests and answers of the parameter overlay endpoints."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from tefu_common.errors import Invalid
from tefu_common.ids import MAX_ROW_ID
from tefu_common.money import MoneyDecimal

EARLIEST = date(1950, 1, 1)
LARGEST = Decimal("9999999999.99")  # Numeric(12, 2)

OverlayStatus = Literal["proposed", "approved", "rejected", "withdrawn", "superseded"]


class ProposalIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "value": "3000", "valid_from": "2024-01-01", "valid_to": None, "document": "长政办发〔2024〕12号",
        "clause": "三（二）", "note": "市本级一次性抚慰金"}]})

    value: MoneyDecimal = Field(description="The amount in yuan, greater than 0, at most two decimal places, as a "
                                            "string.", examples=["3000.00"])
    valid_from: date = Field(description="First day the value applies (1950-01-01 or later).", examples=["2024-01-01"])
    valid_to: date | None = Field(None, description="Last day it applies; null or absent: until replaced.",
                                  examples=[None])
    document: str = Field(min_length=1, max_length=100, description="Number of the document that sets the value.",
                          examples=["长政办发〔2024〕12号"])
    clause: str | None = Field(None, max_length=50, description="Article or clause of the document.", examples=["三（二）"])
    note: str | None = Field(None, max_length=500, description="Anything the approver should know.")

    @field_validator("value")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        if value <= 0:
            raise Invalid("value-not-positive", "参数值应大于 0", "the value must be greater than 0")
        if value > LARGEST:
            raise Invalid("value-too-large", f"参数值不能超过 {LARGEST}", f"the value cannot exceed {LARGEST}")
        return value

    @field_validator("valid_from")
    @classmethod
    def _not_too_early(cls, value: date) -> date:
        if value < EARLIEST:
            raise Invalid("date-before-1950", f"日期 {value} 早于 {EARLIEST}：此前没有计划生育扶助的规定",
                          f"{value} is before {EARLIEST}: the special-assistance system has no rules before")
        return value

    @field_validator("valid_to")
    @classmethod
    def _after_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("valid_from")
        if value is not None and start is not None and value < start:
            raise Invalid("valid-to-before-valid-from", f"截止日期 {value} 早于起始日期 {start}",
                          f"valid_to {value} is before valid_from {start}")
        return value

    @field_validator("document")
    @classmethod
    def _document(cls, value: str) -> str:
        if not value.strip():
            raise Invalid("document-required", "请填写确定该数值的文件文号", "name the document that sets the value")
        return value.strip()

    @field_validator("clause", "note")
    @classmethod
    def _stripped(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"proposal_id": 12, "note": "已核对文件"}]})

    proposal_id: int = Field(gt=0, le=MAX_ROW_ID, description="The `id` of the waiting proposal (the answer of the PUT).")
    note: str | None = Field(None, max_length=500, description="Why (required to reject).")

    @field_validator("note")
    @classmethod
    def _stripped(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


OVERLAY_EXAMPLE = {
    "id": 12, "region_code": "430100", "region_name": "湖南省长沙市", "parameter": "hunan.one_time_condolence",
    "description": "一次性抚慰金（由各地自行确定标准）", "value": "3000.00", "unit": "yuan", "valid_from": "2024-01-01",
    "valid_to": None, "proposed_valid_to": None, "document": "长政办发〔2024〕12号", "clause": "三（二）",
    "note": "市本级一次性抚慰金", "status": "approved", "proposed_by": "admin-cs-wang",
    "proposed_at": "2026-12-01T02:00:00Z", "decided_by": "admin-hn-li", "decided_at": "2026-12-01T03:00:00Z",
    "decision_note": "已核对文件", "replaced_by": None, "replaced_at": None,
}


class OverlayOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [OVERLAY_EXAMPLE]})

    id: int
    region_code: str = Field(description="The region it applies to, and to every region within it.")
    region_name: str | None = Field(description="The region's full name.")
    parameter: str = Field(description="The parameter, as named in the rule files.")
    description: str | None = Field(description="What the parameter is, from the rule files.")
    value: MoneyDecimal
    unit: str = Field(description="The parameter's unit in the rule files (yuan).")
    valid_from: date
    valid_to: date | None = Field(description="Last day in force (null: open). Shortened when a later value was "
                                              "approved from a day before its end.")
    proposed_valid_to: date | None = Field(description="`valid_to` as proposed, before any shortening.")
    document: str
    clause: str | None
    note: str | None
    status: OverlayStatus = Field(description="proposed (waiting for another admin), approved (in force over its "
                                              "period), rejected, withdrawn, superseded (see `replaced_by`).")
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None = Field(description="Who approved or rejected it (the proposer, when withdrawn).")
    decided_at: datetime | None
    decision_note: str | None
    replaced_by: int | None = Field(description="The overlay that superseded this one or, for an approved one "
                                                "shortened, the approval that shortened it.")
    replaced_at: datetime | None


class ApprovalOut(BaseModel):
    """The overlay approved, and what its approval did to the values approved before it."""

    overlay: OverlayOut
    closed: list[OverlayOut] = Field(description="Earlier approved values now ending the day before `valid_from`.")
    superseded: list[OverlayOut] = Field(description="Approved values starting on or after `valid_from` within the new "
                                                     "period: no longer in force.")


class ResolvedParameterOut(BaseModel):
    """One parameter of the region's rule files as it resolves on the day (from an overlay or a file)."""

    parameter: str
    description: str | None = Field(None, description="What the parameter is, from the rule file that defines it.")
    unit: str | None = None
    value: MoneyDecimal | None = Field(None, description="Null when unknown on the day.")
    amount_status: str = Field(description="`local`, `national_minimum` or `unknown` (see the evaluation's `amount_status`).")
    reason: str | None = Field(None, description="Why the status is not simply local, in Chinese.")
    floor: MoneyDecimal | None = Field(None, description="The national minimum beside a local standard unknown since a lapse.")
    overlay: bool = Field(False, description="The value is an approved overlay (not a rule file).")
    citation: dict[str, Any] | None = Field(None, description="The document and clause the value comes from.")


class RegionParametersOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "region_code": "430100", "region_name": "湖南省长沙市", "on": "2024-06-01",
        "in_force": [OVERLAY_EXAMPLE], "pending": [], "parameters": []}]})

    region_code: str
    region_name: str | None
    on: date
    in_force: list[OverlayOut] = Field(description="Approved overlays in force on `on` for the region and the regions "
                                                   "above it, the deepest region first: they replace the rule files' "
                                                   "value for every family within their region.")
    pending: list[OverlayOut] = Field(description="Proposals of the region itself waiting for a decision (not in "
                                                  "force).")
    parameters: list[ResolvedParameterOut] = Field(
        description="Every parameter of the region's rule files as it resolves on `on`, with its source.")
