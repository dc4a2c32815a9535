"""``POST /v1/evaluate`` and ``GET /v1/families/{id}/evaluation``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import orjson
from fastapi import APIRouter, Path, Query, Response

from tefu_common.calendar import today
from tefu_common.openapi import problems
from tefu_eligibility.access import Evaluator
from tefu_eligibility.overlays.current import CurrentCatalogue
from tefu_eligibility.evaluation.facts import EvaluateRequest
from tefu_eligibility.evaluation.schemas import EvaluationOut
from tefu_eligibility.evaluation.service import evaluate_registered_family, evaluate_sent_facts
from tefu_eligibility.registry import Registry

router = APIRouter(prefix="/v1", tags=["evaluation"])

SEMANTICS = """
- A **monthly** benefit is due for the month of `as_of` if the recipient was eligible on at least
  one day of that month (so special assistance starts in the month the woman turns 49 and stops
  from the month after a death, a recovery or a later birth or adoption); the amount is the one in
  force on the first eligible day of the month. **Yearly** benefits likewise for the year of `as_of`.
- A **once-only** benefit arises on its trigger date (the child's death, a certification, a
  successful assisted rebirth) if a rule granting it is in force that day and its conditions hold
  that day; it is listed with `due_on` once that date is on or before `as_of`.
- Rules come from every level containing the family's region (national → province → city →
  county); a lower level's rule replaces the benefit of the same code while in force.
- `not_eligible` lists every other benefit of the region with the conditions that failed; the
  reasons (`text`) are written in Chinese, for the clerk who explains them to the family.
"""


@router.post(
    "/evaluate",
    response_model=EvaluationOut,
    summary="按日期评估一户家庭的待遇及理由",
    description=(
        "Clerks, approvers, auditors, admins and services (scope `eligibility:evaluate`) send a family's facts "
        "(the shape of the registry's facts documents) and get every benefit due on `as_of`, with amounts, "
        "recipients, citations and reasons, and every other benefit with why not.\n" + SEMANTICS + """
Errors: 422 when the facts contradict each other (`errors` names each field with its code, e.g.
`later-child-before-only-child`, `date-before-1950`, `region-code-unknown`); 403
`region-outside-scope` when the family's region is outside the caller's."""),
    responses=problems(**{"403": "家庭所在地不在你的辖区，或角色不允许（region-outside-scope / forbidden）",
                          "422": "事实相互矛盾，errors 逐项列出字段和代码（Contradictory facts, each with its field）"}),
)
async def evaluate_facts(body: EvaluateRequest, caller: Evaluator, catalogue: CurrentCatalogue) -> Response:
    return json_response(evaluate_sent_facts(catalogue, body, caller))


@router.get(
    "/families/{family_id}/evaluation",
    response_model=EvaluationOut,
    summary="评估一户已登记家庭（事实从登记服务读取）",
    description=(
        "Same callers and answer as `POST /v1/evaluate`. Reads `GET /v1/families/{id}/facts?as_of=` from the "
        "registry with the caller's own token (so the registry applies the caller's region and logs the read), "
        "then evaluates those facts.\n" + SEMANTICS + """
Errors: 404 `family-not-found` when the registry has no such family in the caller's region; 422
`date-before-1950` on `query.as_of`, or the registered facts contradict each other (fields under
`facts.`, to be corrected in the registry); 503 `upstream-unavailable` (with Retry-After) when the
registry cannot be reached; 502 `upstream-refused` when it refuses the read."""),
    responses=problems(502, **{"404": "登记服务中没有这户家庭，或不在你的辖区（family-not-found）"}),
)
async def evaluate_family(
    caller: Evaluator,
    registry: Registry,
    catalogue: CurrentCatalogue,
    family_id: int = Path(description="Registry family id.", examples=[7]),
    as_of: date | None = Query(None, description="Defaults to today (Asia/Shanghai).", examples=["2020-06-15"]),
    on_the_day: bool = Query(False, description="Monthly and yearly benefits held on `as_of` itself, not on any day "
                                                "of its month or year."),
) -> Response:
    return json_response(await evaluate_registered_family(catalogue, registry, family_id, as_of or today(),
                                                          on_the_day=on_the_day))


def json_response(result: dict[str, Any]) -> Response:
    """The evaluation as JSON, serialised directly (it is built to the shape of EvaluationOut, which
    documents it): re-validating a large nested answer would cost more than computing it."""
    return Response(orjson.dumps(result, default=_money), media_type="application/json")


def _money(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    raise TypeError(f"cannot serialise {type(value).__name__}")

