"""Liaisons (双岗联系人) and the contact log of a family."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from tefu_common import calendar
from tefu_common.auth import Principal, Role, Scope, require
from tefu_common.masking import mask_name, mask_phone
from tefu_common.openapi import problems
from tefu_common.paging import Page, PageParams
from tefu_common.ids import RowId

from tefu_registry.families.disclosure import sees_identity
from tefu_registry.liaisons import service
from tefu_registry.liaisons.models import Liaison
from tefu_registry.liaisons.repository import LiaisonRepository
from tefu_registry.liaisons.schemas import ContactIn, ContactOut, LiaisonOut, LiaisonsAssign, LiaisonsAssigned
from tefu_registry.upstreams import Eligibility

Liaisons = Annotated[LiaisonRepository, LiaisonRepository.dependency(require(Scope.families_read))]
LiaisonWriter = Annotated[LiaisonRepository, LiaisonRepository.dependency(require(Scope.families_write))]
router = APIRouter(prefix="/v1/families/{family_id}", tags=["liaisons and contacts"])
NOT_FOUND = problems(**{"404": "没有这户家庭，或不在你的辖区（No such family, or not in your region）"})


def _liaison_out(liaison: Liaison, caller: Principal) -> LiaisonOut:
    # Liaisons are officials, but their phones are still personal data outside the region's clerks.
    # The medical-priority service (role service) reads them in full: a hospital desk must reach the
    # liaison who signs for a member with no guardian (湖南 12, 周村 二（五）5).
    full = sees_identity(caller) or caller.role is Role.service
    return LiaisonOut(
        id=liaison.id, post=liaison.post, name=liaison.name if full else mask_name(liaison.name),
        phone=liaison.phone if full else mask_phone(liaison.phone), unit=liaison.unit,
        assigned_on=liaison.assigned_on, ended_on=liaison.ended_on, assigned_by=liaison.assigned_by,
    )


@router.put(
    "/liaisons",
    response_model=LiaisonsAssigned,
    summary="安排或更换家庭的联系人",
    description=(
        "每户家庭有街镇和村（居）两位联系人（双岗联系人）。指定一个已有人担任的岗位即为交接：原联系人的任期在新任前一天结束，"
        "仍保留在列表中。\n\nClerks and admins (`families:write`) of the family's region. 422 `date-in-future` or "
        "`before-current-liaison` on `liaisons.N.assigned_on`; 422 `post-repeated` if a post is named twice. "
        "The answer lists every liaison of the family, current and past."
    ),
    responses=NOT_FOUND,
)
async def assign_liaisons(family_id: RowId, data: LiaisonsAssign, liaisons: LiaisonWriter) -> LiaisonsAssigned:
    rows = await service.assign(liaisons, family_id, data, today=calendar.today())
    return LiaisonsAssigned(liaisons=[_liaison_out(r, liaisons.caller) for r in rows])


@router.get(
    "/liaisons",
    response_model=Page[LiaisonOut],
    summary="家庭的联系人（现任和历任）",
    description=(
        "按任职日期列出这户家庭的每一位联系人。\n\nAny token with `families:read`; names and phones are masked unless "
        "you are a clerk or admin, or a service (the medical-priority desk reaches the liaison). Pages by `cursor`/`limit`. 404 for a family outside your region. The read is "
        "logged."
    ),
    responses=NOT_FOUND,
)
async def list_liaisons(family_id: RowId, liaisons: Liaisons, page: PageParams) -> Page[LiaisonOut]:
    rows, next_cursor = await liaisons.liaisons_page(family_id, page)
    return Page[LiaisonOut](items=[_liaison_out(r, liaisons.caller) for r in rows], next_cursor=next_cursor)


@router.post(
    "/contacts",
    response_model=ContactOut,
    status_code=201,
    summary="记录一次与家庭的联系",
    description=(
        "记录上门走访、电话、线上联系、节日慰问或家庭医生随访，以及发现的情况和给予的帮助。\n\nClerks and admins "
        "(`families:write`) of the family's region. A festival visit names its festival (422 `festival-mismatch`) "
        "and must fall in the region's window around it, from the eligibility service's duties and the lunar "
        "calendar (422 `festival-outside-window` on `contacted_on`, the reason naming the festival's real date "
        "and the window; 503 `upstream-unavailable` while eligibility cannot be reached). 422 `date-in-future`; "
        "422 `liaison-not-of-family` / `liaison-not-serving` on `liaison_id`. Without `liaison_id`, the contact "
        "is linked to the family's liaison that `contacted_by` names, if one serves that day."
    ),
    responses={**NOT_FOUND, **problems(503)},
)
async def add_contact(family_id: RowId, data: ContactIn, liaisons: LiaisonWriter, eligibility: Eligibility) -> ContactOut:
    contact = await service.record_contact(liaisons, eligibility, family_id, data, today=calendar.today())
    return ContactOut.model_validate(contact, from_attributes=True)


@router.get(
    "/contacts",
    response_model=Page[ContactOut],
    summary="家庭的联系记录，从早到晚",
    description=(
        "按联系日期列出与这户家庭的每一次联系。\n\nAny token with `families:read`. Pages by `cursor`/`limit`. 404 for "
        "a family outside your region. The read is logged (findings are personal data)."
    ),
    responses=NOT_FOUND,
)
async def list_contacts(family_id: RowId, liaisons: Liaisons, page: PageParams) -> Page[ContactOut]:
    rows, next_cursor = await liaisons.contacts_page(family_id, page)
    return Page[ContactOut](items=[ContactOut.model_validate(c, from_attributes=True) for c in rows],
                            next_cursor=next_cursor)
