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


_NATIONAL = {"document": "国人口发〔2007〕78号", "title": "全国独生子女伤残死亡家庭扶助制度试点方案",
             "issuer": "国家人口计生委、财政部", "clause": "二、三", "region_code": "000000"}
_DEATH = {"condition": "child_deceased", "met": True, "text": "独生子女于2019-03-10死亡"}
_NO_LATER = {"condition": "no_later_child", "met": True, "text": "未再生育或收养子女"}
EVALUATION_EXAMPLE = {
    "family_id": 7, "as_of": "2020-06-15", "region_code": "370306", "rule_region": "370306", "special_family": True,
    "special_family_reasons": [_DEATH, {"condition": "child_disabled_at_level", "met": False, "text": "独生子女已死亡"},
                               _NO_LATER],
    "benefits": [{
        "code": "special_assistance", "name": "计划生育家庭特别扶助金", "kind": "cash", "frequency": "monthly",
        "basis": "person", "amount": "610.00", "recipients": ["mother", "father"],
        "recipient_details": [
            {"role": "mother", "member_id": 11, "amount": "610.00", "eligible_from": "2020-06-01"},
            {"role": "father", "member_id": 12, "amount": "610.00", "eligible_from": "2020-06-01"}],
        "period": "2020-06", "total": "1220.00", "due_on": None, "max_days": None, "services": [],
        "citation": _NATIONAL,
        "amount_source": {"document": "周政发〔2018〕85号",
                          "title": "周村区人民政府关于进一步做好计划生育特殊家庭扶助关怀工作的实施意见",
                          "issuer": "周村区人民政府", "clause": "二（三）", "region_code": "370306"},
        "rule_id": "000000/000000-national/special_assistance",
        "reasons": [_DEATH, _NO_LATER,
                    {"condition": "woman_age_at_least", "met": True, "text": "母亲1965-03-02出生，2014-03-02年满49周岁"},
                    {"condition": "recipient_alive", "met": True, "text": "在世"}],
    }],
    "not_eligible": [{"code": "elderly_services", "name": "优先入住政府兴办的养老机构", "reasons": [
        {"condition": "recipient_age_at_least", "met": False, "text": "母亲1965-03-02出生，2025-03-02年满60周岁"},
        {"condition": "recipient_age_at_least", "met": False, "text": "父亲1963-07-09出生，2023-07-09年满60周岁"}]}],
}


class EvaluationOut(BaseModel):
    model_config = {"json_schema_extra": {"examples": [EVALUATION_EXAMPLE]}}

    family_id: int | None
    as_of: date
    region_code: str
    rule_region: str = Field(description="The deepest region whose rules apply (the layers run from 000000 down to it).")
    special_family: bool
    special_family_reasons: list[ReasonOut]
    benefits: list[BenefitOut]
    not_eligible: list[NotEligibleOut]
