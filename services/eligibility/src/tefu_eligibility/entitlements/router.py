"""``POST /v1/entitlements``: every (person, benefit, month) due in a region, streamed as NDJSON."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from tefu_common.openapi import problems
from tefu_eligibility.access import Evaluator
from tefu_eligibility.overlays.current import CurrentCatalogue
from tefu_eligibility.entitlements.schemas import LINE_EXAMPLE, EntitlementsRequest
from tefu_eligibility.entitlements.service import region_entitlements
from tefu_eligibility.registry import Registry

router = APIRouter(prefix="/v1", tags=["entitlements"])


@router.post(
    "/entitlements",
    summary="某地区某月应发的全部待遇（NDJSON 流）",
    description="""Clerks, approvers, auditors, admins and services (scope `eligibility:evaluate`) of the region.
Reads the registry's facts stream for the region as of the month's last day (with the caller's
token) and streams one line per cash benefit due for the month: `family_id`, `member_id` (for a
household benefit, the payee: the mother while she lives), `role`, `benefit`, `benefit_name`,
`month`, `period` (the month for monthly benefits, the year for yearly ones, null for once-only
ones), `due_on` (once-only), `amount` (a decimal string; null where the amount is unknown),
`amount_status` (`local`: a local standard; `national_minimum`: only the national floor is known and
`amount` is that floor; `unknown`: no amount, nothing to pay until a value is configured), `rule_id`
and `catalogue_version` (the content hash of the rule files and overlays it was computed under: with
both an auditor can recompute the line years later), `citation`, `reason`.

A yearly amount marked `yearly_share: by_month` in its rule is shared by the months of the year
the recipient holds it. An optional measure ("有条件的地区可发放") appears only where the region set
an amount. A "当年" once-only benefit (`arises: same_year`) for an event earlier in the year than
the rule's first day appears in the month of that first day.

A monthly benefit appears in every month with at least one eligible day; a yearly one in the
month holding the year's first eligible day; a once-only one in the month of its trigger. With
`from_month`, every month of the range is computed from one pass over the facts (how the payments
service finds arrears: months owed but never paid). Benefits paid per hospital day are claims,
not bulk lines. Neither the facts nor the lines are held in memory: both sides stream.

Errors (all before the first line): 422 naming each bad field (`region-code-format`,
`region-code-unknown`, `month-format`, `month-before-1950`, `month-range`, `benefit-unknown`);
403 `region-outside-scope`; 503 `upstream-unavailable` with Retry-After when the registry cannot
be reached, 502 `upstream-refused` when it refuses the read. If the registry's stream breaks
half-way the answer ends early and the connection is closed: a client counts the lines only of a
response that ended cleanly.""",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/x-ndjson": {"example": LINE_EXAMPLE}},
              "description": "One line per (person, benefit, month) due."},
        **problems(502, **{"403": "地区不在你的辖区，或角色不允许（region-outside-scope / forbidden）"}),
    },
)
async def entitlements(body: EntitlementsRequest, caller: Evaluator, registry: Registry,
                       catalogue: CurrentCatalogue) -> StreamingResponse:
    return StreamingResponse(await region_entitlements(catalogue, registry, body, caller),
                             media_type="application/x-ndjson")
