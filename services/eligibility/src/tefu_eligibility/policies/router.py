"""``GET /v1/policies`` and ``GET /v1/policies/{region_code}``."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Path, Query, Request

from tefu_common.errors import ValidationFailed
from tefu_common.regions import region_table
from tefu_eligibility.access import RulesReader
from tefu_eligibility.evaluation.facts import EARLIEST
from tefu_common.calendar import today
from tefu_eligibility.policies.service import catalogue_view, rule_set_view

router = APIRouter(prefix="/v1/policies", tags=["policies"])


@router.get("", summary="The policy catalogue: every document, its region, dates, rules and parameters")
async def list_policies(request: Request, caller: RulesReader) -> dict[str, Any]:
    """The rule files as loaded and validated at start-up. Rules are public policy: any caller with
    `rules:read` sees the whole catalogue."""
    return catalogue_view(request.app.state.catalogue)


@router.get(
    "/{region_code}",
    summary="The rules in force for a region on a date, through the layers, with citations",
    responses={422: {"description": "Unknown region code or a date before 1950"}},
)
async def region_policies(
    request: Request,
    caller: RulesReader,
    region_code: str = Path(description="GB/T 2260 code, e.g. 310114"),
    as_of: date | None = Query(None, description="Defaults to today (Asia/Shanghai)."),
) -> dict[str, Any]:
    """`layers` runs from the nation down to the region; `rules` holds, per benefit code, the rule
    that applies on `as_of` (the deepest level in force) with its conditions, amount formula, the
    value of each parameter on that day and where it comes from; `overridden` lists the rules of
    upper levels replaced by a lower one that day."""
    on = as_of or today()
    errors = []
    if not (region_code.isdigit() and len(region_code) == 6 and (region_code == "000000" or region_table().get(region_code))):
        errors.append({"field": "region_code", "message": f"{region_code!r} is not a GB/T 2260 code", "type": "value_error"})
    if on < EARLIEST:
        errors.append({"field": "as_of", "message": f"must be on or after {EARLIEST}", "type": "value_error"})
    if errors:
        raise ValidationFailed("bad region or date", errors=errors)
    return rule_set_view(request.app.state.catalogue, region_code, on)
