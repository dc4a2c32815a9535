"""E-cards: a card's QR code as a compact JWS signed by this service, verifiable offline.

    header  {"alg": "EdDSA" (or "SM2" with TEFU_CRYPTO=sm), "kid": "<key id>", "typ": "tefu-ecard+jwt"}
    payload {"iss": "tefu-medical-priority", "card_no": "...", "name": "李*英", "region": "420102",
             "issued_on": "2026-12-01", "valid_until": "2031-11-30", "iat": ..., "exp": ...}

A hospital verifies the signature with the public keys at ``GET /.well-known/jwks.json`` (any
JOSE library does for EdDSA: it is a standard JWS; for SM2, docs/his-integration.md shows how), and knows the card was issued by Tefu and not altered.
Offline it cannot know of a revocation since; ``POST /v1/cards/verify`` checks that too. The
payload holds the masked name only, so a photographed QR code gives away no more than the card.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request

from tefu_common.calendar import CHINA
from tefu_common.errors import Invalid
from tefu_common.signing import DocumentSigner, b64url, b64url_decode

ISSUER = "tefu-medical-priority"
TYP = "tefu-ecard+jwt"


class CardFace(Protocol):
    """What an e-card shows of a card (a card of cards.models has all of it)."""

    card_no: str
    masked_name: str
    region_code: str
    issued_on: date
    valid_until: date


@dataclass(frozen=True)
class EcardFace:
    """A plain copy of a card's face, to sign away from the event loop."""

    card_no: str
    masked_name: str
    region_code: str
    issued_on: date
    valid_until: date


def sign_ecard(card: CardFace, signer: DocumentSigner, *, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    # Valid to the end of the card's last day, in China.
    expires = datetime.combine(card.valid_until + timedelta(days=1), time(0), tzinfo=CHINA)
    header = {"alg": signer.algorithm, "kid": signer.kid, "typ": TYP}
    claims = {"iss": ISSUER, "card_no": card.card_no, "name": card.masked_name, "region": card.region_code,
              "issued_on": card.issued_on.isoformat(), "valid_until": card.valid_until.isoformat(),
              "iat": int(now.timestamp()), "exp": int(expires.timestamp())}
    signing_input = f"{_part(header)}.{_part(claims)}"
    return f"{signing_input}.{b64url(signer.sign(signing_input.encode()))}"


def _part(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode())


def _refused(code: str, zh: str, en: str) -> Exception:
    return Invalid(code, f"不是有效的特扶电子卡：{zh}", f"not a valid Tefu e-card: {en}").at("qr")


def read_ecard(token: str, signer: DocumentSigner, *, now: datetime | None = None) -> dict[str, Any]:
    """The payload of a genuine, unexpired e-card; 422 naming what is wrong otherwise."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise _refused("ecard-format", "二维码内容应为以“.”分隔的三段", "a QR payload has three parts separated by dots")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (ValueError, UnicodeDecodeError):
        header = claims = None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise _refused("ecard-format", "二维码内容不是 base64url 编码的 JSON", "the payload is not base64url-encoded JSON")
    # Any algorithm of a published key: cards signed before a switch of TEFU_CRYPTO stay good.
    algorithm = header.get("alg")
    if header.get("typ") != TYP or not isinstance(algorithm, str) or algorithm not in signer.algorithms:
        known = sorted(signer.algorithms)
        raise _refused("ecard-type", f"应为 {' 或 '.join(known)} 签名的 {TYP}",
                       f"expected typ {TYP} signed with {' or '.join(known)}")
    if not signer.verify(str(header.get("kid")), f"{parts[0]}.{parts[1]}".encode(), signature,
                         algorithm=algorithm):
        raise _refused("ecard-signature", "签名无法用任何已公布的公钥验证：不是特扶签发的，或已被篡改",
                       "the signature does not verify with any published key: not issued by Tefu, or altered")
    if claims.get("iss") != ISSUER or not isinstance(claims.get("card_no"), str):
        raise _refused("ecard-issuer", "不是本服务签发的电子卡", "not an e-card of this service")
    if not isinstance(claims.get("exp"), int) or (now or datetime.now(timezone.utc)).timestamp() >= claims["exp"]:
        valid_until = claims.get("valid_until")
        raise _refused("ecard-expired", f"电子卡已过期（有效期至 {valid_until}）", f"the e-card expired after {valid_until}")
    return claims


def ecard_signer(request: Request) -> DocumentSigner:
    """The app's e-card key (a dependency: loaded once, at start-up)."""
    signer: DocumentSigner = request.app.state.ecard_signer
    return signer


ECardSigner = Annotated[DocumentSigner, Depends(ecard_signer)]
