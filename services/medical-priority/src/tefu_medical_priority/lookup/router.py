"""The HIS API: check a card at the registration desk by number, QR code, or name and ID number."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request, Response
from starlette.types import Receive, Scope, Send

from tefu_common.auth import Principal, Role, require
from tefu_common.auth import Scope as TokenScope
from tefu_common.errors import ProblemError
from tefu_common.fast_routes import answer_json, answer_problem
from tefu_common.openapi import problems
from tefu_common.repository import route_endpoint
from tefu_medical_priority.cards.numbers import LENGTH, problem_with
from tefu_medical_priority.lookup import service
from tefu_medical_priority.lookup.schemas import CardCheck, IdLookupIn, VerifyIn
from tefu_medical_priority.lookup.service import DeskService

DESK = require(TokenScope.cards_lookup, roles=[Role.hospital])
HospitalDesk = Annotated[Principal, Depends(DESK)]
router = APIRouter(prefix="/v1/cards", tags=["hospital desk (HIS)"])
NOT_FOUND = "没有这张卡（code card-not-found）（No such card）"
HOSPITAL = "令牌所属医院不在医院目录中、已停用或不在令牌的辖区内（code hospital-not-registered），或令牌的角色不是 " \
           "hospital（The token's hospital is not in the directory, is inactive or lies outside the token's region, " \
           "or the token is not a hospital's）"


def _json(view: dict[str, Any]) -> Response:
    # Built to CardCheck's shape and serialised directly: the hot path skips re-validation.
    return Response(orjson.dumps(view), media_type="application/json")


# The hottest route of the suite authenticates in its body instead of through a dependency:
# resolving one more dependency costs about a tenth of this request's CPU (bench/card_lookup.py).
# The check is the same one (DESK) the other desk routes depend on; OpenAPI shows the same scheme.
@router.get("/{card_no}", response_model=CardCheck, summary="按卡号查验就医优先卡", description=(
    "Hospital HIS clients (role `hospital`; the hospital comes from the token). Answers valid or not, the masked "
    "holder, the privileges and the fee waivers at the calling hospital. A mistyped number is 422 "
    "(`card-number-format`, `card-number-check-character`: no other holder is looked up); an unknown one 404 "
    "`card-not-found`; a revoked, suspended or expired card is 200 with `valid: false`, its `status`, a `reason` "
    "code the desk can act on and `reason_detail` in words (never whether the holder died). For a valid card whose "
    "holder has no guardian on record, `liaisons` names the family's current liaisons (post, name, work phone, "
    "unit), who sign consent for surgery; otherwise it is empty, and `liaison_reason` always says why. Reads only this "
    "service's store: works while the registry and eligibility are down. The lookup is in the access log, "
    "committed before the answer leaves (503 `access-log-unavailable` if it cannot be)."),
    openapi_extra={"security": [{"HTTPBearer": []}]},
    responses=problems(401, **{"404": NOT_FOUND, "403": HOSPITAL}))
async def check_card(card_no: str, request: Request) -> Response:
    caller = await DESK(request)
    desk: service.Desk = request.app.state.desk
    return _json(await service.check_number(desk, caller, card_no, endpoint=route_endpoint(request)))


CARD_PATH = "/v1/cards/"
CARD_ENDPOINT = "GET /v1/cards/{card_no}"


async def fast_check_card(scope: Scope, receive: Receive, send: Send) -> bool:
    """``check_card`` as a fast route (tefu_common.fast_routes): the same checks, log and answer,
    without the framework's routing. A number that cannot be one, a 5xx and anything but a GET
    of a card number are left to ``check_card``."""
    path: str = scope["path"]
    if scope["method"] != "GET" or len(path) != len(CARD_PATH) + LENGTH or not path.startswith(CARD_PATH):
        return False
    card_no = path[len(CARD_PATH):]
    if problem_with(card_no) is not None:
        return False
    request = Request(scope)
    state = request.app.state
    if "route" not in scope:
        scope["route"] = state.card_route  # what the metrics and the access log line name it by
        scope["path_params"] = {"card_no": card_no}
    try:
        caller = await DESK(request)
        view = await service.check_number(state.desk, caller, card_no, endpoint=CARD_ENDPOINT)
    except ProblemError as error:
        if error.status >= 500:
            return False
        await answer_problem(error, scope, receive, send)
        return True
    await answer_json(send, view)
    return True


@router.post("/verify", response_model=CardCheck, summary="在线查验电子卡二维码（或卡号）", description=(
    "Hospital HIS clients. Send exactly one of `qr` (a scanned e-card) or `card_no`. A QR payload is checked for "
    "its signature (a key of `/.well-known/jwks.json`) and expiry, then the card's current status is read, so a "
    "card revoked since the QR was made shows `valid: false`. A forged, altered or expired payload is 422 on "
    "`body.qr` (`ecard-signature`, `ecard-expired`, `ecard-format` …); an unknown card 404."),
    responses=problems(**{"404": NOT_FOUND, "403": HOSPITAL}))
async def verify(body: VerifyIn, request: Request, caller: HospitalDesk, desk: DeskService) -> Response:
    endpoint = route_endpoint(request)
    if body.qr is not None:
        return _json(await service.check_qr(desk, caller, body.qr, endpoint=endpoint))
    return _json(await service.check_number(desk, caller, body.card_no or "", endpoint=endpoint, location="body"))


@router.post("/lookup", response_model=CardCheck, summary="按姓名和身份证号查找持卡人的卡", description=(
    "Hospital HIS clients, for a holder who came without the card. Both the full name and the ID number must "
    "match; a wrong name gets the same 404 `card-not-found` as an unknown ID number. Limited per hospital and "
    "minute (429 `id-lookup-rate-limited` with `Retry-After`), so the register cannot be walked through; every "
    "lookup, refused ones too, is in the access log."),
    responses=problems(429, **{"404": "没有与该姓名和身份证号相符的卡（code card-not-found）（No card for this name and "
                                      "ID number）", "403": HOSPITAL}))
async def lookup_by_identity(body: IdLookupIn, request: Request, caller: HospitalDesk, desk: DeskService) -> Response:
    return _json(await service.check_identity(desk, caller, body.name, body.id_number, endpoint=route_endpoint(request)))
