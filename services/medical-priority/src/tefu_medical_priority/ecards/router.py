"""``/.well-known/jwks.json``: the public keys that verify e-card QR codes, for offline checks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tefu_medical_priority.ecards.service import ECardSigner

router = APIRouter(tags=["e-cards"])
JWKS_EXAMPLE = {"keys": [{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": "ecard-1",
                          "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}


@router.get("/.well-known/jwks.json", summary="电子卡二维码的公钥（JWKS）", description=(
    "No token needed. Ed25519 keys (`OKP`, `crv: Ed25519`, `alg: EdDSA`) or, with `TEFU_CRYPTO=sm`, SM2 keys "
    "(`EC`, `crv: SM2`, `alg: SM2`, coordinates `x` and `y`; names of this suite, JOSE registers none for SM2) by "
    "`kid`: the current one first, earlier ones kept after a rotation or a switch of algorithm so QR codes signed "
    "before it still verify. Hospitals may cache this and verify QR codes offline (docs/his-integration.md); "
    "`POST /v1/cards/verify` also checks revocation."),
    responses={200: {"content": {"application/json": {"example": JWKS_EXAMPLE}}}})
async def jwks(signer: ECardSigner) -> dict[str, Any]:
    return signer.jwks
