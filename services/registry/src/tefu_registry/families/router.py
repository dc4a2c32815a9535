"""HTTP endpoints of the family register (thin: the rules live in the service modules)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import StreamingResponse

from tefu_common import calendar
from tefu_common.openapi import problems
from tefu_common.paging import CountedPage, Page, PageParams
from tefu_common.regions import RegionCodeStr
from tefu_common.ids import RowId
from tefu_registry.changes.schemas import HistoryEntry
from tefu_registry.events.schemas import EVENT_EXAMPLES, EventIn, EventKind, EventOut, SpecialFamilyStatus
from tefu_registry.families import service
from tefu_registry.families.dependencies import Families, FactsReader, FamilyWriter
from tefu_registry.families.facts import FamilyFacts
from tefu_registry.families.schemas import FamilyCreate, FamilyOut, FamilyPatch, FamilySummary

router = APIRouter(prefix="/v1", tags=["families"])
NOT_FOUND = problems(**{"404": "没有这户家庭，或不在你的辖区（No such family, or not in your region）"})
AsOf = Annotated[date | None, Query(description="The day to answer for (YYYY-MM-DD, 1950 or later); today if omitted.")]


@router.post(
    "/families",
    response_model=FamilyOut,
    status_code=201,
    summary="登记一户家庭",
    description=(
        "登记一户计划生育特殊家庭：父母、独生子女、证书，以及已知的事件（子女死亡、残疾、父母去世）。\n\n"
        "Clerks and admins (`families:write`) of the family's region. Every ID number is validated (check "
        "character, birth date, region; 15-digit numbers converted); a birth date or sex typed beside an ID "
        "number must agree with it; the region must be a current county-level code (or finer) within yours "
        "(422 `region-outside-scope` otherwise). A parent already registered is refused with 409 "
        "`parent-registered`, naming `existing_family_id` when that family is in your region "
        "(`parent-registered-elsewhere` otherwise); a second family with the same `external_ref` is 409 "
        "`external-ref-registered`. `events` are checked against the family as it builds up and recorded in "
        "the same transaction. The answer is the family as you may see it; the read is logged."
    ),
    responses=problems(**{"409": "这位父母已登记，或外部编号已使用（A parent or the external_ref is already registered）"}),
)
async def create_family(data: FamilyCreate, families: FamilyWriter) -> FamilyOut:
    return await service.create_family(families, data, today=calendar.today())


@router.get(
    "/families",
    response_model=CountedPage[FamilySummary],
    summary="查询本辖区的家庭",
    description=(
        "按姓名或身份证号（精确匹配）、姓名中的任意几个字、身份证号的后4位或后6位、区划、是否特殊家庭、事件类型查询本辖区的"
        "家庭，条件可以组合；列表中的姓名和身份证号一律打码。\n\nAny token with `families:read`; only families of your "
        "region are listed. `name` and `id_number` match exactly (they are encrypted; the search uses a keyed "
        "blind index); a malformed `id_number` is 422 with its `resident-id-…` code. `name_contains` finds "
        "families in which any member's name (a parent's, the child's) contains the text: a surname, a given "
        "name, any one or more characters (keyed blind indexes of each character and each pair of adjacent "
        "characters). `id_number_tail` is the last 4 or the last 6 characters of any member's ID number (the "
        "last may be X); any other value is 422 `id-number-tail-invalid`. Pages by `cursor`/`limit`, in family "
        "id order; `total` counts every match. With `name_contains`, a family whose names hold every pair of "
        "the text but not the text itself is left out of the page after the names are decrypted: in that "
        "rare case `total` counts it and a page may list fewer than `limit`. Each family listed is logged as "
        "a read."
    ),
)
async def search_families(
    families: Families,
    page: PageParams,
    name: str | None = Query(None, max_length=32, description="A member's full name, exactly."),
    id_number: str | None = Query(None, max_length=18, description="A member's ID number (18 or 15 characters)."),
    name_contains: str | None = Query(None, max_length=32, description=(
        "Part of any member's name: a surname (张), a given name (秀英), any one or more characters that "
        "stand together in it.")),
    id_number_tail: str | None = Query(None, description=(
        "The last 4 or the last 6 characters of any member's ID number (后四位/后六位; the last may be X).")),
    region: RegionCodeStr | None = Query(None, description="A GB/T 2260 code; families under it."),
    special_family: bool | None = Query(None, description="Special family as of today."),
    event_kind: EventKind | None = Query(None, description="Families with at least one event of this kind."),
) -> CountedPage[FamilySummary]:
    items, next_cursor, total = await service.search(
        families, name=name, id_number=id_number, region=region, special_family=special_family,
        event_kind=event_kind.value if event_kind else None, page=page, name_contains=name_contains,
        id_number_tail=id_number_tail,
    )
    return CountedPage[FamilySummary](items=items, next_cursor=next_cursor, total=total)


@router.get(
    "/families/{family_id}",
    response_model=FamilyOut,
    summary="一户家庭的详细信息及今天的状态",
    description=(
        "家庭、成员、证书及今天是否为特殊家庭。\n\nAny token with `families:read`. Clerks and admins see names, ID "
        "numbers, phones and the address in full; the payments service (role `service`) also sees bank account "
        "numbers; everyone else sees them masked. 404 `family-not-found` for a family that does not exist or "
        "lies outside your region (the same answer). The read is logged."
    ),
    responses=NOT_FOUND,
)
async def get_family(family_id: RowId, families: Families) -> FamilyOut:
    return await service.family_view(families, family_id, today=calendar.today())


@router.patch(
    "/families/{family_id}",
    response_model=FamilyOut,
    summary="修改家庭的一般信息",
    description=(
        "修改住址、户口性质、证书，以及父母的电话、银行账户和养老金。\n\nClerks and admins (`families:write`) of "
        "the family's region. Facts that decide eligibility (deaths, disability, later children, hukou moves) "
        "change only through events; sending them here is 422. Every change is kept in the history with "
        "personal data masked; 422 `member-not-in-family` for a parent the family does not have."
    ),
    responses=NOT_FOUND,
)
async def patch_family(family_id: RowId, patch: FamilyPatch, families: FamilyWriter) -> FamilyOut:
    return await service.update_family(families, family_id, patch, today=calendar.today())


@router.get(
    "/families/{family_id}/status",
    response_model=SpecialFamilyStatus,
    summary="某日是否为特殊家庭，以及原因",
    description=(
        "按国家规定判断这户家庭在 `as_of` 当天是否为计划生育特殊家庭，并列出起决定作用的事实。\n\nAny token with "
        "`families:read`. The national rule: the only child died, or holds a disability certificate of level 1–3 "
        "and has not recovered; no later child; at least one parent alive. 422 `date-before-1950` for an "
        "earlier `as_of`; 404 for a family outside your region. Shows no personal data."
    ),
    responses=NOT_FOUND,
)
async def family_status(family_id: RowId, families: Families, as_of: AsOf = None) -> SpecialFamilyStatus:
    return await service.family_status(families, family_id, as_of, today=calendar.today())


@router.get(
    "/families/{family_id}/facts",
    response_model=FamilyFacts,
    summary="家庭在某日的事实（资格评估服务使用）",
    description=(
        "家庭在 `as_of` 当天的事实，正是资格评估服务 `POST /v1/evaluate` 所接受的格式（`as_of` 与 `family`）。\n\n"
        "Any token with `families:read`. Facts carry no names, ID numbers, phones or accounts: dates, the "
        "child's fate, certificates, pension membership. 404 for a family outside your region; 422 "
        "`date-before-1950`. The read is logged."
    ),
    responses=NOT_FOUND,
)
async def family_facts(family_id: RowId, families: Families, as_of: AsOf = None) -> dict[str, Any]:
    return await service.family_facts(families, family_id, as_of, today=calendar.today())


@router.get(
    "/facts",
    summary="一个区划下所有家庭的事实（NDJSON 流）",
    description=(
        "逐行输出 `region` 下每户家庭的事实（每行一个 `FamilyFacts` JSON 文档，`application/x-ndjson`），按家庭编号排序。"
        "\n\nAny token with `families:read`; `region` must lie within yours (422 `region-outside-scope`). "
        "Streamed in constant memory, chunk by chunk: read it line by line. Every family streamed is logged as "
        "a read."
    ),
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {"example": (
        '{"family_id":17,"as_of":"2026-11-23","family":{"region_code":"370306","hukou_type":"rural",'
        '"honor_certificate":true,"assistance_certificate":false,"low_income":false,"extreme_poverty":false,'
        '"parents":[],"child":null,"later_children":[]}}\n')}}}},
)
async def region_facts(
    facts: FactsReader, region: RegionCodeStr = Query(..., description="A GB/T 2260 code within your region."),
    as_of: AsOf = None,
) -> StreamingResponse:
    stream = facts.stream(region, service.check_as_of(as_of, calendar.today()))
    return StreamingResponse(stream, media_type="application/x-ndjson")


@router.post(
    "/families/{family_id}/events",
    response_model=EventOut,
    status_code=201,
    summary="登记一件生活事件",
    description=(
        "事件只增不改：死亡、残疾评定、再生育或收养、离婚、户口迁移、低保和特困的起止。登记错了，用 `kind: correction` "
        "更正（给出 `replacement`）或作废（不给），原记录和更正都保留在历史中。\n\nClerks and admins "
        "(`families:write`) of the family's region. Each kind has its own fields (see the schema). An event that "
        "cannot be true of the family is 422 on the field at fault, with a code such as `date-in-future`, "
        "`before-child-joined`, `certificate-number-mismatch`, `death-already-recorded`, "
        "`event-already-voided`. 404 for a family outside your region."
    ),
    responses=NOT_FOUND,
)
async def add_event(
    family_id: RowId, families: FamilyWriter, event: Annotated[EventIn, Body(openapi_examples=EVENT_EXAMPLES)],
) -> EventOut:
    return await service.add_event(families, family_id, event, today=calendar.today())


@router.get(
    "/families/{family_id}/events",
    response_model=Page[EventOut],
    summary="家庭的全部事件（含更正）",
    description=(
        "按登记顺序列出每一件事件，包括更正记录；`in_effect` 表示它现在是否仍然有效。\n\nAny token with "
        "`families:read`. Certificate numbers are masked unless you are a clerk or admin. Pages by "
        "`cursor`/`limit`. 404 for a family outside your region. The read is logged."
    ),
    responses=NOT_FOUND,
)
async def list_events(family_id: RowId, families: Families, page: PageParams) -> Page[EventOut]:
    items, next_cursor = await service.list_events(families, family_id, page)
    return Page[EventOut](items=items, next_cursor=next_cursor)


@router.get(
    "/families/{family_id}/history",
    response_model=Page[HistoryEntry],
    summary="家庭的完整历史（一人一档），从早到晚",
    description=(
        "这户家庭的每一项变更：登记、修改、事件、联系人安排、走访，谁在何时做的；个人信息以打码形式出现。\n\nAny "
        "token with `families:read`. Oldest first, pages by `cursor`/`limit`. 404 for a family outside your "
        "region. The read is logged."
    ),
    responses=NOT_FOUND,
)
async def history(family_id: RowId, families: Families, page: PageParams) -> Page[HistoryEntry]:
    rows, next_cursor = await families.history(family_id, page)
    return Page[HistoryEntry](
        items=[HistoryEntry(id=c.id, kind=c.kind, occurred_at=c.occurred_at, actor=c.actor, changes=c.changes)
               for c in rows],
        next_cursor=next_cursor,
    )
