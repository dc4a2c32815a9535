"""Reading facts from the registry, with the caller's own token.

The caller's bearer token is passed on, so the registry applies the caller's region scope and
writes the read to its access log under the caller's name: the eligibility service never reads
more of the register than the person who asked could read directly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
from fastapi import Request

from tefu_common.errors import NotFound, ProblemError, ServiceUnavailable
from tefu_common.http_client import StaticTokenAuth, service_client


class RegistryError(ProblemError):
    status, slug, title = 502, "registry-error", "The registry refused the request"


def registry_client(request: Request, *, timeout: float | None = None) -> httpx.AsyncClient:
    settings = request.app.state.settings
    return service_client(
        settings.registry_url,
        auth=StaticTokenAuth.forwarded(request.headers),
        timeout=timeout or settings.http_timeout_seconds,
        retries=settings.http_retries,
        transport=getattr(request.app.state, "registry_transport", None),
    )


def _raise_for(response: httpx.Response, what: str) -> None:
    if response.status_code == 404:
        raise NotFound(f"{what} was not found in the registry (or is outside your region)")
    if response.status_code in (502, 503, 504):
        raise ServiceUnavailable("the registry is unavailable; retry shortly", headers={"Retry-After": "5"})
    if response.status_code >= 400:
        detail = response.json().get("detail") if "json" in response.headers.get("content-type", "") else None
        raise RegistryError(f"the registry answered {response.status_code} for {what}: {detail or response.text[:200]}",
                            upstream_status=response.status_code)


async def family_facts(request: Request, family_id: int, as_of: date) -> dict[str, Any]:
    try:
        async with registry_client(request) as client:
            response = await client.get(f"/v1/families/{family_id}/facts", params={"as_of": as_of.isoformat()})
    except httpx.TransportError:
        raise ServiceUnavailable("the registry cannot be reached; retry shortly", headers={"Retry-After": "5"}) from None
    _raise_for(response, f"family {family_id}")
    return response.json()


class FactsStream:
    """An open ``GET /v1/facts`` response: headers checked, body not yet read."""

    def __init__(self, client: httpx.AsyncClient, response: httpx.Response) -> None:
        self.client = client
        self.response = response

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.response.aiter_bytes():
                yield chunk
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        await self.response.aclose()
        await self.client.aclose()


async def open_region_facts(request: Request, region: str, as_of: date) -> FactsStream:
    """Start the registry's NDJSON facts stream for a region; errors before the first byte are
    raised here, so the caller still gets a clean problem response."""
    client = registry_client(request, timeout=max(request.app.state.settings.http_timeout_seconds, 60.0))
    try:
        outgoing = client.build_request("GET", "/v1/facts", params={"region": region, "as_of": as_of.isoformat()})
        response = await client.send(outgoing, stream=True)
    except httpx.TransportError:
        await client.aclose()
        raise ServiceUnavailable("the registry cannot be reached; retry shortly", headers={"Retry-After": "5"}) from None
    if response.status_code >= 400:
        await response.aread()
        await response.aclose()
        await client.aclose()
        _raise_for(response, f"the facts of region {region}")
    return FactsStream(client, response)
