"""``GET /v1/policies`` and ``GET /v1/policies/{region_code}``."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Path, Query

from tefu_common.calendar import today
from tefu_common.openapi import problems
from tefu_common.paging import Page, PageParams
from tefu_eligibility.access import RulesReader
from tefu_eligibility.overlays.current import CurrentCatalogue
from tefu_eligibility.policies.health import catalogue_health
from tefu_eligibility.policies.schemas import DOCUMENT_EXAMPLE, DocumentOut, HealthOut
from tefu_eligibility.policies.service import check_region_request, documents_page, rule_set_view

router = APIRouter(prefix="/v1/policies", tags=["policies"])

_CITATION = {"document": "周政发〔2018〕85号", "title": "周村区人民政府关于进一步做好计划生育特殊家庭扶助关怀工作的实施意见",
             "issuer": "周村区人民政府", "clause": "二（四）", "region_code": "370306"}
RULE_SET_EXAMPLE = {
    "region_code": "370306", "region_name": "山东省淄博市周村区", "as_of": "2020-06-15",
    "layers": [DOCUMENT_EXAMPLE | {"in_force": True}],
    "special_family": {"all": [{"any": [{"child_deceased": True}, {"child_disabled_at_level": 3}]},
                               {"no_later_child": True}]},
    "rules": [{
        "code": "one_time_condolence", "name": "失独家庭一次性扶助金", "names_by_hukou": None, "kind": "cash",
        "basis": "household", "frequency": "once_per_household", "recipients": "household", "trigger": "child_death",
        "conditions": {"ref": "lost_only_child"},
        "amount": [{"when": None, "formula": {"parameter": "zhoucun.one_time_condolence"}, "value_on_date": "2000.00",
                    "value_from": _CITATION}],
        "effective_from": "2019-02-01", "effective_to": "2022-01-31", "citation": _CITATION,
        "rule_id": "370306/370306-zhoucun/one_time_condolence",
        "note": "当年失独家庭: arises on the day the child died, if the document is in force that day."}],
    "overridden": [],
}


@router.get(
    "",
    response_model=Page[DocumentOut],
    summary="政策目录：每份文件的地区、日期、待遇和参数",
    description=(
        "Any caller with `rules:read`: rules are public policy, so the whole catalogue is shown whatever the "
        "caller's region. One item per rule file (one policy document of one region) as loaded and validated "
        "at start-up, the nation first, then province, city and county; paged with `cursor`/`limit` like "
        "every list of the suite (the catalogue is small: one page of the default size holds it)."),
)
async def list_policies(caller: RulesReader, catalogue: CurrentCatalogue, page: PageParams) -> dict[str, Any]:
    return documents_page(catalogue, page)


@router.get(
    "/{region_code}",
    summary="某地区在某日适用的规则（逐级叠加，附出处）",
    description=(
        "Any caller with `rules:read`. `layers` runs from the nation down to the region; `rules` holds, per "
        "benefit code, the rule that applies on `as_of` (the deepest level in force) with its conditions, "
        "amount formula, the value of each parameter on that day and where it comes from; `overridden` lists "
        "the rules of upper levels replaced by a lower one that day. 422 names each bad input: "
        "`region-code-format` / `region-code-unknown` / `region-code-county` on `path.region_code`, "
        "`date-before-1950` on `query.as_of`."),
    responses={200: {"content": {"application/json": {"example": RULE_SET_EXAMPLE}}}, **problems(422)},
)
async def region_policies(
    caller: RulesReader,
    catalogue: CurrentCatalogue,
    region_code: str = Path(description="GB/T 2260 code, 6 digits (000000: the national rules alone).",
                            examples=["310114"]),
    as_of: date | None = Query(None, description="Defaults to today (Asia/Shanghai).", examples=["2023-09-01"]),
) -> dict[str, Any]:
    return rule_set_view(catalogue, region_code, as_of or today())


catalogue_router = APIRouter(prefix="/v1/catalogue", tags=["policies"])


@catalogue_router.get(
    "/health",
    response_model=HealthOut,
    summary="目录健康检查：已失效未接续的文件、未知或只有全国最低标准的金额、征求意见稿、无出处的取值",
    description=(
        "Any caller with `rules:read`. For the region asked about, every catalogue region at, above or below it "
        "(its own files and the overlays approved for it), on `on` (default today): `lapsed_document` (a local "
        "document that has lapsed while nothing configured replaces what it set), `amount_unknown` (an amount "
        "that is not known that day: evaluations show `amount_status: unknown`), `national_minimum` (only the "
        "national floor is known: the local standard is missing), `optional_not_set` (an optional measure with "
        "no local amount, so not granted), `draft_in_use` (a 征求意见稿 applied), `no_amount` (a cash benefit "
        "whose amount depends on figures outside the register), `value_without_source` (a value that cites no "
        "clause or document). Each item names the parameter to set as an overlay "
        "(`PUT /v1/regions/{region}/parameters/{parameter}`). 422 `region-code-*` on `query.region`, "
        "`date-before-1950` on `query.on`."),
    responses=problems(422),
)
async def health(
    caller: RulesReader,
    catalogue: CurrentCatalogue,
    region: str = Query(description="GB/T 2260 code, 6 digits.", examples=["370306"]),
    on: date | None = Query(None, description="Defaults to today (Asia/Shanghai).", examples=["2023-01-01"]),
) -> dict[str, Any]:
    day = on or today()
    check_region_request(region, day, field="region", location="query", date_field="on")
    return catalogue_health(catalogue, region, day)
