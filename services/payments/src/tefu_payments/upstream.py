"""Calls to the eligibility service and the registry.

Entitlements are asked for with the caller's own token (the eligibility service and, behind it,
the registry apply the clerk's region and log the read under the clerk). Bank details are read
with this service's own client credentials: only the payments service may see account numbers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
from fastapi import Request

from tefu_common.errors import ProblemError, ServiceUnavailable, ValidationFailed
from tefu_common.http_client import ClientCredentialsAuth, StaticTokenAuth, service_client

RETRY = {"Retry-After": "10"}


class UpstreamError(ProblemError):
    status, slug, title = 502, "upstream-error", "Another service refused the request"


async def _raise_for(response: httpx.Response, service: str) -> None:
    await response.aread()
    body: dict[str, Any] = {}
    if "json" in response.headers.get("content-type", ""):
        body = response.json()
    if response.status_code == 422:
        raise ValidationFailed(f"the {service} service refused the request: {body.get('detail')}",
                               errors=body.get("errors", []))
    if response.status_code in (502, 503, 504):
        raise ServiceUnavailable(f"the {service} service is unavailable; retry shortly", headers=RETRY)
    raise UpstreamError(f"the {service} service answered {response.status_code}: {body.get('detail') or response.text[:200]}",
                        upstream_status=response.status_code)


async def entitlement_lines(request: Request, *, region: str, benefits: list[str], first_month: str,
                            last_month: str) -> AsyncIterator[dict[str, Any]]:
    """Every entitlement line of the region for the months, streamed from the eligibility service."""
    settings = request.app.state.settings
    client = service_client(settings.eligibility_url, auth=StaticTokenAuth.forwarded(request.headers),
                            timeout=settings.entitlements_timeout_seconds, retries=settings.http_retries,
                            transport=getattr(request.app.state, "upstream_transport", None))
    body = {"region": region, "month": last_month, "from_month": first_month, "benefits": benefits}
    try:
        async with client:
            async with client.stream("POST", "/v1/entitlements", json=body) as response:
                if response.status_code >= 400:
                    await _raise_for(response, "eligibility")
                pending = b""
                async for chunk in response.aiter_bytes():
                    pending += chunk
                    *complete, pending = pending.split(b"\n")
                    for line in complete:
                        if line:
                            yield orjson.loads(line)
                if pending.strip():
                    yield orjson.loads(pending)
    except httpx.TransportError:
        # Unreachable, timed out, or the stream broke half-way: nothing of the batch is kept.
        raise ServiceUnavailable("the eligibility service cannot be reached or stopped answering; retry shortly",
                                 headers=RETRY) from None


def own_auth(request: Request) -> httpx.Auth:
    auth = request.app.state.settings.auth
    if not (auth.token_url and auth.client_id and auth.client_secret and auth.client_secret.get_secret_value()):
        raise ServiceUnavailable("payments has no service credentials to read bank details: set TEFU_PAYMENTS_AUTH__TOKEN_URL, "
                                 "AUTH__CLIENT_ID and AUTH__CLIENT_SECRET", headers=RETRY)
    cached = getattr(request.app.state, "own_auth", None)
    if cached is None:
        cached = request.app.state.own_auth = ClientCredentialsAuth(
            auth.token_url, auth.client_id, auth.client_secret.get_secret_value())
    return cached


def registry_client(request: Request) -> httpx.AsyncClient:
    """One client to the registry for a whole batch build: one connection pool, one token."""
    settings = request.app.state.settings
    return service_client(settings.registry_url, auth=own_auth(request), timeout=settings.http_timeout_seconds,
                          retries=settings.http_retries, transport=getattr(request.app.state, "upstream_transport", None))


async def payee_details(client: httpx.AsyncClient, member_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Names, ID numbers and bank accounts of members, by member id (at most 5,000 a call)."""
    if not member_ids:
        return {}
    try:
        response = await client.post("/v1/payees", json={"member_ids": member_ids}, headers={"Idempotency-Key": "read"})
    except httpx.TransportError:
        raise ServiceUnavailable("the registry cannot be reached; retry shortly", headers=RETRY) from None
    if response.status_code >= 400:
        await _raise_for(response, "registry")
    return {payee["member_id"]: payee for payee in orjson.loads(response.content)["payees"]}
