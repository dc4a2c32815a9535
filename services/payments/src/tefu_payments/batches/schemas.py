"""Requests and answers of the batch endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from tefu_common.money import MoneyDecimal
from tefu_common.regions import RegionCodeStr

BatchStatus = Literal["draft", "submitted", "approved", "exported", "reconciled", "cancelled", "rejected"]


class BatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "region_code": "370306", "benefits": ["special_assistance"], "period": "2020-06", "agency_id": "ABC-ZC"}]})

    region_code: RegionCodeStr = Field(description="The region paid: every family registered under it.", examples=["370306"])
    benefits: list[str] = Field(min_length=1, max_length=20, description="Cash benefit codes.", examples=[["special_assistance"]])
    period: str = Field(description="2020-06 (a month), 2020-Q2 (a quarter) or 2020 (a year), as the region's payment "
                                    "schedule says (GET /v1/payment-schedules/{region_code}).", examples=["2020-06"])
    agency_id: str = Field(description="The agent bank that pays it.", examples=["ABC-ZC"])


SkipReason = Literal["no_amount", "no_bank_account", "already_in_ledger", "under_review"]


class Skipped(BaseModel):
    no_amount: int = Field(description="Entitlements whose amount the rules leave to a local decision not yet made.")
    no_bank_account: int = Field(description="Payees with no bank account in the register.")
    already_in_ledger: int = Field(description="Lines another batch already holds (pending or paid).")
    already_in_ledger_earlier: int = Field(0, description=(
        "Of `already_in_ledger`, those of months before the period: arrears an earlier batch holds, as every build's "
        "look-back finds them. Counted, not listed in `GET /v1/batches/{id}/skipped`; the others are."))
    under_review: int = Field(0, description=(
        "Payees a bank's return put under review (the registry's review tasks: the payee died, the account is closed "
        "or wrong): paid nothing until a clerk settles the task."))


BATCH_EXAMPLE = {
    "id": 12, "region_code": "370306", "benefits": ["special_assistance"], "period": "2020-06", "frequency": "monthly",
    "period_start": "2020-06-01", "period_end": "2020-06-30", "agency_id": "ABC-ZC", "status": "draft",
    "prepared_by": "clerk-zhang", "approved_by": None, "line_count": 39, "total": "13260.00", "arrears_lines": 36,
    "carried_lines": 0, "national_minimum_lines": 39, "notices": ["39 项按国家最低标准发放，因为本地区的地方标准尚未配置"],
    "skipped": {"no_amount": 0, "no_bank_account": 39, "already_in_ledger": 0, "already_in_ledger_earlier": 0,
                "under_review": 0},
    "created_at": "2026-12-01T08:30:00Z", "updated_at": "2026-12-01T08:30:00Z"}


class BatchOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [BATCH_EXAMPLE]})

    id: int
    region_code: str
    benefits: list[str]
    period: str
    frequency: Literal["monthly", "quarterly", "yearly"] = Field(
        description="How often the region pays these benefits (its payment schedule when the batch was built).")
    period_start: date
    period_end: date
    agency_id: str
    status: BatchStatus
    prepared_by: str
    approved_by: str | None
    line_count: int
    total: MoneyDecimal
    arrears_lines: int = Field(0, description="Lines for months before the period (owed but never paid).")
    carried_lines: int = Field(0, description="Lines re-issuing an earlier failed line.")
    national_minimum_lines: int = Field(0, description=(
        "Lines paid at the national minimum (`amount_status` national_minimum): the region's local standard is not "
        "configured (a document that only says the standard is adjusted, or one that has lapsed with no successor), so "
        "the amount is the national floor. Check before submitting."))
    notices: list[str] = Field(default_factory=list, description=(
        "What the preparer and the approver should know about the lines, in Chinese (English with "
        "`Accept-Language: en`), e.g. how many are paid at the national minimum."))
    skipped: Skipped | None = Field(None, description=(
        "What the build left out, by reason; each item, with what to do about it, is in "
        "`GET /v1/batches/{id}/skipped`. Null on batches built before the skipped items were kept."))
    created_at: datetime
    updated_at: datetime


TransitionEvent = Literal["built", "exported", "reconciled"]


class TransitionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "from_status": None, "to_status": "draft", "actor": "clerk-zhang", "at": "2026-12-01T08:30:00Z",
        "note": "共 39 笔，其中 36 笔为以前月份的补发", "event": "built", "facts": {"lines": 39, "arrears": 36}}, {
        "from_status": "submitted", "to_status": "approved", "actor": "chief-li", "at": "2026-12-01T09:00:00Z",
        "note": "已核对", "event": None, "facts": None}]})

    from_status: str | None
    to_status: str
    actor: str
    at: datetime
    note: str | None = Field(description=(
        "For people. A step the service records (`event`) is said in Chinese (English with `Accept-Language: en`); "
        "a person's note (why a batch was rejected, an approver's remark) as the person wrote it."))
    event: TransitionEvent | None = Field(None, description=(
        "Set on the steps the service records itself: built (the batch and its lines), exported (the first pull of "
        "the file), reconciled (the return file left no line pending). Null on a person's step."))
    facts: dict[str, int | str] | None = Field(None, description=(
        "What the note of an `event` says, for machines: built {lines, arrears}, exported {sha256}, "
        "reconciled {paid, failed}."))


class SkipOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "reason": "no_bank_account", "reason_text": "登记中没有该成员的银行账户",
        "what_to_do": "在登记服务中为该成员补录银行账户；之后的批次会自动纳入，所欠月份作为欠发补发",
        "family_id": 7, "member_id": 71, "role": "father", "benefit": "special_assistance",
        "benefit_name": "计划生育家庭特别扶助金", "period": "2020-06", "month": "2020-06", "held_batch_id": None,
        "held_reference": None, "amount_status": None, "amount_reason": None}]})

    reason: SkipReason = Field(description=(
        "no_amount (the rules leave the amount to a local decision not yet configured), no_bank_account (the "
        "register has no bank account for the payee), already_in_ledger (another batch holds the line), under_review "
        "(a bank's return opened a review task for the payee in the registry)."))
    reason_text: str = Field(description="Why, for people: Chinese (English with `Accept-Language: en`).")
    what_to_do: str = Field(description="What the clerk does about it, in the same language.")
    family_id: int
    member_id: int | None = Field(description="The member paid; null for a household's benefit.")
    role: str
    benefit: str
    benefit_name: str
    period: str = Field(description="2020-06 (monthly), 2020 (yearly) or once.")
    month: str = Field(description="The month the entitlement was computed for.")
    held_batch_id: int | None = Field(description="already_in_ledger: the batch holding the line, when known.")
    held_reference: str | None = Field(description="already_in_ledger: the reference of the line holding it.")
    amount_status: str | None = Field(description="no_amount: what eligibility said of the amount (`unknown`).")
    amount_reason: str | None = Field(description="no_amount: why, as eligibility said it, when it did.")


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"note": "代理机构选错，重新制单"}]})

    note: str | None = Field(None, max_length=500, description="Why (required to reject or cancel).")


# What an auditor needs to reproduce a line's amount years later, on every answer that shows a line.
RuleId = Annotated[str, Field(description=(
    "The eligibility rule the amount was computed by: region layer, rule file and benefit."),
    examples=["000000/000000-national/special_assistance"])]
CatalogueVersion = Annotated[str | None, Field(description=(
    "Content hash (16 hex characters) of the eligibility rule files and the approved local values in force when the "
    "line was built: with `rule_id`, exactly what the amount was computed from. Null on lines built before it was "
    "recorded."), examples=["3f9a0c21d4e8b7a6"])]
AmountStatus = Annotated[str | None, Field(description=(
    "Where the amount comes from: `local` (a local standard: a local document or an approved local value) or "
    "`national_minimum` (the region's local standard is not configured; the amount is the national floor). Lines "
    "without an amount (`unknown`) are never paid. Null on lines built before it was recorded."),
    examples=["local"])]


class LineOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "reference": "0000120000001", "family_id": 7, "member_id": 70, "role": "mother", "benefit": "special_assistance",
        "benefit_name": "计划生育家庭特别扶助金", "period": "2020-06", "month": "2020-06", "due_on": None, "amount": "340.00",
        "status": "pending", "paid_on": None, "failure_reason": None, "carries": None, "payee_name": "陈*英",
        "bank_account": "***************0001", "rule_id": "000000/000000-national/special_assistance",
        "catalogue_version": "3f9a0c21d4e8b7a6", "amount_status": "local", "citation": "国人口发〔2007〕78号 第三条"}]})

    reference: str
    family_id: int
    member_id: int | None
    role: str
    benefit: str
    benefit_name: str
    period: str = Field(description="2020-06 (monthly), 2020 (yearly) or once.")
    month: str
    due_on: date | None
    amount: MoneyDecimal
    status: Literal["pending", "paid", "failed", "released"]
    paid_on: date | None
    failure_reason: str | None
    carries: str | None = Field(description="Reference of the failed line this one pays again.")
    payee_name: str | None = Field(description="Masked (李*英).")
    bank_account: str | None = Field(description="Masked: the last four digits.")
    rule_id: RuleId
    catalogue_version: CatalogueVersion
    amount_status: AmountStatus
    citation: str
