"""Responses of the evaluation endpoints."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from tefu_common.money import MoneyDecimal


class Citation(BaseModel):
    document: str = Field(description="Document number, e.g. 周政发〔2018〕85号.")
    title: str | None
    issuer: str | None
    clause: str | None
    region_code: str = Field(description="The region whose file holds the rule.")


class ReasonOut(BaseModel):
    condition: str = Field(description="The condition checked (its name in the rule files).")
    met: bool
    text: str = Field(description="What the facts say, in words a clerk reads.")


class RecipientOut(BaseModel):
    role: Literal["mother", "father", "child", "household"]
    member_id: int | None = Field(description="Registry member id; for a household benefit, the payee.")
    amount: MoneyDecimal | None
    eligible_from: date = Field(description="First day of the period (or the trigger day) the recipient qualified.")


class BenefitOut(BaseModel):
    code: str
    name: str
    kind: Literal["cash", "service"]
    frequency: str
    basis: Literal["person", "household"]
    amount: MoneyDecimal | None = Field(description="Per recipient and period; null when not set or when it differs by recipient.")
    recipients: list[str] = Field(description="Roles that receive it: mother, father, child, or household.")
    recipient_details: list[RecipientOut]
    period: str | None = Field(description="2020-06 (monthly), 2020 (yearly), the day (per hospital day); null once-only.")
    total: MoneyDecimal | None = Field(description="For the family for the period (once-only: in all).")
    due_on: date | None = Field(description="The day a once-only benefit arose.")
    max_days: int | None = Field(None, description="Per-hospital-day benefits: the most days paid.")
    services: list[str] = Field(
        default_factory=list, description="For a hospital green channel (medical_priority): the services given first, "
                                          "as the document lists them (registration, consultation, referral, lab, "
                                          "examination, pharmacy, payment, admission).")
    citation: Citation
    amount_source: Citation | None = Field(description="Where the amount comes from, when another file sets it.")
    rule_id: str
    reasons: list[ReasonOut]


class NotEligibleOut(BaseModel):
    code: str
    name: str
    reasons: list[ReasonOut]


class EvaluationOut(BaseModel):
    family_id: int | None
    as_of: date
    region_code: str
    rule_region: str = Field(description="The deepest region whose rules apply (the layers run from 000000 down to it).")
    special_family: bool
    special_family_reasons: list[ReasonOut]
    benefits: list[BenefitOut]
    not_eligible: list[NotEligibleOut]
