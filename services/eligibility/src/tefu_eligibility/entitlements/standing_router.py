"""``POST /v1/standing``: who holds which non-cash benefit on one day, every family of a region, as NDJSON."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from tefu_common.calendar import today
from tefu_common.openapi import problems
from tefu_eligibility.access import Evaluator
from tefu_eligibility.entitlements.standing import MAX_BENEFITS, region_standing
from tefu_eligibility.overlays.current import CurrentCatalogue
from tefu_eligibility.registry import Registry

router = APIRouter(prefix="/v1", tags=["entitlements"])


class StandingRequest(BaseModel):
    model_config = {"json_schema_extra": {"examples": [
        {"region": "420102", "on": "2026-12-02", "benefits": ["medical_priority", "fee_waiver", "free_ambulance"]},
    ]}}

    region: str = Field(description="GB/T 2260 code: every family registered under it.", examples=["420102"])
    on: date | None = Field(None, description="The day; today (Asia/Shanghai) when omitted.", examples=["2026-12-02"])
    benefits: list[str] | None = Field(
        None, max_length=MAX_BENEFITS,
        description="Codes of non-cash benefits (services such as `medical_priority`); every service of the "
                    "family's rules when omitted.")


LINE_EXAMPLE = (
    '{"family_id":17,"region_code":"420102","parents":[{"member_id":51,"role":"mother","death_date":null},'
    '{"member_id":52,"role":"father","death_date":"2024-03-01"}],"benefits":{"medical_priority":[{"member_id":51,'
    '"role":"mother","rule_id":"420000/420000-hubei/medical_priority","citation":{"document":"鄂卫生计生通〔2016〕89号",'
    '"clause":"三（三）"},"services":["registration","payment","lab","pharmacy","admission"]}]}}\n'
)


@router.post(
    "/standing",
    summary="某日某地区每户家庭享有的服务类待遇（NDJSON 流）",
    description="""Clerks, approvers, auditors, admins and services (scope `eligibility:evaluate`) of the region;
the medical-priority service reads it to issue and re-check every priority card of a register at once.
Reads the registry's facts stream for the region as of `on` (with the caller's token) and streams
one line per family, in the registry's order, families holding nothing included: `family_id`,
`region_code`, `parents` (member id, role and death date of each registered parent: facts, no
personal data) and `benefits`, by code, the recipients holding each non-cash benefit on the day
itself (`member_id`, `role`, `rule_id`, `citation` with `document` and `clause`, `services`).

The same answer, benefit by benefit and recipient by recipient, as `GET
/v1/families/{id}/evaluation?as_of=<on>&on_the_day=true`: a monthly or yearly service is held if
a rule is in force on the day and its conditions hold that day (the rule of the deepest level in
force applies); a once-only one once it arose on or before the day; an optional measure the region
set no standard for is not held. Cash benefits are `POST /v1/entitlements`'. Neither the facts nor
the lines are held in memory: both sides stream.

Errors (all before the first line): 422 naming each bad field (`region-code-format`,
`region-code-unknown`, `date-before-1950`, `benefit-unknown`, `too-many-benefits`); 403
`region-outside-scope`; 503 `upstream-unavailable` with Retry-After when the registry cannot be
reached, 502 `upstream-refused` when it refuses the read. If the registry's stream breaks half-way
the answer ends early and the connection is closed: a client trusts only a response that ended
cleanly.""",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/x-ndjson": {"example": LINE_EXAMPLE}}, "description": "One line per family."},
        **problems(502, **{"403": "地区不在你的辖区，或角色不允许（region-outside-scope / forbidden）"}),
    },
)
async def standing(body: StandingRequest, caller: Evaluator, registry: Registry,
                   catalogue: CurrentCatalogue) -> StreamingResponse:
    return StreamingResponse(await region_standing(catalogue, registry, body.region, body.on or today(), body.benefits,
                                                   caller), media_type="application/x-ndjson")
