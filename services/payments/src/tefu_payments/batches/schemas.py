"""Requests and answers of the batch endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tefu_common.money import MoneyDecimal

BatchStatus = Literal["draft", "submitted", "approved", "exported", "reconciled", "cancelled", "rejected"]


class BatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region_code: str = Field(description="The region paid: every family registered under it.", examples=["370306"])
    benefits: list[str] = Field(min_length=1, description="Cash benefit codes.", examples=[["special_assistance"]])
    period: str = Field(description="2020-06 (a month), 2020-Q2 (a quarter) or 2020 (a year), as the region's payment "
                                    "schedule says (GET /v1/payment-schedules/{region_code}).", examples=["2020-06"])
    agency_id: str = Field(description="The agent bank that pays it.", examples=["ABC-ZC"])


class Skipped(BaseModel):
    no_amount: int = Field(description="Entitlements whose amount the rules leave to a local decision not yet made.")
    no_bank_account: int = Field(description="Payees with no bank account in the register.")
    already_in_ledger: int = Field(description="Lines another batch already holds (pending or paid).")


class BatchOut(BaseModel):
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
    skipped: Skipped | None = Field(None, description="Only in the answer that built the batch.")
    created_at: datetime
    updated_at: datetime


class TransitionOut(BaseModel):
    from_status: str | None
    to_status: str
    actor: str
    at: datetime
    note: str | None


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(None, max_length=500, description="Why (required to reject or cancel).")


class LineOut(BaseModel):
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
    citation: str
