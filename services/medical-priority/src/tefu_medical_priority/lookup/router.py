"""The HIS API: check a card at the registration desk by number, QR code, or name and ID number."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request, Response

from tefu_common.auth import Principal, Role, Scope, require
from tefu_common.errors import PROBLEM_JSON
from tefu_medical_priority.cards.service import parse_card_no
from tefu_medical_priority.ecards.service import read_ecard
from tefu_medical_priority.lookup import service
from tefu_medical_priority.lookup.schemas import CardCheck, IdLookupIn, VerifyIn

DESK = require(Scope.cards_lookup, roles=[Role.hospital])
Desk = Annotated[Principal, Depends(DESK)]
PROBLEM = {"content": {PROBLEM_JSON: {}}}
router = APIRouter(prefix="/v1/cards", tags=["hospital desk (HIS)"],
                   responses={401: PROBLEM, 403: PROBLEM, 404: {**PROBLEM, "description": "No such card"},
                              422: PROBLEM, 503: PROBLEM})


def _json(view: dict[str, Any]) -> Response:
    # Built to CardCheck's shape and serialised directly: the hot path skips re-validation.
    return Response(orjson.dumps(view), media_type="application/json")


# The hottest route of the suite authenticates in its body instead of through a dependency:
# resolving one more dependency costs about a tenth of this request's CPU (bench/card_lookup.py).
# The check is the same one (DESK) the other desk routes depend on; OpenAPI shows the same scheme.
@router.get("/{card_no}", response_model=CardCheck, summary="Check a card by its number",
            openapi_extra={"security": [{"HTTPBearer": []}]})
async def check_card(card_no: str, request: Request) -> Response:
    """Valid or not, the masked holder, the privileges and the fee waivers at the calling hospital
    (the hospital comes from the token). A mistyped number (wrong length or check character) is
    422; an unknown one 404; a revoked, suspended or expired card is 200 with `valid: false`, its
    `status` and a `reason` the desk can act on."""
    caller = await DESK(request)
    number = parse_card_no(card_no)
    hospital = await service.calling_hospital(request, caller)
    row = await service.card_by_number(request, number)
    return _json(await service.answer(request, caller, hospital, row, how="card_no", endpoint="GET /v1/cards/{card_no}",
                                      missing=f"no card {number}"))


@router.post("/verify", response_model=CardCheck, summary="Verify an e-card's QR code (or a card number) online")
async def verify(body: VerifyIn, request: Request, caller: Desk) -> Response:
    """A QR payload is checked for its signature (a key of `/.well-known/jwks.json`) and expiry,
    then the card's current status is read, so a card revoked since the QR was made shows
    `valid: false`. A forged, altered or expired payload is 422 naming `qr`."""
    hospital = await service.calling_hospital(request, caller)
    if body.qr is not None:
        number, how = read_ecard(body.qr, request.app.state.ecard_signer)["card_no"], "qr"
    else:
        number, how = parse_card_no(body.card_no or "", "card_no"), "card_no"
    row = await service.card_by_number(request, number)
    return _json(await service.answer(request, caller, hospital, row, how=how, endpoint="POST /v1/cards/verify",
                                      missing=f"no card {number}"))


@router.post("/lookup", response_model=CardCheck, summary="Find a holder's card by name and ID number together",
             responses={429: {**PROBLEM, "description": "Too many lookups by ID number; see Retry-After"}})
async def lookup_by_identity(body: IdLookupIn, request: Request, caller: Desk) -> Response:
    """For a holder who came without the card. Both the full name and the ID number must match;
    a wrong name gets the same 404 as an unknown ID number. Limited per hospital and minute
    (`429` with `Retry-After`), so the register cannot be walked through."""
    hospital = await service.calling_hospital(request, caller)
    row = await service.card_by_identity(request, caller, hospital, body.name, body.id_number)
    return _json(await service.answer(request, caller, hospital, row, how="id_number", endpoint="POST /v1/cards/lookup",
                                      missing="no card for this name and ID number"))
