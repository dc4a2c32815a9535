"""HTTP endpoints of the token issuer (thin: the rules are in service.py)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response

from tefu_common.auth import Principal, Role, Scope, require
from tefu_common.db import DbSession
from tefu_common.errors import BadRequest, Unauthorized
from tefu_common.i18n import Text
from tefu_common.openapi import problems
from tefu_common.paging import Page, PageParams
from tefu_registry.accounts import service as accounts
from tefu_registry.accounts.addresses import client_address
from tefu_registry.oauth import people, service
from tefu_registry.oauth.models import OAuthClient
from tefu_registry.oauth.schemas import ClientCreate, ClientOut, ClientWithSecret, RevocationList, TokenResponse

ClientAdmin = Annotated[Principal, Depends(require(Scope.clients_manage, roles={Role.admin}))]

router = APIRouter(tags=["auth"])
CLIENT_NOT_FOUND = problems(**{"404": "没有这个客户端，或不在你的辖区（No such client, or not in your region）"})
PERSON_TOKEN_EXAMPLE = {
    "access_token": "eyJhbGciOiJFZERTQSIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiJjbGVyay16aG91Y3VuIn0.c2lnbmF0dXJl",
    "token_type": "Bearer", "expires_in": 900, "scope": "families:read families:write reports:read",
    "refresh_token": "mR2Hq0xk5GQbQe0m7cP3sWz9tY1uVa4nLd6oEi8rKf0",
}
JWKS_EXAMPLE = {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
                          "kid": "2026-11-issuer", "alg": "EdDSA", "use": "sig"}]}


def _client_out(client: OAuthClient) -> ClientOut:
    return ClientOut(
        client_id=client.client_id,
        role=Role(client.role),
        region=client.region,
        scopes=client.scopes.split(),
        audiences=client.audiences.split(),
        institution_kind=client.institution_kind,
        institution_id=client.institution_id,
        description=client.description,
        created_at=client.created_at,
        created_by=client.created_by,
        revoked_at=client.revoked_at,
        revoked_by=client.revoked_by,
    )


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        client_id, _, secret = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized(Text("HTTP Basic 凭据格式不正确", "malformed HTTP Basic credentials"),
                           challenge=service.CLIENT_CHALLENGE, code="credentials-malformed", error="invalid_client") from None
    return client_id, secret


@router.post(
    "/oauth/token",
    response_model=TokenResponse,
    response_model_exclude_none=True,
    summary="OAuth2 令牌端点：客户端凭据、授权码（PKCE）和刷新令牌",
    description=(
        "机器客户端用客户端编号和密钥（HTTP Basic，或表单字段 `client_id`/`client_secret`）换取访问令牌，令牌绑定客户端的角色、"
        "权限范围、地区和机构；工作台用登录得到的授权码换取人员的访问令牌和刷新令牌。\n\n"
        "- `grant_type=client_credentials`: anyone holding a client's credentials. `scope` may narrow the scopes, "
        "`audience` may pick one service.\n"
        "- `grant_type=authorization_code` (RFC 6749 §4.1 with PKCE, RFC 7636): `code`, `redirect_uri` (the one "
        "of the sign-in request), `client_id=console`, `code_verifier`. Answers a person's access token (sub = "
        "username, the role's scopes, region, institution) and a `refresh_token`. A code is single use and "
        "lives 60 seconds; a code presented twice ends the sign-in it gave.\n"
        "- `grant_type=refresh_token`: `refresh_token`, `client_id=console`. The refresh token rotates: the "
        "answer carries a new one and the old one stops working (presented again, it ends the whole sign-in).\n\n"
        "Errors are problem+json that also carry the OAuth2 `error` code: 400 `unsupported_grant_type`, "
        "`invalid_request`, `invalid_scope`, `invalid_target` or `invalid_grant` (code `code-invalid`, `code-used`, "
        "`redirect-uri-mismatch`, `code-verifier-mismatch`, `refresh-token-invalid`, `account-disabled`); 401 "
        "`invalid_client` (wrong or unknown credentials look the same, so client ids cannot be probed; a revoked "
        "client is told so); 429 `too-many-failures` with Retry-After after 10 failures of one client id or 30 from "
        "one address within 5 minutes (the right secret too, until the window passes). Every failure is in the "
        "security log (`client-token`)."
    ),
    responses={200: {"content": {"application/json": {"examples": {
        "client_credentials": {"value": TokenResponse.model_config["json_schema_extra"]["examples"][0]},
        "authorization_code": {"value": PERSON_TOKEN_EXAMPLE}}}}}, **problems(400, 401, 429)},
)
async def token(
    request: Request,
    response: Response,
    session: DbSession,
    grant_type: Annotated[str, Form()],
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    scope: Annotated[str | None, Form()] = None,
    audience: Annotated[str | None, Form()] = None,
    code: Annotated[str | None, Form(max_length=256)] = None,
    redirect_uri: Annotated[str | None, Form(max_length=2048)] = None,
    code_verifier: Annotated[str | None, Form(max_length=256)] = None,
    refresh_token: Annotated[str | None, Form(max_length=256)] = None,
) -> TokenResponse:
    issuer = request.app.state.token_issuer
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 §5.1: tokens are never cached
    if grant_type == "authorization_code":
        return await people.exchange_code(session, issuer, request.app.state.people_policy, code=code,
                                          redirect_uri=redirect_uri, client_id=client_id, code_verifier=code_verifier,
                                          address=client_address(request))
    if grant_type == "refresh_token":
        return await people.refresh(session, issuer, request.app.state.people_policy, refresh_token=refresh_token,
                                    client_id=client_id, address=client_address(request))
    if grant_type != "client_credentials":
        raise BadRequest(Text(f"不支持 grant_type “{grant_type}”，请使用 client_credentials、authorization_code 或 refresh_token",
                              f"grant_type {grant_type!r} is not supported; use client_credentials, authorization_code "
                              "or refresh_token"),
                         code="grant-type-unsupported", error="unsupported_grant_type")
    credentials = _basic_credentials(request) or (client_id, client_secret)
    if not credentials[0] or not credentials[1]:
        raise Unauthorized(Text("需要客户端凭据", "client credentials are required"), challenge=service.CLIENT_CHALLENGE,
                           code="credentials-missing", error="invalid_client")
    return await service.issue_token(
        session,
        issuer,
        client_id=credentials[0],
        client_secret=credentials[1],
        scope=scope,
        audience=audience,
        limiter=request.app.state.client_failures,
        address=client_address(request),
    )


_client_admin = require(Scope.clients_manage, roles={Role.admin})


async def _admin_if_bearer(request: Request) -> Principal | None:
    """An administrator's token when one is sent; the console signs out without one (a public client)."""
    if not request.headers.get("authorization"):
        return None
    return await _client_admin(request)


@router.post(
    "/oauth/revoke",
    status_code=200,
    summary="吊销一个令牌（RFC 7009）：管理员吊销，或工作台退出登录",
    description=(
        "在令牌到期前将其作废。\n\n"
        "- Sign-out (the console, a public client): form `token` (the refresh token, or the access token) and "
        "`client_id=console`, no bearer token. A refresh token ends its whole sign-in (every refresh token of it "
        "and the access token last issued with it). Always 200, as RFC 7009 asks, even for a token that is not "
        "ours or already revoked.\n"
        "- Administrators (bearer token with `clients:manage`): any token signed here, for tokens of their region "
        "(403 `region-outside-scope` otherwise); 422 `token-not-ours` for a token this issuer did not sign. "
        "Revoking an expired token does nothing.\n\n"
        "Every service refuses a revoked access token from its next revocation-list refresh."
    ),
    responses={200: {"content": {"application/json": {"example": {"status": "revoked"}}}}, **problems(401, 403)},
)
async def revoke(
    request: Request,
    session: DbSession,
    caller: Annotated[Principal | None, Depends(_admin_if_bearer)],
    token: Annotated[str, Form(max_length=4096)],
    token_type_hint: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
) -> dict[str, str]:
    if caller is None:
        if client_id != people.CONSOLE_CLIENT_ID:
            raise Unauthorized(Text("需要管理员令牌，或 client_id=console", "an admin token, or client_id=console, is needed"),
                               code="token-missing")
        await people.sign_out(session, request.app.state.token_verifier.keys, token=token,
                              address=client_address(request))
        return {"status": "revoked"}
    await service.revoke_token(session, request.app.state.token_verifier.keys, token=token, caller=caller)
    return {"status": "revoked"}


@router.get(
    "/oauth/revocations",
    response_model=RevocationList,
    summary="已吊销的令牌和客户端（供各服务核验）",
    description=(
        "各服务定期拉取此列表，拒绝其中的令牌。\n\nPublic (no token): it holds only opaque token ids and client ids. "
        "A token is listed until it would have expired anyway; a client's tokens issued at or before `revoked_at` "
        "are revoked."
    ),
)
async def revocations(session: DbSession) -> RevocationList:
    return await service.revocation_list(session)


@router.get(
    "/.well-known/jwks.json",
    summary="签发方的公钥（JWKS）",
    description=(
        "验证令牌签名所用的公钥。\n\nPublic (no token). Every service verifies tokens with these keys; only public "
        "keys are published (the private key stays with the registry)."
    ),
    responses={200: {"content": {"application/json": {"example": JWKS_EXAMPLE}}}},
)
async def jwks(request: Request) -> dict[str, Any]:
    return request.app.state.published_jwks


@router.post(
    "/v1/oauth-clients",
    response_model=ClientWithSecret,
    status_code=201,
    summary="注册一个机器客户端",
    description=(
        "为医院 HIS、代发银行或其他服务注册客户端；密钥只在这次答复中出现，之后无法再查看。\n\nAdmins only "
        "(`clients:manage`), for a region within theirs (422 `region-outside-scope`). A hospital client names its "
        "`hospital`, an agency client its `agency` (422 `institution-missing`); `scopes` must be the role's (422 "
        "`scope-not-allowed`); 409 `client-exists` for a client id already taken. A `service` client (which reads bank "
        "accounts and full ID numbers for the suite) is registered only by an admin of the whole country, 000000 "
        "(403 `service-client-national-only`). Every registration, and every refusal, is in the security log "
        "(`client-registered`)."
    ),
    responses=problems(**{"409": "客户端编号已被使用（The client id is taken）",
                          "403": "无权注册该角色的客户端（Not permitted to register this client）"}),
)
async def create_client(request: Request, data: ClientCreate, session: DbSession, caller: ClientAdmin) -> ClientWithSecret:
    address = client_address(request)
    # Kept in the security log, a refusal too: who registered which machine client, of what role.
    async with accounts.admin_action(session, event="client-registered", caller=caller, address=address,
                                     target=data.client_id):
        client, secret = await service.create_client(session, data=data, caller=caller)
        accounts.log_event(session, event="client-registered", outcome="success", actor=caller.subject,
                           username=data.client_id, region=data.region, address=address,
                           detail=f"role={data.role.value}")
    return ClientWithSecret(**_client_out(client).model_dump(), client_secret=secret)


@router.get(
    "/v1/oauth-clients",
    response_model=Page[ClientOut],
    summary="本辖区的机器客户端",
    description=(
        "列出本辖区内注册的机器客户端（不含密钥）。\n\nAdmins only (`clients:manage`). By client id, pages by "
        "`cursor`/`limit`."
    ),
)
async def list_clients(session: DbSession, caller: ClientAdmin, page: PageParams) -> Page[ClientOut]:
    clients, next_cursor = await service.list_clients(session, caller=caller, page=page)
    return Page[ClientOut](items=[_client_out(c) for c in clients], next_cursor=next_cursor)


@router.get(
    "/v1/oauth-clients/{client_id}",
    response_model=ClientOut,
    summary="一个机器客户端",
    description="一个客户端的角色、权限范围、地区和机构。\n\nAdmins only; 404 `client-not-found` for a client outside your region.",
    responses=CLIENT_NOT_FOUND,
)
async def get_client(client_id: str, session: DbSession, caller: ClientAdmin) -> ClientOut:
    return _client_out(await service.get_client(session, client_id=client_id, caller=caller))


@router.post(
    "/v1/oauth-clients/{client_id}/revoke",
    response_model=ClientOut,
    summary="吊销客户端及其持有的全部令牌",
    description=(
        "吊销后客户端不能再换取令牌，已签发的令牌也一并失效。\n\nAdmins only; 404 for a client outside your region. "
        "Revoking a revoked client changes nothing."
    ),
    responses=CLIENT_NOT_FOUND,
)
async def revoke_client(client_id: str, session: DbSession, caller: ClientAdmin) -> ClientOut:
    return _client_out(await service.revoke_client(session, client_id=client_id, caller=caller))


@router.post(
    "/v1/oauth-clients/{client_id}/secret",
    response_model=ClientWithSecret,
    summary="更换客户端密钥",
    description=(
        "生成新密钥，旧密钥立即失效；已签发的令牌在到期前仍然有效。\n\nAdmins only; 404 for a client outside your "
        "region; 409 `client-revoked` for a revoked client."
    ),
    responses={**CLIENT_NOT_FOUND, **problems(**{"409": "客户端已吊销（The client is revoked）"})},
)
async def rotate_secret(client_id: str, session: DbSession, caller: ClientAdmin) -> ClientWithSecret:
    client, secret = await service.rotate_secret(session, client_id=client_id, caller=caller)
    return ClientWithSecret(**_client_out(client).model_dump(), client_secret=secret)
