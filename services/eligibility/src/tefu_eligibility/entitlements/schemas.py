"""The body of ``POST /v1/entitlements`` and the shape of one line of its answer."""

from __future__ import annotations

from pydantic import BaseModel, Field


class EntitlementsRequest(BaseModel):
    model_config = {"json_schema_extra": {"examples": [
        {"region": "370306", "month": "2020-06"},
        {"region": "370306", "month": "2020-06", "from_month": "2019-07", "benefits": ["special_assistance"]},
    ]}}

    region: str = Field(description="GB/T 2260 code: every family registered under it.", examples=["370306"])
    month: str = Field(description="The month, YYYY-MM (the last month, with from_month).", examples=["2020-06"])
    from_month: str | None = Field(
        None, description="First month of a range ending at `month` (arrears), at most 60 months; "
                          "the facts are read once, as of the last day of `month`.", examples=["2019-07"])
    benefits: list[str] | None = Field(None, max_length=20, description="Benefit codes; all cash benefits of the region when omitted.")


LINE_EXAMPLE = (
    '{"family_id":7,"member_id":1,"role":"mother","benefit":"special_assistance","benefit_name":"计划生育家庭特别扶助金",'
    '"month":"2020-06",'
    '"period":"2020-06","due_on":null,"amount":"610.00","amount_status":"local",'
    '"rule_id":"000000/000000-national/special_assistance","catalogue_version":"1a6b575a8f864868",'
    '"citation":"国人口发〔2007〕78号 二、三","reason":"独生子女死亡"}\n'
)
