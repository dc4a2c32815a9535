"""Issuing and verifying bearer JWTs.

Verification is strict on purpose: the algorithm must be on an explicit allow-list (EdDSA), the
header must name a ``kid`` the service trusts, and ``exp``, ``iat``, ``iss``, ``aud``, ``sub`` and
``jti`` must all be present and right. That rejects ``alg: none`` and the classic "HS256 signed
with the public key" confusion before any signature check, because neither algorithm is listed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tefu_common.auth.keys import SigningKey, load_jwks
from tefu_common.auth.principal import Institution, Principal
from tefu_common.auth.revocation import NoRevocations, RevocationCheck
from tefu_common.auth.roles import INSTITUTION_KIND, Role, Scope
from tefu_common.errors import Unauthorized
from tefu_common.http_client import SERVICE_HEADERS, tls_context
from tefu_common.i18n import Text

ALLOWED_ALGORITHMS = ("EdDSA",)
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "jti"]
SERVICE_AUDIENCES = ("tefu-registry", "tefu-eligibility", "tefu-payments", "tefu-medical-priority", "tefu-supervision")

log = logging.getLogger("tefu.auth")


class TokenIssuer:
    """Signs tokens with the issuer's private key."""

    def __init__(self, key: SigningKey, *, issuer: str = "tefu", ttl_seconds: int = 3600) -> None:
        self.key = key
        self.issuer = issuer
        self.ttl_seconds = ttl_seconds

    def issue(
        self,
        *,
        subject: str,
        role: Role,
        scopes: Iterable[Scope],
        region: str,
        audiences: Iterable[str] = SERVICE_AUDIENCES,
        institution: Institution | None = None,
        client_id: str | None = None,
        ttl_seconds: int | None = None,
        now: float | None = None,
    ) -> tuple[str, dict[str, Any]]:
        expected_kind = INSTITUTION_KIND.get(role)
        if expected_kind and (institution is None or institution.kind != expected_kind):
            raise ValueError(f"a {role.value} token must name its {expected_kind}")
        issued_at = int(now if now is not None else time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": subject,
            "aud": sorted(set(audiences)),
            "iat": issued_at,
            "nbf": issued_at,
            "exp": issued_at + (ttl_seconds or self.ttl_seconds),
            "jti": uuid.uuid4().hex,
            "role": role.value,
            "scope": " ".join(sorted(s.value for s in scopes)),
            "region": region,
        }
        if institution is not None:
            claims["institution"] = {"kind": institution.kind, "id": institution.id}
        if client_id is not None:
            claims["client_id"] = client_id
        token = jwt.encode(claims, self.key.private_key, algorithm="EdDSA", headers={"kid": self.key.kid})
        return token, claims


class KeySet:
    """The issuer public keys a service trusts: from a JWKS file, a JWKS URL, or given directly.

    A URL is fetched on first use and again when a token names an unknown ``kid`` (at most every
    ``refresh_interval`` seconds), which is how a key rotation reaches every service.
    """

    def __init__(
        self,
        keys: dict[str, Ed25519PublicKey] | None = None,
        *,
        url: str | None = None,
        refresh_interval: float = 30.0,
    ) -> None:
        self._keys = dict(keys or {})
        self._url = url
        self._refresh_interval = refresh_interval
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    @classmethod
    def from_file(cls, path: Path) -> KeySet:
        try:
            return cls(load_jwks(json.loads(path.read_text())))
        except FileNotFoundError:
            raise FileNotFoundError(f"issuer public keys not found at {path}; run `make keys`") from None

    def with_key(self, kid: str, key: Ed25519PublicKey) -> KeySet:
        """A copy that also trusts ``key`` (the issuer adds its own current key this way)."""
        return KeySet({**self._keys, kid: key}, url=self._url, refresh_interval=self._refresh_interval)

    async def get(self, kid: str) -> Ed25519PublicKey | None:
        if kid not in self._keys and self._url:
            await self._refresh()
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._fetched_at < self._refresh_interval and self._fetched_at:
                return
            self._fetched_at = time.monotonic()
            try:
                async with httpx.AsyncClient(timeout=5.0, headers=SERVICE_HEADERS, verify=tls_context()) as client:
                    response = await client.get(self._url)  # type: ignore[arg-type]
                    response.raise_for_status()
                self._keys.update(load_jwks(response.json()))
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("could not fetch issuer keys from %s: %s", self._url, exc)


class TokenVerifier:
    """Turns a bearer token into a :class:`Principal`, or raises 401 saying why.

    A token that verified is remembered for up to ``cache_seconds`` (never past its ``exp``), so a
    machine client sending the same token on every request (a hospital HIS at the registration
    desk) pays for the signature check once, not per request. Revocation is still checked on
    every request, cached or not.
    """

    CACHE_SIZE = 4096

    def __init__(
        self,
        keys: KeySet,
        *,
        issuer: str,
        audience: str,
        leeway_seconds: int = 30,
        revocations: RevocationCheck | None = None,
        cache_seconds: float = 60.0,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway_seconds
        self.revocations = revocations or NoRevocations()
        self.cache_seconds = cache_seconds
        self._verified: dict[str, tuple[float, Principal, int]] = {}  # token -> (forget at, principal, iat)

    async def verify(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None:
            forget_at, principal, issued_at = cached
            if time.time() < forget_at:
                await self._check_revocation(principal, issued_at)
                return principal
            del self._verified[token]
        principal, issued_at = await self._verify_signed(token)
        await self._check_revocation(principal, issued_at)
        if self.cache_seconds > 0:
            if len(self._verified) >= self.CACHE_SIZE:
                self._verified.pop(next(iter(self._verified)))  # the oldest entry
            forget_at = min(time.time() + self.cache_seconds, principal.expires_at.timestamp() + self.leeway)
            self._verified[token] = (forget_at, principal, issued_at)
        return principal

    async def _check_revocation(self, principal: Principal, issued_at: int) -> None:
        if await self.revocations.is_revoked(token_id=principal.token_id, client_id=principal.client_id,
                                             issued_at=issued_at):
            raise Unauthorized(Text("令牌已被吊销", "token has been revoked"), code="token-revoked")

    async def _verify_signed(self, token: str) -> tuple[Principal, int]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthorized(Text("令牌格式不对（不是 JWT）", "the bearer token is not a well-formed JWT"), code="token-malformed") from None
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise Unauthorized(Text(f"不接受签名算法 {algorithm!r}", f"token algorithm {algorithm!r} is not accepted; expected one of {list(ALLOWED_ALGORITHMS)}"), code="token-algorithm")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized(Text("令牌头缺少密钥编号（kid）", "token header has no key id (kid)"), code="token-malformed")
        key = await self.keys.get(kid)
        if key is None:
            raise Unauthorized(Text(f"令牌由未知密钥 {kid!r} 签名", f"token is signed with an unknown key {kid!r}"), code="token-unknown-key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=list(ALLOWED_ALGORITHMS),
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized(Text("令牌已过期", "token has expired"), code="token-expired") from None
        except jwt.InvalidAudienceError:
            raise Unauthorized(Text(f"令牌不是发给本服务的（受众应为 {self.audience}）", f"token is not meant for this service (audience {self.audience})"), code="token-audience") from None
        except jwt.InvalidIssuerError:
            raise Unauthorized(Text("令牌不是受信任的签发方签发的", "token was not issued by the trusted issuer"), code="token-issuer") from None
        except jwt.InvalidSignatureError:
            raise Unauthorized(Text("令牌签名验证不通过", "token signature does not verify"), code="token-signature") from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthorized(Text(f"令牌缺少必需的声明 {exc.claim!r}", f"token lacks the required claim {exc.claim!r}"), code="token-claims") from None
        except jwt.PyJWTError as exc:
            raise Unauthorized(Text(f"令牌无效：{exc}", f"token is invalid: {exc}"), code="token-invalid") from None
        try:
            principal = Principal.from_claims(claims)
        except ValueError as exc:
            raise Unauthorized(Text(f"令牌声明无效：{exc}", f"token claims are invalid: {exc}"), code="token-claims") from None
        return principal, int(claims["iat"])
