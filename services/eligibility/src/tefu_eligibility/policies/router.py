"""``GET /v1/policies`` and ``GET /v1/policies/{region_code}``."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Path, Query

from tefu_common.calendar import today
from tefu_common.openapi import problems
from tefu_common.paging import Page, PageParams
from tefu_eligibility.access import RulesReader
from tefu_eligibility.catalogue.dependency import CurrentCatalogue
from tefu_eligibility.policies.schemas import DOCUMENT_EXAMPLE, DocumentOut
from tefu_eligibility.policies.service import documents_page, rule_set_view

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
