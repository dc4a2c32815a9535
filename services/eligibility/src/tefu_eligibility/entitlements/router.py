"""``POST /v1/entitlements``: every (person, benefit, month) due in a region, streamed as NDJSON."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from tefu_common.errors import Forbidden, ValidationFailed
from tefu_common.regions import region_contains, region_table
from tefu_eligibility.access import Evaluator
from tefu_eligibility.entitlements.service import Counts, bulk_codes, entitlement_stream
from tefu_eligibility.periods import months_between, parse_month
from tefu_eligibility.registry_client import open_region_facts

router = APIRouter(prefix="/v1", tags=["entitlements"])
MAX_MONTHS = 60
log = logging.getLogger("tefu.entitlements")


class EntitlementsRequest(BaseModel):
    region: str = Field(description="GB/T 2260 code: every family registered under it.", examples=["370306"])
    month: str = Field(description="The month, YYYY-MM (the last month, with from_month).", examples=["2020-06"])
    from_month: str | None = Field(
        None, description="First month of a range ending at `month` (arrears), at most 60 months; "
                          "the facts are read once, as of the last day of `month`.", examples=["2019-07"])
    benefits: list[str] | None = Field(None, description="Benefit codes; all cash benefits of the region when omitted.")


LINE_EXAMPLE = (
    '{"family_id":7,"member_id":1,"role":"mother","benefit":"special_assistance","benefit_name":"计划生育家庭特别扶助金",'
    '"month":"2020-06",'
    '"period":"2020-06","due_on":null,"amount":"610.00","rule_id":"000000/000000-national/special_assistance",'
    '"citation":"国人口发〔2007〕78号 二、三","reason":"独生子女死亡"}\n'
)


@router.post(
    "/entitlements",
    summary="Bulk entitlements of a region for a month (NDJSON)",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/x-ndjson": {"example": LINE_EXAMPLE}},
              "description": "One line per (person, benefit, month) due."},
        403: {"description": "The region is outside the caller's"},
        422: {"description": "Bad region, month or benefit code, each with its field"},
        503: {"description": "The registry cannot be reached"},
    },
)
async def entitlements(body: EntitlementsRequest, request: Request, caller: Evaluator) -> StreamingResponse:
    """Reads the registry's facts stream for the region as of the month's last day (with the
    caller's token) and streams one line per cash benefit due for the month:
    `family_id`, `member_id` (for a household benefit, the payee: the mother while she lives),
    `role`, `benefit`, `benefit_name`, `month`, `period` (the month for monthly benefits, the year for yearly
    ones, null for once-only ones), `due_on` (once-only), `amount` (a decimal string; null where
    the rules leave the amount to local decision and no value is set), `rule_id`, `citation`,
    `reason`.

    A monthly benefit appears in every month with at least one eligible day; a yearly one in the
    month holding the year's first eligible day; a once-only one in the month of its trigger.
    With `from_month`, every month of the range is computed from one pass over the facts (how the
    payments service finds arrears: months owed but never paid).
    Benefits paid per hospital day are claims, not bulk lines. Neither the facts nor the lines are
    held in memory: both sides stream.
    """
    catalogue = request.app.state.catalogue
    month = parse_month(body.month)
    errors: list[dict[str, Any]] = []
    known_region = body.region == "000000" or (
        body.region.isdigit() and len(body.region) in (6, 9, 12) and region_table().get(body.region[:6]) is not None)
    if not known_region:
        errors.append({"field": "region", "message": f"{body.region!r} is not a GB/T 2260 code", "type": "value_error"})
    if month is None:
        errors.append({"field": "month", "message": f"{body.month!r} is not a month (YYYY-MM)", "type": "value_error"})
    elif month.first_day.year < 1950:
        errors.append({"field": "month", "message": "must be 1950-01 or later", "type": "value_error"})
    months = [month] if month else []
    if body.from_month is not None and month is not None:
        first = parse_month(body.from_month)
        months = months_between(first, month) if first else []
        if first is None or first.first_day.year < 1950:
            errors.append({"field": "from_month", "message": f"{body.from_month!r} is not a month (YYYY-MM) from 1950",
                           "type": "value_error"})
        elif not 1 <= len(months) <= MAX_MONTHS:
            errors.append({"field": "from_month", "type": "value_error",
                           "message": f"must be at most {MAX_MONTHS} months before month, and not after it"})
    if known_region and body.benefits is not None:
        offered = {code for region in catalogue.regions if _overlaps(region, body.region)
                   for code in bulk_codes(catalogue.rule_set(region), None)}
        for index, code in enumerate(body.benefits):
            if code not in offered:
                errors.append({"field": f"benefits[{index}]", "type": "value_error",
                               "message": f"{code!r} is not a cash benefit of region {body.region} "
                                          f"(known: {', '.join(sorted(offered))})"})
    if errors:
        raise ValidationFailed("bad entitlements request", errors=errors)
    if not caller.covers_region(body.region):
        raise Forbidden(f"region {body.region} is outside your region {caller.region}")
    assert month is not None
    facts = await open_region_facts(request, body.region, month.last_day)
    counts = Counts()

    async def lines():  # type: ignore[no-untyped-def]
        try:
            async for chunk in entitlement_stream(catalogue, facts.chunks(), months, set(body.benefits or []) or None, counts):
                yield chunk
        finally:
            await facts.aclose()
            log.info("entitlements %s %s: %d families, %d lines", body.region, body.month, counts.families, counts.lines,
                     extra={"by_benefit": dict(counts.by_benefit)})

    return StreamingResponse(lines(), media_type="application/x-ndjson")


def _overlaps(catalogue_region: str, region: str) -> bool:
    """A catalogue region whose rules can apply to some family under ``region``."""
    return region_contains(catalogue_region, region) or region_contains(region, catalogue_region)
