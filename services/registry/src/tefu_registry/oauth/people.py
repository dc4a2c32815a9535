"""The authorization-code grant with PKCE (RFC 6749 §4.1, RFC 7636) for people, and refresh tokens.

The console is a public client: it has no secret to keep, so what binds a code to the console
that asked for it is PKCE. The console sends ``code_challenge`` = BASE64URL(SHA-256(verifier))
with the person to the sign-in page, and the verifier itself, server to server, when it exchanges
the code; a code seen on the way (a browser history, a proxy log) is worth nothing without it.

Codes are single use, live 60 seconds and are bound to the client, the redirect URI and the
challenge. Refresh tokens rotate: each use gives a new one, and an old one presented again
revokes the whole sign-in (someone holds a copy). Codes and refresh tokens are stored as
SHA-256 hashes only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.auth import SERVICE_AUDIENCES, Institution, Role, TokenIssuer, scopes_for
from tefu_common.auth.tokens import ALLOWED_ALGORITHMS, KeySet
from tefu_common.errors import BadRequest, Unauthorized
from tefu_common.i18n import Text
from tefu_registry.accounts.models import Account
from tefu_registry.accounts.service import log_event, now
from tefu_registry.oauth.models import AuthorizationCode, RefreshToken, RevokedToken
from tefu_registry.oauth.schemas import TokenResponse

CONSOLE_CLIENT_ID = "console"
# RFC 7636 §4.1: 43 to 128 unreserved characters; the S256 challenge is always 43 characters.
VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
CHALLENGE = re.compile(r"^[A-Za-z0-9\-_]{43}$")


@dataclass(frozen=True)
class PeoplePolicy:
    redirect_uris: tuple[str, ...]
    code_ttl: timedelta
    access_ttl_seconds: int
    refresh_ttl: timedelta


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def authorize_problem(
    policy: PeoplePolicy, *, response_type: str | None, client_id: str | None, redirect_uri: str | None,
    code_challenge: str | None, code_challenge_method: str | None,
) -> Text | None:
    """Why a sign-in request cannot go on (None if it can). Shown on the page, never redirected:
    a request with a wrong client or redirect URI must not send anybody anywhere (RFC 6749 §4.1.2.1)."""
    if client_id != CONSOLE_CLIENT_ID:
        return Text("未知的客户端，无法登录", "unknown client")
    if redirect_uri not in policy.redirect_uris:
        return Text("回调地址未登记，无法登录", "the redirect URI is not registered")
    if response_type != "code":
        return Text("只支持 response_type=code", "only response_type=code is supported")
    if code_challenge_method != "S256" or not code_challenge or not CHALLENGE.match(code_challenge):
        return Text("缺少 PKCE 验证（code_challenge，方法 S256）", "PKCE is required (code_challenge, method S256)")
    return None


async def issue_code(
    session: AsyncSession, policy: PeoplePolicy, *, account: Account, client_id: str, redirect_uri: str,
    code_challenge: str,
) -> str:
    code = secrets.token_urlsafe(32)
    # Expired codes are worth nothing, used or not: gone as new ones are made, so the table stays small.
    await session.execute(delete(AuthorizationCode).where(AuthorizationCode.expires_at < now()))
    session.add(AuthorizationCode(
        code_hash=digest(code), client_id=client_id, redirect_uri=redirect_uri, code_challenge=code_challenge,
        account_id=account.id, expires_at=now() + policy.code_ttl,
    ))
    await session.flush()
    return code


def _invalid_grant(code: str, zh: str, en: str) -> BadRequest:
    return BadRequest(Text(zh, en), code=code, error="invalid_grant")


def _check_client(client_id: str | None) -> None:
    if client_id != CONSOLE_CLIENT_ID:
        raise Unauthorized(Text("未知的客户端", "unknown client"), challenge='Basic realm="tefu"',
                           code="client-authentication-failed", error="invalid_client")


def _person_token(issuer: TokenIssuer, policy: PeoplePolicy, account: Account) -> tuple[str, dict]:
    role = Role(account.role)
    institution = Institution(account.institution_kind, account.institution_id) \
        if account.institution_kind and account.institution_id else None
    return issuer.issue(subject=account.username, role=role, scopes=scopes_for(role), region=account.region,
                        audiences=SERVICE_AUDIENCES, institution=institution, client_id=CONSOLE_CLIENT_ID,
                        ttl_seconds=policy.access_ttl_seconds)


async def _tokens(
    session: AsyncSession, issuer: TokenIssuer, policy: PeoplePolicy, *, account: Account, client_id: str,
    family_id: str, generation: int,
) -> TokenResponse:
    access, claims = _person_token(issuer, policy, account)
    refresh = secrets.token_urlsafe(32)
    await session.execute(delete(RefreshToken).where(RefreshToken.expires_at < now()))
    session.add(RefreshToken(
        token_hash=digest(refresh), family_id=family_id, client_id=client_id, account_id=account.id,
        access_token_id=claims["jti"], access_expires_at=datetime.fromtimestamp(claims["exp"], tz=now().tzinfo),
        created_at=now(), expires_at=now() + policy.refresh_ttl, generation=generation,
    ))
    await session.flush()
    return TokenResponse(access_token=access, expires_in=claims["exp"] - claims["iat"], scope=claims["scope"],
                         refresh_token=refresh)


async def exchange_code(
    session: AsyncSession, issuer: TokenIssuer, policy: PeoplePolicy, *, code: str | None, redirect_uri: str | None,
    client_id: str | None, code_verifier: str | None, address: str | None,
) -> TokenResponse:
    _check_client(client_id)
    if not code or not redirect_uri or not code_verifier:
        raise BadRequest(Text("需要 code、redirect_uri 和 code_verifier", "code, redirect_uri and code_verifier are required"),
                         code="grant-parameters-missing", error="invalid_request")
    row = await session.get(AuthorizationCode, digest(code))
    if row is None or row.expires_at <= now():
        raise _invalid_grant("code-invalid", "授权码无效或已过期，请重新登录", "the code is invalid or expired; sign in again")
    # Marked used first, atomically: of two exchanges of one code, exactly one gets through.
    claimed = await session.execute(
        update(AuthorizationCode).where(AuthorizationCode.code_hash == row.code_hash, AuthorizationCode.used_at.is_(None))
        .values(used_at=now())
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        # A code presented twice: whoever exchanged it first may be the thief, so its sign-in ends (RFC 6749 §4.1.2).
        if row.family_id:
            await _revoke_family(session, row.family_id, by="code-reuse")
        account = await session.get(Account, row.account_id)
        log_event(session, event="code-reuse", outcome="refused", actor=client_id or "", account=account,
                  address=address, detail="code-used-twice")
        await session.commit()  # the revocation stands although the answer is an error
        raise _invalid_grant("code-used", "授权码已使用过，请重新登录", "the code was already used; sign in again")
    if row.client_id != client_id or not hmac.compare_digest(row.redirect_uri, redirect_uri):
        await session.commit()  # a failed exchange uses the code up too: no second try with other values
        raise _invalid_grant("redirect-uri-mismatch", "redirect_uri 与授权请求中的不一致",
                             "redirect_uri differs from the one of the authorization request")
    if not VERIFIER.match(code_verifier) or not hmac.compare_digest(s256(code_verifier), row.code_challenge):
        await session.commit()  # a failed exchange uses the code up too: no guessing of verifiers
        raise _invalid_grant("code-verifier-mismatch", "code_verifier 与 code_challenge 不符",
                             "code_verifier does not match the code_challenge")
    account = await session.get(Account, row.account_id)
    if account is None or account.disabled:
        raise _invalid_grant("account-disabled", "账户已停用", "the account is disabled")
    family_id = secrets.token_hex(16)
    row.family_id = family_id
    return await _tokens(session, issuer, policy, account=account, client_id=client_id or "", family_id=family_id,
                         generation=0)


async def refresh(
    session: AsyncSession, issuer: TokenIssuer, policy: PeoplePolicy, *, refresh_token: str | None,
    client_id: str | None, address: str | None,
) -> TokenResponse:
    _check_client(client_id)
    if not refresh_token:
        raise BadRequest(Text("需要 refresh_token", "refresh_token is required"), code="grant-parameters-missing",
                         error="invalid_request")
    row = await session.get(RefreshToken, digest(refresh_token))
    if row is None or row.client_id != client_id or row.revoked_at is not None or row.expires_at <= now():
        raise _invalid_grant("refresh-token-invalid", "登录已失效，请重新登录", "the refresh token is no longer valid; sign in again")
    claimed = await session.execute(
        update(RefreshToken).where(RefreshToken.token_hash == row.token_hash, RefreshToken.used_at.is_(None))
        .values(used_at=now())
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        # An old refresh token again: a copy exists; end this sign-in everywhere (RFC 9700 §4.14.2).
        await _revoke_family(session, row.family_id, by="refresh-reuse")
        account = await session.get(Account, row.account_id)
        log_event(session, event="token-refresh", outcome="refused", actor=account.username if account else "",
                  account=account, address=address, detail="refresh-token-reused")
        await session.commit()  # the revocation stands although the answer is an error
        raise _invalid_grant("refresh-token-invalid", "登录已失效，请重新登录", "the refresh token is no longer valid; sign in again")
    account = await session.get(Account, row.account_id)
    if account is None or account.disabled:
        raise _invalid_grant("account-disabled", "账户已停用", "the account is disabled")
    if account.sessions_ended_at is not None and row.created_at <= account.sessions_ended_at:
        # An administrator ended this account's sign-ins (new password, role changed, TOTP reset).
        raise _invalid_grant("refresh-token-invalid", "登录已失效，请重新登录", "the refresh token is no longer valid; sign in again")
    return await _tokens(session, issuer, policy, account=account, client_id=row.client_id, family_id=row.family_id,
                         generation=row.generation + 1)


async def _revoke_family(session: AsyncSession, family_id: str, *, by: str) -> None:
    """End one sign-in: every refresh token of it, and the access tokens they were issued with."""
    rows = (await session.scalars(select(RefreshToken).where(RefreshToken.family_id == family_id))).all()
    at = now()
    for row in rows:
        if row.revoked_at is None:
            row.revoked_at = at
        if row.access_token_id and row.access_expires_at and row.access_expires_at > at \
                and await session.get(RevokedToken, row.access_token_id) is None:
            session.add(RevokedToken(token_id=row.access_token_id, expires_at=row.access_expires_at, revoked_at=at,
                                     revoked_by=by))
    await session.flush()


async def sign_out(session: AsyncSession, keys: KeySet, *, token: str, address: str | None) -> bool:
    """RFC 7009 revocation by the console: a refresh token ends its whole sign-in, an access token
    of the console stops working. False for a token that is neither (the answer is 200 all the same)."""
    row = await session.get(RefreshToken, digest(token))
    if row is None:
        return await _revoke_console_access_token(session, keys, token)
    await _revoke_family(session, row.family_id, by="sign-out")
    account = await session.get(Account, row.account_id)
    log_event(session, event="signed-out", outcome="success", actor=account.username if account else "",
              account=account, address=address)
    return True


async def _revoke_console_access_token(session: AsyncSession, keys: KeySet, token: str) -> bool:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = await keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            return False
        claims = jwt.decode(token, key, algorithms=list(ALLOWED_ALGORITHMS),
                            options={"verify_exp": False, "verify_aud": False})
    except jwt.PyJWTError:
        return False
    expires_at = datetime.fromtimestamp(int(claims.get("exp", 0)), tz=now().tzinfo)
    if claims.get("client_id") != CONSOLE_CLIENT_ID or expires_at <= now() \
            or await session.get(RevokedToken, str(claims.get("jti"))) is not None:
        return False
    session.add(RevokedToken(token_id=str(claims["jti"]), expires_at=expires_at, revoked_at=now(), revoked_by="sign-out"))
    await session.flush()
    return True
