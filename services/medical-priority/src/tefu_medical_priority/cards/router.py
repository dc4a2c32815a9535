"""``/v1/cards`` for clerks: list, read, issue by hand, suspend, reinstate, revoke, reissue, e-card."""

from __future__ import annotations

import io
from typing import Annotated, Literal

import segno
from fastapi import APIRouter, Depends, Query, Request, Response

from tefu_common.auth import Principal, Role, Scope, require
from tefu_common.calendar import today
from tefu_common.db import DbSession
from tefu_common.errors import PROBLEM_JSON, Conflict
from tefu_common.http_client import StaticTokenAuth
from tefu_common.masking import mask_name
from tefu_medical_priority.access_log.service import log_in_transaction
from tefu_medical_priority.cards import service
from tefu_medical_priority.cards.models import Card
from tefu_medical_priority.cards.schemas import (
    CardEventOut,
    CardRecord,
    ECardOut,
    HolderOut,
    IssueIn,
    NoteIn,
    OptionalNoteIn,
    ReissueIn,
    RevokeIn,
)
from tefu_medical_priority.ecards.service import sign_ecard
from tefu_medical_priority.sync.reconcile import issue_by_hand

Manager = Annotated[Principal, Depends(require(Scope.cards_manage, roles=[Role.clerk, Role.admin]))]
Reader = Annotated[Principal, Depends(require(Scope.cards_read))]
PROBLEM = {"content": {PROBLEM_JSON: {}}}
router = APIRouter(prefix="/v1/cards", tags=["cards"], responses={401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 422: PROBLEM})
STATUS = Literal["active", "suspended", "revoked", "expired"]


def card_record(card: Card, caller: Principal, replaces: str | None = None, *, masked: bool = False) -> CardRecord:
    full = not masked and caller.role in (Role.clerk, Role.admin)
    return CardRecord(
        card_no=card.card_no, status=service.effective_status(card, today()), status_reason=card.status_reason,
        status_note=card.status_note,
        holder=HolderOut(member_id=card.member_id, family_id=card.family_id, role=card.holder_role,
                         name=card.holder_name if full else mask_name(card.holder_name), sex=card.sex,
                         birth_year=card.birth_year, id_last4=card.id_last4),
        region_code=card.region_code, issued_on=card.issued_on, valid_until=card.valid_until, services=card.services,
        privileges=card.privileges, rule_citation=card.rule_citation, replaces=replaces, issued_by=card.issued_by,
        created_at=card.created_at, updated_at=card.updated_at)


async def _record(request: Request, session, card: Card, caller: Principal, *, masked: bool = False) -> CardRecord:  # type: ignore[no-untyped-def]
    replaces = (await service.card_numbers(session, {card.replaces_card_id})).get(card.replaces_card_id) \
        if card.replaces_card_id else None
    await log_in_transaction(session, subject=caller.subject, role=caller.role.value, institution=None,
                             endpoint=f"{request.method} {request.scope['route'].path}", how="record", card_id=card.id,
                             region_code=card.region_code, outcome="valid" if card.status == "active" else "invalid")
    return card_record(card, caller, replaces, masked=masked)


@router.get("", response_model=list[CardRecord], summary="Cards of the caller's region (names masked)")
async def list_cards(session: DbSession, caller: Reader, status: STATUS | None = Query(None),
                     family_id: int | None = Query(None), member_id: int | None = Query(None),
                     after: int = Query(0, ge=0, description="Page after this position (the previous page's `next`)."),
                     limit: int = Query(200, ge=1, le=1000)) -> list[CardRecord]:
    found = await service.list_cards(session, caller, status=status, family_id=family_id, member_id=member_id,
                                     after=after, limit=limit)
    numbers = await service.card_numbers(session, {c.replaces_card_id for c in found if c.replaces_card_id})
    return [card_record(c, caller, numbers.get(c.replaces_card_id or 0), masked=True) for c in found]


@router.post("", response_model=CardRecord, status_code=201, summary="Issue a card by hand",
             responses={409: PROBLEM, 503: PROBLEM})
async def issue_card(body: IssueIn, request: Request, session: DbSession, caller: Manager) -> CardRecord:
    """The member must qualify for the green channel today under the family's rules (asked of the
    eligibility service with your own token, so only families of your region can be named); a
    member who already holds a live card is 409 (reissue that one instead). Cards are normally
    issued by the service itself within a minute of a change in the register; this is for the
    cases a clerk decides, such as a card revoked by hand that is to be given back."""
    card = await issue_by_hand(session, request.app.state.upstream, family_id=body.family_id, member_id=body.member_id,
                               clerk=caller.subject, clerk_auth=StaticTokenAuth.forwarded(request.headers),
                               note=body.note, today=today(), validity_years=request.app.state.settings.card_validity_years)
    return await _record(request, session, card, caller)


@router.get("/{card_no}/record", response_model=CardRecord, summary="A card in full, with its holder (clerks)")
async def card_detail(card_no: str, request: Request, session: DbSession, caller: Reader) -> CardRecord:
    """The holder's name in full for clerks and admins of the region; every read is in the access log."""
    return await _record(request, session, await service.scoped_card(session, card_no, caller), caller)


@router.get("/{card_no}/history", response_model=list[CardEventOut], summary="Every change of the card's status")
async def card_history(card_no: str, session: DbSession, caller: Reader) -> list[CardEventOut]:
    card = await service.scoped_card(session, card_no, caller)
    return [CardEventOut.model_validate(e, from_attributes=True) for e in await service.history(session, card)]


@router.post("/{card_no}/suspend", response_model=CardRecord, summary="Suspend an active card", responses={409: PROBLEM})
async def suspend(card_no: str, body: NoteIn, request: Request, session: DbSession, caller: Manager) -> CardRecord:
    card = await service.scoped_card(session, card_no, caller, lock=True)
    return await _record(request, session, await service.suspend(session, card, actor=caller.subject, note=body.note), caller)


@router.post("/{card_no}/reinstate", response_model=CardRecord, summary="Reinstate a suspended card",
             responses={409: PROBLEM})
async def reinstate(card_no: str, request: Request, session: DbSession, caller: Manager,
                    body: OptionalNoteIn | None = None) -> CardRecord:
    card = await service.scoped_card(session, card_no, caller, lock=True)
    card = await service.reinstate(session, card, actor=caller.subject, note=body.note if body else None, today=today())
    return await _record(request, session, card, caller)


@router.post("/{card_no}/revoke", response_model=CardRecord, summary="Revoke a card for good", responses={409: PROBLEM})
async def revoke(card_no: str, body: RevokeIn, request: Request, session: DbSession, caller: Manager) -> CardRecord:
    """A card revoked by hand (`clerk_decision`, `lost`) is not re-issued automatically: a clerk
    issues again with `POST /v1/cards` when the holder is to have one."""
    card = await service.scoped_card(session, card_no, caller, lock=True)
    card = await service.revoke(session, card, reason=body.reason, actor=caller.subject, note=body.note)
    return await _record(request, session, card, caller)


@router.post("/{card_no}/reissue", response_model=CardRecord, status_code=201,
             summary="Reissue (lost, damaged): a new number, the old one revoked", responses={409: PROBLEM})
async def reissue(card_no: str, body: ReissueIn, request: Request, session: DbSession, caller: Manager) -> CardRecord:
    card = await service.scoped_card(session, card_no, caller, lock=True)
    new = await service.reissue(session, card, reason=body.reason, actor=caller.subject, note=body.note, today=today(),
                                validity_years=request.app.state.settings.card_validity_years)
    return await _record(request, session, new, caller)


@router.get("/{card_no}/ecard", summary="The card's e-card: its signed QR payload, or the QR code as SVG or PNG",
            response_model=ECardOut,
            responses={200: {"content": {"image/svg+xml": {}, "image/png": {}}}, 409: PROBLEM})
async def ecard(card_no: str, request: Request, session: DbSession, caller: Manager,
                format: Literal["json", "svg", "png"] = Query("json")) -> Response:
    """For the holder's phone or a printed card. The payload holds the card number, the masked name,
    the region and the card's dates, signed with this service's key (`/.well-known/jwks.json`)."""
    card = await service.scoped_card(session, card_no, caller)
    status = service.effective_status(card, today())
    if status != "active":
        raise Conflict(f"card {card.card_no} is {status}: no e-card is made for it")
    signer = request.app.state.ecard_signer
    payload = sign_ecard(card, signer)
    await log_in_transaction(session, subject=caller.subject, role=caller.role.value, institution=None,
                             endpoint="GET /v1/cards/{card_no}/ecard", how="record", card_id=card.id,
                             region_code=card.region_code, outcome="valid")
    if format == "json":
        return Response(ECardOut(card_no=card.card_no, qr=payload, kid=signer.kid, valid_until=card.valid_until)
                        .model_dump_json(), media_type="application/json")
    qr = segno.make(payload, error="m")
    if format == "svg":
        return Response(qr.svg_inline(scale=4), media_type="image/svg+xml")
    out = io.BytesIO()
    qr.save(out, kind="png", scale=6)
    return Response(out.getvalue(), media_type="image/png")
