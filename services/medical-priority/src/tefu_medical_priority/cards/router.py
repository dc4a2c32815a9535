"""``/v1/cards`` for clerks: list, read, issue by hand, suspend, reinstate, revoke, reissue, e-card."""

from __future__ import annotations

import io
from typing import Annotated, Literal

import segno
from fastapi import APIRouter, Body, Depends, Path, Query, Response

from tefu_common.calendar import today
from tefu_common.openapi import problems
from tefu_common.paging import Page, PageParams
from tefu_common.ids import MAX_ROW_ID
from tefu_common.upstream import service_upstream
from tefu_medical_priority.cards import clerks
from tefu_medical_priority.cards.repository import Cards, ManagedCards
from tefu_medical_priority.cards.schemas import (
    CardEventOut,
    CardRecord,
    ECardOut,
    IssueIn,
    NoteIn,
    OptionalNoteIn,
    ReissueIn,
    RevokeIn,
)
from tefu_medical_priority.ecards.service import ECardSigner
from tefu_medical_priority.settings import AppSettings
from tefu_medical_priority.upstreams import REGISTRY, ClerksEligibility, RegistryClient

router = APIRouter(prefix="/v1/cards", tags=["cards"])
STATUS = Literal["active", "suspended", "revoked", "expired"]
CardNo = Annotated[str, Path(description="The card number (17 characters; spaces and dashes are ignored).",
                             examples=["42010248219305716"])]
ServiceRegistry = Annotated[RegistryClient, Depends(service_upstream(REGISTRY, RegistryClient))]
NOT_LIVE = "卡的状态不允许这样操作：problem 的 code 为 card-<当前状态>（The card's status does not allow this; " \
           "`code` is card-<status>）"


@router.get("", response_model=Page[CardRecord], summary="本辖区的卡（姓名打码）", description=(
    "Clerks, inspectors and services (scope `cards:read`): the cards of the caller's region, oldest first, in "
    "pages (`cursor`, `limit`). Holders' names are masked in lists; filter by `status`, `family_id`, "
    "`member_id`. Every card shown is recorded in the access log."))
async def list_cards(cards: Cards, page: PageParams, status: STATUS | None = Query(None),
                     family_id: int | None = Query(None, ge=1, le=MAX_ROW_ID),
                     member_id: int | None = Query(None, ge=1, le=MAX_ROW_ID)) -> Page[CardRecord]:
    views, next_cursor = await cards.page(page, status=status, family_id=family_id, member_id=member_id)
    return Page[CardRecord](items=[CardRecord.of(view, cards.caller, masked=True) for view in views],
                            next_cursor=next_cursor)


@router.post("", response_model=CardRecord, status_code=201, summary="手工发卡", description=(
    "Clerks and admins. The member must qualify for the green channel today under the family's rules (asked of "
    "the eligibility service with your own token, so only families of your region can be named: others are 404 "
    "`family-not-found`); a member who does not qualify is 422 `member-not-qualified` with the conditions that "
    "failed, one who already holds a live card 409 `card-already-held` (reissue that one instead). Cards are "
    "normally issued by the service itself within a minute of a change in the register; this is for the cases a "
    "clerk decides, such as a card revoked by hand that is to be given back. 502/503 when the eligibility "
    "service or the registry refuses or cannot be reached."),
    responses=problems(404, 502, **{"409": "该成员已持有有效卡（code card-already-held）（The member already holds a live card）"}))
async def issue_card(body: IssueIn, cards: ManagedCards, eligibility: ClerksEligibility, registry: ServiceRegistry,
                     settings: AppSettings) -> CardRecord:
    view = await clerks.issue_by_hand(cards, eligibility, registry, family_id=body.family_id, member_id=body.member_id,
                                      note=body.note, today=today(), validity_years=settings.card_validity_years)
    return CardRecord.of(view, cards.caller)


@router.get("/{card_no}/record", response_model=CardRecord, summary="卡的完整信息与持卡人（办事员）", description=(
    "Anyone who may read cards, for a card of their region (others are 404 `card-not-found`, as if it did not "
    "exist). The holder's name is in full for clerks and admins, masked for inspectors and services; every read "
    "is in the access log. A mistyped number is 422 (`card-number-format`, `card-number-check-character`)."),
    responses=problems(404))
async def card_record(card_no: CardNo, cards: Cards) -> CardRecord:
    return CardRecord.of(await cards.record(card_no), cards.caller)


@router.get("/{card_no}/history", response_model=Page[CardEventOut], summary="卡的每一次状态变更", description=(
    "Every change of the card's status (issued, suspended, reinstated, revoked, expired) with its reason, note, "
    "actor and time, oldest first, in pages. For anyone who may read cards, cards of their region only (404 "
    "otherwise); the read is in the access log."),
    responses=problems(404))
async def card_history(card_no: CardNo, cards: Cards, page: PageParams) -> Page[CardEventOut]:
    events, next_cursor = await cards.history(card_no, page)
    return Page[CardEventOut](items=[CardEventOut.model_validate(e) for e in events], next_cursor=next_cursor)


@router.post("/{card_no}/suspend", response_model=CardRecord, summary="暂停一张有效卡", description=(
    "Clerks and admins of the card's region. Only an active card can be suspended (409 `card-<status>` "
    "otherwise); the note is kept in the card's history. A suspended card answers `valid: false` at the desk."),
    responses=problems(404, **{"409": NOT_LIVE}))
async def suspend(card_no: CardNo, body: NoteIn, cards: ManagedCards) -> CardRecord:
    return CardRecord.of(await clerks.suspend(cards, card_no, note=body.note), cards.caller)


@router.post("/{card_no}/reinstate", response_model=CardRecord, summary="恢复一张暂停的卡", description=(
    "Clerks and admins of the card's region. Only a suspended card can be reinstated (409 `card-<status>` "
    "otherwise), and not past its last valid day (409 `card-expired`: issue a new one)."),
    responses=problems(404, **{"409": NOT_LIVE}))
async def reinstate(card_no: CardNo, cards: ManagedCards,
                    body: Annotated[OptionalNoteIn | None, Body(examples=[{"note": "核实无误，恢复使用"}])] = None
                    ) -> CardRecord:
    view = await clerks.reinstate(cards, card_no, note=body.note if body else None, today=today())
    return CardRecord.of(view, cards.caller)


@router.post("/{card_no}/revoke", response_model=CardRecord, summary="注销一张卡（不可恢复）", description=(
    "Clerks and admins of the card's region; a reason and a note are required. A card revoked by hand "
    "(`clerk_decision`, `lost`) is not re-issued automatically: a clerk issues again with `POST /v1/cards` when "
    "the holder is to have one. A card no longer live is 409."),
    responses=problems(404, **{"409": NOT_LIVE}))
async def revoke(card_no: CardNo, body: RevokeIn, cards: ManagedCards) -> CardRecord:
    return CardRecord.of(await clerks.revoke(cards, card_no, reason=body.reason, note=body.note), cards.caller)


@router.post("/{card_no}/reissue", response_model=CardRecord, status_code=201, summary="补换卡：新卡号，旧卡注销",
             description=(
    "Clerks and admins of the card's region, for a lost or damaged card or changed details: the holder gets a "
    "new number (the answer, with `replaces` naming the old one) and the old number is revoked (`replaced`). A "
    "revoked or expired card is not reissued (409): issue a new one."),
    responses=problems(404, **{"409": NOT_LIVE}))
async def reissue(card_no: CardNo, body: ReissueIn, cards: ManagedCards, settings: AppSettings) -> CardRecord:
    view = await clerks.reissue(cards, card_no, reason=body.reason, note=body.note, today=today(),
                                validity_years=settings.card_validity_years)
    return CardRecord.of(view, cards.caller)


@router.get("/{card_no}/ecard", response_model=ECardOut, summary="电子卡：签名的二维码内容，或 SVG/PNG 二维码图片",
            description=(
    "Clerks and admins of the card's region, for the holder's phone or a printed card. The payload holds the "
    "card number, the masked name, the region and the card's dates, signed with this service's key "
    "(`/.well-known/jwks.json`). `format=svg` or `png` gives the QR code as an image. A card that is not valid "
    "now is 409 (`card-<status>`): no e-card is made for it."),
    responses={200: {"content": {"application/json": {"example": ECardOut.model_config["json_schema_extra"]["examples"][0]},  # type: ignore[index]
                                 "image/svg+xml": {}, "image/png": {}}},
               **problems(404, **{"409": NOT_LIVE})})
async def ecard(card_no: CardNo, cards: ManagedCards, signer: ECardSigner,
                format: Literal["json", "svg", "png"] = Query("json")) -> Response:
    view, payload = await clerks.ecard(cards, signer, card_no, today=today())
    card = view.card
    if format == "json":
        return Response(ECardOut(card_no=card.card_no, qr=payload, kid=signer.kid, valid_until=card.valid_until)
                        .model_dump_json(), media_type="application/json")
    qr = segno.make(payload, error="m")
    if format == "svg":
        return Response(qr.svg_inline(scale=4), media_type="image/svg+xml")
    out = io.BytesIO()
    qr.save(out, kind="png", scale=6)
    return Response(out.getvalue(), media_type="image/png")

