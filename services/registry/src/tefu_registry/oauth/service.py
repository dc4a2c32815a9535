"""Business rules of the token issuer: who may hold which client, and what a token may carry."""

from __future__ import annotations

import asyncio
import concurrent.futures

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
from tefu_common.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound, Unauthorized, ValidationFailed
from tefu_common.i18n import Text
from tefu_common.paging import PageRequest, keyset_page
from tefu_common.scoping import covers, require_within, scoped
from tefu_registry.accounts.service import log_event
from tefu_registry.oauth.client_secrets import UNKNOWN_CLIENT_HASH, hash_secret, new_secret, verify_secret
from tefu_registry.oauth.limits import FailureLimiter
from tefu_registry.oauth.models import OAuthClient, RevokedToken
from tefu_registry.oauth.schemas import ClientCreate, RevocationList, RevokedClientOut, TokenResponse

# Machine clients that act for one institution only talk to the service that serves it.
DEFAULT_AUDIENCES: dict[Role, tuple[str, ...]] = {
    Role.hospital: ("tefu-medical-priority",),
    Role.agency: ("tefu-payments",),
}


# Public clients of people's sign-in (tefu_registry.oauth.people): never registered as machines.
RESERVED_CLIENT_IDS = frozenset({"console"})

# RFC 6749 §5.2: a failed client authentication answers with the Basic scheme.
CLIENT_CHALLENGE = 'Basic realm="tefu"'


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _field_error(field: str, code: str, zh: str, en: str) -> ValidationFailed:
    return Invalid(code, zh, en).at(field)


KIND_ZH = {"hospital": "医院", "agency": "代发机构"}
# Secret checks run here, two at a time: a flood of wrong secrets costs two cores at most.
SECRET_CHECKS = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="client-secret")
NATIONAL = "000000"
FAILED = Text("客户端认证失败", "client authentication failed")


async def create_client(session: AsyncSession, *, data: ClientCreate, caller: Principal) -> tuple[OAuthClient, str]:
    """Register a machine client; returns it with its secret (the only time the secret exists)."""
    require_within(caller, data.region, field="region")
    if data.role is Role.service and caller.region != NATIONAL:
        # A service client reads what no person's role does (bank accounts, full ID numbers, every
        # family's liaisons): only the whole country's admins may make one.
        raise Forbidden(Text("只有全国（000000）管理员可以注册服务客户端", "only an admin of the whole country (000000) "
                             "may register a service client"), code="service-client-national-only")
    expected_kind = INSTITUTION_KIND.get(data.role)
    institution_id = {"hospital": data.hospital, "agency": data.agency}.get(expected_kind or "")
    role = data.role.value
    if expected_kind and not institution_id:
        raise _field_error(expected_kind, "institution-missing", f"{role} 客户端必须注明所属{KIND_ZH[expected_kind]}",
                           f"a {role} client must name its {expected_kind}")
    for kind in ("hospital", "agency"):
        if kind != expected_kind and getattr(data, kind):
            raise _field_error(kind, "institution-not-allowed", f"{role} 客户端不能绑定{KIND_ZH[kind]}",
                               f"a {role} client cannot be bound to a {kind}")
    requested = {s.value for s in data.scopes} if data.scopes else None
    try:
        scopes = scopes_for(data.role, requested)
    except ValueError:
        excess = ", ".join(sorted(requested - {s.value for s in scopes_for(data.role)})) if requested else ""
        raise _field_error("scopes", "scope-not-allowed", f"{role} 角色不能持有这些权限范围：{excess}",
                           f"role {role} may not hold scope(s): {excess}") from None
    audiences = data.audiences or list(DEFAULT_AUDIENCES.get(data.role, SERVICE_AUDIENCES))
    unknown = sorted(set(audiences) - set(SERVICE_AUDIENCES))
    if unknown:
        known = ", ".join(SERVICE_AUDIENCES)
        raise _field_error("audiences", "audience-unknown", f"未知的受众：{', '.join(unknown)}；可选：{known}",
                           f"unknown audience(s) {', '.join(unknown)}; known: {known}")
    if data.client_id in RESERVED_CLIENT_IDS:
        # The console's tokens carry its client id: a machine client of that name would share their fate.
        raise _field_error("client_id", "client-id-reserved", f"客户端编号 {data.client_id} 由系统保留",
                           f"client id {data.client_id!r} is reserved")
    if await session.get(OAuthClient, data.client_id) is not None:
        raise Conflict(Text(f"客户端 {data.client_id} 已存在", f"client {data.client_id!r} already exists"),
                       code="client-exists")
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


async def list_clients(session: AsyncSession, *, caller: Principal, page: PageRequest) -> tuple[list[OAuthClient], str | None]:
    """A page of the clients within the caller's region, by client id."""
    return await keyset_page(session, scoped(select(OAuthClient), OAuthClient.region, caller),
                             key=[OAuthClient.client_id], page=page)


async def get_client(session: AsyncSession, *, client_id: str, caller: Principal) -> OAuthClient:
    client = await session.get(OAuthClient, client_id)
    # A client outside the caller's region is reported as absent: its existence is not theirs to know.
    if client is None or not covers(caller, client.region):
        raise NotFound(Text(f"没有客户端 {client_id}（或不在你的辖区）", f"no client {client_id!r} (or not in your region)"),
                       code="client-not-found")
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
        raise Conflict(Text(f"客户端 {client_id} 已吊销", f"client {client_id!r} is revoked"), code="client-revoked")
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
    limiter: FailureLimiter,
    address: str | None,
) -> TokenResponse:
    """OAuth2 client credentials grant (RFC 6749 §4.4)."""
    limiter.check(client_id, address)
    client = await session.get(OAuthClient, client_id)
    # scrypt takes tens of milliseconds of CPU: in a thread, never on the event loop, and as long for
    # an unknown id as for a known one.
    stored = client.secret_hash if client is not None else UNKNOWN_CLIENT_HASH
    matches = await asyncio.get_running_loop().run_in_executor(SECRET_CHECKS, verify_secret, client_secret, stored)
    # One message for "no such client" and "wrong secret", so ids cannot be probed.
    if client is None or not matches:
        limiter.failed(client_id, address)
        log_event(session, event="client-token", outcome="failure", actor=client_id[:128], username=client_id[:128],
                  region=client.region if client is not None else None, address=address,
                  detail="unknown-client" if client is None else "wrong-secret")
        await session.commit()  # kept, though the request answers with an error
        raise Unauthorized(FAILED, challenge=CLIENT_CHALLENGE, code="client-authentication-failed", error="invalid_client")
    if client.revoked_at is not None:
        raise Unauthorized(Text("客户端已被吊销", "client has been revoked"), challenge=CLIENT_CHALLENGE,
                           code="client-revoked", error="invalid_client")
    granted = set(client.scopes.split())
    scopes = set(scope.split()) if scope else granted
    if not scopes <= granted:
        lacking = " ".join(sorted(scopes - granted))
        raise BadRequest(Text(f"这个客户端没有获准这些权限范围：{lacking}", f"scope(s) not granted to this client: {lacking}"),
                         code="scope-not-granted", error="invalid_scope")
    audiences = set(client.audiences.split())
    if audience:
        if audience not in audiences:
            raise BadRequest(Text(f"这个客户端没有获准受众 {audience}", f"audience {audience!r} not granted to this client"),
                             code="audience-not-granted", error="invalid_target")
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
        raise _field_error("token", "token-not-ours", "这不是本签发方签发的令牌", "not a token issued here") from None
    if not _covers_claimed(caller, claims.get("region")):
        raise Forbidden(Text("这个令牌属于你辖区以外的地区", "the token belongs to a region outside yours"),
                        code="region-outside-scope")
    expires_at = datetime.fromtimestamp(int(claims["exp"]), tz=timezone.utc)
    if expires_at <= _now() or await session.get(RevokedToken, claims["jti"]) is not None:
        return
    session.add(RevokedToken(token_id=claims["jti"], expires_at=expires_at, revoked_at=_now(), revoked_by=caller.subject))
    await session.flush()


def _covers_claimed(caller: Principal, region: object) -> bool:
    try:
        return isinstance(region, str) and covers(caller, region)
    except ValueError:  # not a region code at all
        return False


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
