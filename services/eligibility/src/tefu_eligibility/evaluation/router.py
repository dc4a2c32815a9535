"""``POST /v1/evaluate`` and ``GET /v1/families/{id}/evaluation``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import orjson

from fastapi import APIRouter, Query, Request, Response

from tefu_common.errors import Forbidden, ValidationFailed
from tefu_eligibility.access import Evaluator
from tefu_eligibility.evaluation.facts import EARLIEST, EvaluateRequest, check_facts
from tefu_eligibility.evaluation.schemas import EvaluationOut
from tefu_eligibility.evaluation.service import evaluate
from tefu_common.calendar import today
from tefu_eligibility.registry_client import family_facts

router = APIRouter(prefix="/v1", tags=["evaluation"])


@router.post(
    "/evaluate",
    response_model=EvaluationOut,
    summary="What a family is entitled to on a date, and why",
    responses={422: {"description": "Contradictory facts, each with its field"},
               403: {"description": "The family's region is outside the caller's"}},
)
async def evaluate_facts(body: EvaluateRequest, request: Request, caller: Evaluator) -> Response:
    """Evaluates the facts sent (the shape of the registry's facts documents).

    - A **monthly** benefit is due for the month of `as_of` if the recipient was eligible on at
      least one day of that month (so special assistance starts in the month the woman turns 49
      and stops from the month after a death, a recovery or a later birth or adoption); the amount
      is the one in force on the first eligible day of the month. **Yearly** benefits likewise for
      the year of `as_of`.
    - A **once-only** benefit arises on its trigger date (the child's death, a certification, a
      successful assisted rebirth) if a rule granting it is in force that day and its conditions
      hold that day; it is listed with `due_on` once that date is on or before `as_of`.
    - Rules come from every level containing the family's region (national → province → city →
      county); a lower level's rule replaces the benefit of the same code while in force.
    - `not_eligible` lists every other benefit of the region with the conditions that failed.
    """
    check_facts(body)  # a bad region code is a 422 before it can be a 403
    if not caller.covers_region(body.family.region_code):
        raise Forbidden(f"region {body.family.region_code} is outside your region {caller.region}")
    return json_response(evaluate(request.app.state.catalogue, body))


@router.get(
    "/families/{family_id}/evaluation",
    response_model=EvaluationOut,
    summary="Evaluate a registered family: its facts are read from the registry",
    responses={404: {"description": "No such family in the caller's region"},
               503: {"description": "The registry cannot be reached"}},
)
async def evaluate_family(family_id: int, request: Request, caller: Evaluator,
                          as_of: date | None = Query(None, description="Defaults to today (Asia/Shanghai)."),
                          on_the_day: bool = Query(False, description="Monthly and yearly benefits held on `as_of` "
                                                                      "itself, not on any day of its month or year.")
                          ) -> Response:
    """Reads `GET /v1/families/{id}/facts?as_of=` from the registry with the caller's own token (so
    the registry applies the caller's region and logs the read), then evaluates as `POST /v1/evaluate`."""
    on = as_of or today()
    if on < EARLIEST:
        raise ValidationFailed("bad as_of", errors=[{"field": "as_of", "message": f"must be on or after {EARLIEST}",
                                                     "type": "value_error"}])
    document = await family_facts(request, family_id, on)
    document["on_the_day"] = on_the_day
    return json_response(evaluate(request.app.state.catalogue, EvaluateRequest.model_validate(document)))


def json_response(result: dict[str, Any]) -> Response:
    """The evaluation as JSON, serialised directly (it is built to the shape of EvaluationOut, which
    documents it): re-validating a large nested answer would cost more than computing it."""
    return Response(orjson.dumps(result, default=_money), media_type="application/json")


def _money(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    raise TypeError(f"cannot serialise {type(value).__name__}")

