"""Business rules of the token issuer: who may hold which client, and what a token may carry."""

from __future__ import annotations

from datetime import datetime, timezone

import jwt
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tefu_common.auth import (
    INSTITUTION_KIND,
    SERVICE_AUDIENCES,
    Institution,
    Principal,
    Role,
    TokenIssuer,
    scopes_for,
)
from tefu_common.auth.tokens import ALLOWED_ALGORITHMS, KeySet
from tefu_common.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from tefu_common.regions import region_prefix
from tefu_registry.oauth.client_secrets import hash_secret, new_secret, verify_secret
from tefu_registry.oauth.models import OAuthClient, RevokedToken
from tefu_registry.oauth.schemas import ClientCreate, RevocationList, RevokedClientOut, TokenResponse

# Machine clients that act for one institution only talk to the service that serves it.
DEFAULT_AUDIENCES: dict[Role, tuple[str, ...]] = {
    Role.hospital: ("tefu-medical-priority",),
    Role.agency: ("tefu-payments",),
}


# RFC 6749 §5.2: a failed client authentication answers with the Basic scheme.
CLIENT_CHALLENGE = 'Basic realm="tefu"'


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[{"field": f"body.{field}", "message": message, "type": "value_error"}])


async def create_client(session: AsyncSession, *, data: ClientCreate, caller: Principal) -> tuple[OAuthClient, str]:
    """Register a machine client; returns it with its secret (the only time the secret exists)."""
    if not caller.covers_region(data.region):
        raise Forbidden(f"your region {caller.region} does not cover {data.region}")
    expected_kind = INSTITUTION_KIND.get(data.role)
    institution_id = {"hospital": data.hospital, "agency": data.agency}.get(expected_kind or "")
    if expected_kind and not institution_id:
        raise _field_error(expected_kind, f"a {data.role.value} client must name its {expected_kind}")
    for kind in ("hospital", "agency"):
        if kind != expected_kind and getattr(data, kind):
            raise _field_error(kind, f"a {data.role.value} client cannot be bound to a {kind}")
    try:
        scopes = scopes_for(data.role, {s.value for s in data.scopes} if data.scopes else None)
    except ValueError as exc:
        raise _field_error("scopes", str(exc)) from None
    audiences = data.audiences or list(DEFAULT_AUDIENCES.get(data.role, SERVICE_AUDIENCES))
    unknown = sorted(set(audiences) - set(SERVICE_AUDIENCES))
    if unknown:
        raise _field_error("audiences", f"unknown audience(s) {unknown}; known: {list(SERVICE_AUDIENCES)}")
    if await session.get(OAuthClient, data.client_id) is not None:
        raise Conflict(f"client {data.client_id!r} already exists")
    secret = new_secret()
    client = OAuthClient(
        client_id=data.client_id,
        secret_hash=hash_secret(secret),
        role=data.role.value,
        scopes=" ".join(sorted(s.value for s in scopes)),
        audiences=" ".join(sorted(set(audiences))),
        region=data.region,
        institution_kind=expected_kind,
        institution_id=institution_id,
        description=data.description,
        created_at=_now(),
        created_by=caller.subject,
    )
    session.add(client)
    await session.flush()
    return client, secret


async def list_clients(session: AsyncSession, *, caller: Principal) -> list[OAuthClient]:
    """Clients within the caller's region, oldest first."""
    query = select(OAuthClient).order_by(OAuthClient.created_at, OAuthClient.client_id)
    prefix = region_prefix(caller.region)
    if prefix:
        query = query.where(OAuthClient.region.startswith(prefix, autoescape=True))
    return list((await session.scalars(query)).all())


async def get_client(session: AsyncSession, *, client_id: str, caller: Principal) -> OAuthClient:
    client = await session.get(OAuthClient, client_id)
    # A client outside the caller's region is reported as absent: its existence is not theirs to know.
    if client is None or not caller.covers_region(client.region):
        raise NotFound(f"no client {client_id!r}")
    return client


async def revoke_client(session: AsyncSession, *, client_id: str, caller: Principal) -> OAuthClient:
    """Revoke a client: it gets no new tokens and every token it already holds stops working."""
    client = await get_client(session, client_id=client_id, caller=caller)
    if client.revoked_at is None:
        client.revoked_at, client.revoked_by = _now(), caller.subject
        await session.flush()
    return client


async def rotate_secret(session: AsyncSession, *, client_id: str, caller: Principal) -> tuple[OAuthClient, str]:
    client = await get_client(session, client_id=client_id, caller=caller)
    if client.revoked_at is not None:
        raise Conflict(f"client {client_id!r} is revoked")
    secret = new_secret()
    client.secret_hash = hash_secret(secret)
    await session.flush()
    return client, secret


async def issue_token(
    session: AsyncSession,
    issuer: TokenIssuer,
    *,
    client_id: str,
    client_secret: str,
    scope: str | None,
    audience: str | None,
) -> TokenResponse:
    """OAuth2 client credentials grant (RFC 6749 §4.4)."""
    client = await session.get(OAuthClient, client_id)
    # One message for "no such client" and "wrong secret", so ids cannot be probed.
    if client is None or not verify_secret(client_secret, client.secret_hash):
        raise Unauthorized("client authentication failed", challenge=CLIENT_CHALLENGE, error="invalid_client")
    if client.revoked_at is not None:
        raise Unauthorized("client has been revoked", challenge=CLIENT_CHALLENGE, error="invalid_client")
    granted = set(client.scopes.split())
    scopes = set(scope.split()) if scope else granted
    if not scopes <= granted:
        raise BadRequest(
            f"scope(s) not granted to this client: {' '.join(sorted(scopes - granted))}", error="invalid_scope"
        )
    audiences = set(client.audiences.split())
    if audience:
        if audience not in audiences:
            raise BadRequest(f"audience {audience!r} not granted to this client", error="invalid_target")
        audiences = {audience}
    institution = Institution(client.institution_kind, client.institution_id) if client.institution_kind else None
    role = Role(client.role)
    token, claims = issuer.issue(
        subject=f"client:{client.client_id}",
        role=role,
        scopes=scopes_for(role, scopes),
        region=client.region,
        audiences=audiences,
        institution=institution,
        client_id=client.client_id,
    )
    return TokenResponse(access_token=token, expires_in=claims["exp"] - claims["iat"], scope=claims["scope"])


async def revoke_token(session: AsyncSession, keys: KeySet, *, token: str, caller: Principal) -> None:
    """RFC 7009 revocation of one token by an administrator.

    The signature is checked (so nobody can fill the list with made-up ids) but not the expiry:
    revoking an expired token is a harmless no-op, as the RFC asks.
    """
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = await keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise jwt.InvalidTokenError("unknown key")
        claims = jwt.decode(
            token, key, algorithms=list(ALLOWED_ALGORITHMS), options={"verify_exp": False, "verify_aud": False}
        )
    except jwt.PyJWTError:
        raise _field_error("token", "not a token issued here") from None
    if not caller.covers_region(str(claims.get("region", ""))):
        raise Forbidden("the token belongs to a region outside yours")
    expires_at = datetime.fromtimestamp(int(claims["exp"]), tz=timezone.utc)
    if expires_at <= _now() or await session.get(RevokedToken, claims["jti"]) is not None:
        return
    session.add(RevokedToken(token_id=claims["jti"], expires_at=expires_at, revoked_at=_now(), revoked_by=caller.subject))
    await session.flush()


async def revocation_list(session: AsyncSession) -> RevocationList:
    """What verifiers must refuse: unexpired revoked tokens, and revoked clients."""
    await session.execute(delete(RevokedToken).where(RevokedToken.expires_at <= _now()))
    tokens = (await session.scalars(select(RevokedToken.token_id).order_by(RevokedToken.token_id))).all()
    clients = (
        await session.execute(
            select(OAuthClient.client_id, OAuthClient.revoked_at).where(OAuthClient.revoked_at.is_not(None))
        )
    ).all()
    return RevocationList(
        token_ids=list(tokens),
        clients=[RevokedClientOut(client_id=c, revoked_at=int(at.timestamp())) for c, at in clients],
    )



class DatabaseRevocations:
    """The registry checks revocations in its own database, with no copy to go stale."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def is_revoked(self, *, token_id: str, client_id: str | None, issued_at: int) -> bool:
        async with self.sessionmaker() as session:
            if await session.get(RevokedToken, token_id) is not None:
                return True
            if client_id:
                # A revoked client gets no new tokens, so every token it holds predates revocation.
                client = await session.get(OAuthClient, client_id)
                return client is not None and client.revoked_at is not None
        return False
