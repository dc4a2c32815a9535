"""``/v1/regions/{region}/parameters``: dated local values of the rule files' parameters, set by a
region's admins at run time (one proposes, another approves), with their history."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from tefu_common.calendar import today
from tefu_common.openapi import problems
from tefu_common.paging import Page, PageParams
from tefu_common.ids import RowId
from tefu_eligibility.overlays.current import CataloguesInForce, CurrentCatalogue
from tefu_eligibility.overlays import service
from tefu_eligibility.overlays.repository import OverlayAdmins, OverlayReaders
from tefu_eligibility.overlays.schemas import (OVERLAY_EXAMPLE, ApprovalOut, DecisionIn, OverlayOut, ProposalIn,
                                               RegionParametersOut)

router = APIRouter(prefix="/v1/regions/{region}/parameters", tags=["parameter overlays"])

Region = Annotated[str, Path(description="GB/T 2260 code of any level (000000: the whole country).",
                             examples=["430100"])]
ParameterName = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_.]{1,79}$", description="A parameter as named in the "
                                    "rule files (`GET /v1/policies/{region_code}` shows them).",
                                    examples=["hunan.one_time_condolence"])]

_DECIDED = {"409": "提议不是待审核状态（The proposal is not waiting for a decision: `proposal-not-pending`）"}
_MAKER_CHECKER = {"403": "提议人本人不能审核，或无权操作（The proposer: `maker-checker`; or the token's role or scopes "
                         "do not allow this）"}
_APPROVAL_EXAMPLE = {"overlay": OVERLAY_EXAMPLE, "closed": [], "superseded": []}


@router.get(
    "",
    response_model=RegionParametersOut,
    summary="某地区某日生效的本地参数值（及待审核的提议）",
    description=(
        "Any caller with `rules:read` whose region covers `region` (another region is 422 `region-outside-scope`). "
        "`in_force`: the approved overlays in force on `on` (default today, Asia/Shanghai) for the region and every "
        "region above it, the deepest region first; a family's amounts use the deepest one, over the rule files. "
        "`pending`: the region's own proposals waiting for another admin (not in force). `parameters`: every "
        "parameter of the region's rule files as it resolves that day. 422 `region-code-format` / "
        "`region-code-unknown` on `path.region`, `date-before-1950` on `query.on`."),
    responses=problems(422),
)
async def region_parameters(
    region: Region, overlays: OverlayReaders, catalogue: CurrentCatalogue,
    on: date | None = Query(None, description="The day (default today, Asia/Shanghai).", examples=["2024-06-01"]),
) -> RegionParametersOut:
    return await service.region_parameters(overlays, catalogue, region, on or today())


@router.put(
    "/{parameter}",
    response_model=OverlayOut,
    status_code=201,
    summary="提议本地区某参数的数值（须另一位管理员审核后生效）",
    description=(
        "An admin (`rules:write`) whose region covers `region` proposes a dated value for a parameter defined in the "
        "rule files of the region's chain, citing the document that sets it. 201 with the proposal (status "
        "`proposed`) and `Location`; it is **not in force** until another admin approves it "
        "(`POST …/approve`). A proposal of the same region and parameter still waiting is superseded by this one.\n\n"
        "The value is an amount in yuan, greater than 0, at most two decimal places, sent as a string. 422: "
        "`parameter-unknown` on `path.parameter` (no rule file of the region's chain defines it), "
        "`parameter-unit-unsupported` on `path.parameter` (a percentage or an hourly wage: these stay in the rule "
        "files), `region-outside-scope` / `region-code-unknown` on `path.region`, "
        "`value-not-positive` / `money-decimal-places` / `money-not-a-string` on `body.value`, "
        "`date-before-1950` on `body.valid_from`, `valid-to-before-valid-from` on `body.valid_to`, "
        "`document-required` on `body.document`. 409 `proposal-in-progress` when another proposal of the same "
        "parameter was made at the same moment."),
    responses={201: {"headers": {"Location": {"description": "The proposal: `…/parameters/{parameter}/history/{id}`.",
                                              "schema": {"type": "string"}}}},
               **problems(409, 422)},
)
async def propose(region: Region, parameter: ParameterName, body: ProposalIn, response: Response,
                  overlays: OverlayAdmins, catalogue: CurrentCatalogue) -> OverlayOut:
    row = await service.propose(overlays, catalogue, region, parameter, body)
    response.headers["Location"] = f"/v1/regions/{row.region_code}/parameters/{row.parameter}/history/{row.id}"
    return service.overlay_out(catalogue, row)


@router.post(
    "/{parameter}/approve",
    response_model=ApprovalOut,
    summary="审核通过一项提议：立即生效（提议人本人不能审核）",
    description=(
        "Another admin (`rules:write`) whose region covers `region` approves a waiting proposal (`proposal_id`); "
        "the proposer never can (403 `maker-checker`, checked here and by a database constraint). The value is in "
        "force at once, for every family within the region, over its period. Approved values of the same region "
        "and parameter that overlap it are **closed** (those that started earlier now end the day before its "
        "`valid_from`) or **superseded** (those starting on or after its `valid_from`); the answer lists both. "
        "404 `proposal-not-found` when the id is not a row of this region and parameter; 409 "
        "`proposal-not-pending` when it was already decided, withdrawn or superseded."),
    responses={200: {"content": {"application/json": {"example": _APPROVAL_EXAMPLE}}},
               **problems(404, **_DECIDED, **_MAKER_CHECKER)},
)
async def approve(region: Region, parameter: ParameterName, body: DecisionIn, overlays: OverlayAdmins,
                  catalogue: CurrentCatalogue, catalogues: CataloguesInForce) -> ApprovalOut:
    approved = await service.approve(overlays, catalogue, region, parameter, body)
    catalogues.changed()  # the next request of this process sees it (others within a second)
    return service.approval_out(catalogue, approved)


@router.post(
    "/{parameter}/reject",
    response_model=OverlayOut,
    summary="驳回一项提议（须说明理由；提议人本人不能驳回）",
    description=(
        "Another admin (`rules:write`) whose region covers `region` rejects a waiting proposal, saying why (`note`, "
        "else 422 `note-required`); the proposer never can (403 `maker-checker`: withdraw instead). 404 "
        "`proposal-not-found`, 409 `proposal-not-pending` as for approval."),
    responses=problems(404, **_DECIDED, **_MAKER_CHECKER),
)
async def reject(region: Region, parameter: ParameterName, body: DecisionIn, overlays: OverlayAdmins,
                 catalogue: CurrentCatalogue) -> OverlayOut:
    return service.overlay_out(catalogue, await service.reject(overlays, catalogue, region, parameter, body))


@router.post(
    "/{parameter}/withdraw",
    response_model=OverlayOut,
    summary="撤回自己的提议",
    description=(
        "The admin who proposed it withdraws a proposal still waiting (anyone else: 403 `not-proposer`). 404 "
        "`proposal-not-found`, 409 `proposal-not-pending` as for approval."),
    responses=problems(404, **_DECIDED, **{"403": "不是本人的提议，或无权操作（Not your proposal: `not-proposer`; or "
                                                  "the token's role or scopes do not allow this）"}),
)
async def withdraw(region: Region, parameter: ParameterName, body: DecisionIn, overlays: OverlayAdmins,
                   catalogue: CurrentCatalogue) -> OverlayOut:
    return service.overlay_out(catalogue, await service.withdraw(overlays, catalogue, region, parameter, body))


@router.get(
    "/{parameter}/history",
    response_model=Page[OverlayOut],
    summary="某地区某参数的全部记录：提议、审核、撤回、被取代，从新到旧",
    description=(
        "Any caller with `rules:read` whose region covers `region`: every row of the region's parameter, newest "
        "first, whatever became of it (rows are never deleted), in the suite's pages (`cursor`/`limit`)."),
    responses=problems(422),
)
async def parameter_history(region: Region, parameter: ParameterName, overlays: OverlayReaders,
                            catalogue: CurrentCatalogue, page: PageParams) -> Page[OverlayOut]:
    items, next_cursor = await service.history(overlays, catalogue, region, parameter, page)
    return Page[OverlayOut](items=items, next_cursor=next_cursor)


@router.get(
    "/{parameter}/history/{overlay_id}",
    response_model=OverlayOut,
    summary="某地区某参数的一条记录",
    description="Any caller with `rules:read` whose region covers `region`; 404 `proposal-not-found` otherwise.",
    responses=problems(404),
)
async def parameter_history_row(region: Region, parameter: ParameterName, overlay_id: RowId, overlays: OverlayReaders,
                                catalogue: CurrentCatalogue) -> OverlayOut:
    return await service.one(overlays, catalogue, region, parameter, overlay_id)
