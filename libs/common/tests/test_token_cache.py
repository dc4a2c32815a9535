"""A verified token is remembered, but never past its expiry and never past a revocation."""

from __future__ import annotations

import asyncio

import pytest

from tefu_common.auth import KeySet, Role, SigningKey, TokenIssuer, TokenVerifier, scopes_for
from tefu_common.errors import Unauthorized


class Revoked:
    def __init__(self) -> None:
        self.token_ids: set[str] = set()

    async def is_revoked(self, *, token_id: str, client_id: str | None, issued_at: int) -> bool:
        return token_id in self.token_ids


def _setup(ttl: int) -> tuple[TokenVerifier, Revoked, str, str]:
    key = SigningKey.generate()
    revoked = Revoked()
    verifier = TokenVerifier(KeySet().with_key(key.kid, key.private_key.public_key()), issuer="tefu",
                             audience="tefu-medical-priority", leeway_seconds=0, revocations=revoked)
    token, claims = TokenIssuer(key).issue(subject="his-1", role=Role.clerk, scopes=scopes_for(Role.clerk),
                                           region="420102", ttl_seconds=ttl)
    return verifier, revoked, token, claims["jti"]


async def test_a_cached_token_is_refused_once_revoked():
    verifier, revoked, token, jti = _setup(600)
    assert (await verifier.verify(token)).subject == "his-1"
    assert (await verifier.verify(token)).subject == "his-1"  # from the cache
    revoked.token_ids.add(jti)
    with pytest.raises(Unauthorized, match="revoked"):
        await verifier.verify(token)


async def test_a_cached_token_is_refused_once_expired():
    verifier, _, token, _ = _setup(1)
    await verifier.verify(token)
    await asyncio.sleep(2.1)
    with pytest.raises(Unauthorized, match="expired"):
        await verifier.verify(token)


async def test_a_tampered_token_is_never_taken_from_the_cache():
    verifier, _, token, _ = _setup(600)
    await verifier.verify(token)
    header, payload, signature = token.split(".")
    # A character in the middle carries six bits of the signature (the last one only two).
    tampered = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    with pytest.raises(Unauthorized):
        await verifier.verify(f"{header}.{payload}.{tampered}")
