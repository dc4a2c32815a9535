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


AmountStatus = Literal["local", "national_minimum", "unknown"]
AMOUNT_STATUS = (
    "How sure the amount is: `local` (a local standard is configured: a local rule file or an approved "
    "overlay); `national_minimum` (only the national floor is known, e.g. a document that says \"动态调整\": "
    "`amount` is that floor and the local standard is missing); `unknown` (`amount` is null: the document "
    "names the amount without setting it, its values are known only from a later day, or the local document "
    "lapsed with no successor configured; `amount_reason` says which). Null for a service.")


class RecipientOut(BaseModel):
    role: Literal["mother", "father", "child", "household"]
    member_id: int | None = Field(description="Registry member id; for a household benefit, the payee.")
    amount: MoneyDecimal | None
    amount_status: AmountStatus | None = Field(None, description=AMOUNT_STATUS)
    eligible_from: date = Field(description="First day of the period (or the trigger day) the recipient qualified.")


class ProvenanceOut(BaseModel):
    standing: bool = Field(description="A standing measure the document restates (\"按照本市有关规定，落实…\").")
    in_force_from: date | None = Field(description="First day the rule applies; null: since before any record.")
    since_unknown: bool = Field(description="A standing measure whose first day the documents do not give.")
    source: str | None = Field(description="The earlier rule the document restates, where it names it.")
    quote: str | None = Field(description="The sentence that says the measure is an existing one.")
    restated_by: str | None = Field(None, description="The document that restates it.")


class BenefitOut(BaseModel):
    code: str
    name: str
    kind: Literal["cash", "service"]
    frequency: str
    basis: Literal["person", "household"]
    amount: MoneyDecimal | None = Field(description="Per recipient and period; null when unknown or when it differs by recipient.")
    amount_status: AmountStatus | None = Field(description=AMOUNT_STATUS + " Where recipients differ, the least certain.")
    amount_reason: str | None = Field(description="Why the status is not simply `local`, in Chinese (标准未知、未配置、已失效…).")
    amount_floor: MoneyDecimal | None = Field(
        description="The national minimum, shown beside an unknown amount whose local document lapsed.")
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
    provenance: ProvenanceOut
    drafts: list[str] = Field(description="Draft documents (征求意见稿) the rule or its amount comes from.")
    to_verify: list[str] = Field(
        description="Conditions of the text the register does not hold (in Chinese): the clerk checks them before granting.")
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
    "family_id": 7, "as_of": "2020-06-15", "region_code": "370306", "rule_region": "370306",
    "catalogue_version": "1a6b575a8f864868", "drafts": [], "special_family": True,
    "special_family_reasons": [_DEATH, {"condition": "child_disabled_at_level", "met": False, "text": "独生子女已死亡"},
                               _NO_LATER],
    "benefits": [{
        "code": "special_assistance", "name": "计划生育家庭特别扶助金", "kind": "cash", "frequency": "monthly",
        "basis": "person", "amount": "610.00", "recipients": ["mother", "father"],
        "recipient_details": [
            {"role": "mother", "member_id": 11, "amount": "610.00", "amount_status": "local",
             "eligible_from": "2020-06-01"},
            {"role": "father", "member_id": 12, "amount": "610.00", "amount_status": "local",
             "eligible_from": "2020-06-01"}],
        "period": "2020-06", "total": "1220.00", "due_on": None, "max_days": None, "services": [],
        "amount_status": "local", "amount_reason": None, "amount_floor": None,
        "citation": _NATIONAL,
        "amount_source": {"document": "周政发〔2018〕85号",
                          "title": "周村区人民政府关于进一步做好计划生育特殊家庭扶助关怀工作的实施意见",
                          "issuer": "周村区人民政府", "clause": "二（三）", "region_code": "370306"},
        "rule_id": "000000/000000-national/special_assistance",
        "provenance": {"standing": False, "in_force_from": "2008-01-01", "since_unknown": False, "source": None,
                       "quote": None},
        "drafts": [], "to_verify": [],
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
    catalogue_version: str = Field(
        description="Content hash of the rule files and the overlays in force: the same version gives the same answer.")
    drafts: list[str] = Field(description="Draft documents (征求意见稿) this answer applies: each is not yet adopted.")
    special_family: bool
    special_family_reasons: list[ReasonOut]
    benefits: list[BenefitOut]
    not_eligible: list[NotEligibleOut]
