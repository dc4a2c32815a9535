"""HTTP endpoints of the token issuer (thin: the rules are in service.py)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request

from tefu_common.auth import Principal, Role, Scope, require
from tefu_common.db import DbSession
from tefu_common.errors import PROBLEM_JSON, BadRequest, Unauthorized
from tefu_registry.oauth import service
from tefu_registry.oauth.models import OAuthClient
from tefu_registry.oauth.schemas import ClientCreate, ClientOut, ClientWithSecret, RevocationList, TokenResponse

ClientAdmin = Annotated[Principal, Depends(require(Scope.clients_manage, roles={Role.admin}))]

PROBLEM = {"content": {PROBLEM_JSON: {}}}
router = APIRouter(tags=["auth"])


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
        raise Unauthorized("malformed HTTP Basic credentials", challenge=service.CLIENT_CHALLENGE, error="invalid_client") from None
    return client_id, secret


@router.post(
    "/oauth/token",
    response_model=TokenResponse,
    summary="OAuth2 client credentials grant",
    description=(
        "Exchange a client id and secret (HTTP Basic, or `client_id`/`client_secret` form fields) for a "
        "bearer token bound to the client's role, scopes, region and institution. `scope` may narrow the "
        "scopes, `audience` may pick one service. Errors are problem+json that also carry the OAuth2 "
        "`error` code."
    ),
    responses={400: PROBLEM, 401: PROBLEM},
)
async def token(
    request: Request,
    session: DbSession,
    grant_type: Annotated[str, Form()],
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    scope: Annotated[str | None, Form()] = None,
    audience: Annotated[str | None, Form()] = None,
) -> TokenResponse:
    if grant_type != "client_credentials":
        raise BadRequest(f"grant_type {grant_type!r} is not supported; use client_credentials", error="unsupported_grant_type")
    credentials = _basic_credentials(request) or (client_id, client_secret)
    if not credentials[0] or not credentials[1]:
        raise Unauthorized("client credentials are required", challenge=service.CLIENT_CHALLENGE, error="invalid_client")
    return await service.issue_token(
        session,
        request.app.state.token_issuer,
        client_id=credentials[0],
        client_secret=credentials[1],
        scope=scope,
        audience=audience,
    )


@router.post(
    "/oauth/revoke",
    status_code=200,
    summary="Revoke one token (RFC 7009)",
    description="Admins only. Every service refuses the token from its next revocation-list refresh.",
    responses={401: PROBLEM, 403: PROBLEM, 422: PROBLEM},
)
async def revoke(
    request: Request, session: DbSession, caller: ClientAdmin, token: Annotated[str, Form()]
) -> dict[str, str]:
    await service.revoke_token(session, request.app.state.token_verifier.keys, token=token, caller=caller)
    return {"status": "revoked"}


@router.get(
    "/oauth/revocations",
    response_model=RevocationList,
    summary="Revoked tokens and clients, for verifiers",
    description="Polled by every service. Holds only opaque token ids and client ids.",
)
async def revocations(session: DbSession) -> RevocationList:
    return await service.revocation_list(session)


@router.get("/.well-known/jwks.json", summary="Public keys of the token issuer (JWKS)")
async def jwks(request: Request) -> dict[str, list[dict[str, str]]]:
    return request.app.state.published_jwks


@router.post(
    "/v1/oauth-clients",
    response_model=ClientWithSecret,
    status_code=201,
    summary="Register a machine client",
    description="Admins only, within their region. The secret is in this response and nowhere else.",
    responses={401: PROBLEM, 403: PROBLEM, 409: PROBLEM, 422: PROBLEM},
)
async def create_client(data: ClientCreate, session: DbSession, caller: ClientAdmin) -> ClientWithSecret:
    client, secret = await service.create_client(session, data=data, caller=caller)
    return ClientWithSecret(**_client_out(client).model_dump(), client_secret=secret)


@router.get("/v1/oauth-clients", response_model=list[ClientOut], summary="List machine clients in your region")
async def list_clients(session: DbSession, caller: ClientAdmin) -> list[ClientOut]:
    return [_client_out(c) for c in await service.list_clients(session, caller=caller)]


@router.get(
    "/v1/oauth-clients/{client_id}", response_model=ClientOut, summary="One machine client", responses={404: PROBLEM}
)
async def get_client(client_id: str, session: DbSession, caller: ClientAdmin) -> ClientOut:
    return _client_out(await service.get_client(session, client_id=client_id, caller=caller))


@router.post(
    "/v1/oauth-clients/{client_id}/revoke",
    response_model=ClientOut,
    summary="Revoke a machine client and every token it holds",
    responses={404: PROBLEM},
)
async def revoke_client(client_id: str, session: DbSession, caller: ClientAdmin) -> ClientOut:
    return _client_out(await service.revoke_client(session, client_id=client_id, caller=caller))


@router.post(
    "/v1/oauth-clients/{client_id}/secret",
    response_model=ClientWithSecret,
    summary="Replace a client's secret",
    description="The old secret stops working at once; tokens already issued stay valid until they expire.",
    responses={404: PROBLEM, 409: PROBLEM},
)
async def rotate_secret(client_id: str, session: DbSession, caller: ClientAdmin) -> ClientWithSecret:
    client, secret = await service.rotate_secret(session, client_id=client_id, caller=caller)
    return ClientWithSecret(**_client_out(client).model_dump(), client_secret=secret)
