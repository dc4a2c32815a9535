"""``/.well-known/jwks.json``: the public keys that verify e-card QR codes, for offline checks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

router = APIRouter(tags=["e-cards"])


@router.get("/.well-known/jwks.json", summary="Public keys of e-card QR codes (JWKS)")
async def jwks(request: Request) -> dict[str, Any]:
    """Ed25519 keys (`OKP`, `crv: Ed25519`, `alg: EdDSA`) by `kid`: the current one first, earlier
    ones kept after a rotation so QR codes signed before it still verify. Hospitals may cache this
    and verify QR codes offline; no token is needed."""
    return request.app.state.ecard_signer.jwks
