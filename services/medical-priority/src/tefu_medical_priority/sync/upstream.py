"""Calls to the registry and the eligibility service.

The change feed and identities are read with this service's own client credentials (role
``service``): the follower acts for no user. A clerk's hand issue evaluates the family with the
clerk's own token, so the registry applies the clerk's region and logs the read under the clerk.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from tefu_common.errors import NotFound, ProblemError, ServiceUnavailable
from tefu_common.http_client import ClientCredentialsAuth, service_client
from tefu_medical_priority.settings import MedicalPrioritySettings

RETRY = {"Retry-After": "10"}


class UpstreamUnavailable(ServiceUnavailable):
    slug, title = "upstream-unavailable", "Another service is unavailable"


class UpstreamRefused(ProblemError):
    status, slug, title = 502, "upstream-refused", "Another service refused the request"


def _ok(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code >= 400:
        detail = response.json().get("detail") if "json" in response.headers.get("content-type", "") else response.text[:200]
        raise UpstreamRefused(f"{what} answered {response.status_code}: {detail}", upstream_status=response.status_code)
    return response.json()


class Upstream:
    def __init__(self, settings: MedicalPrioritySettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.transport = transport
        auth = settings.auth
        secret = auth.client_secret.get_secret_value() if auth.client_secret else ""
        self.own_auth = (ClientCredentialsAuth(auth.token_url, auth.client_id, secret)
                         if auth.token_url and auth.client_id and secret else None)

    @property
    def configured(self) -> bool:
        return self.own_auth is not None

    def _client(self, base_url: str, auth: httpx.Auth | None) -> httpx.AsyncClient:
        if auth is None:
            raise UpstreamUnavailable("medical priority has no service credentials: set TEFU_MEDICAL_PRIORITY_AUTH__"
                                      "TOKEN_URL, AUTH__CLIENT_ID and AUTH__CLIENT_SECRET", headers=RETRY)
        return service_client(base_url, auth=auth, timeout=self.settings.http_timeout_seconds,
                              retries=self.settings.http_retries, transport=self.transport)

    async def _call(self, base_url: str, auth: httpx.Auth | None, method: str, path: str, **kwargs: Any) -> httpx.Response:
        service = "registry" if base_url == self.settings.registry_url else "eligibility"
        try:
            async with self._client(base_url, auth) as client:
                response = await client.request(method, path, **kwargs)
        except (httpx.TransportError, httpx.HTTPStatusError) as exc:  # the token endpoint's errors too
            raise UpstreamUnavailable(f"the {service} service cannot be reached ({type(exc).__name__}); retry shortly",
                                      headers=RETRY) from None
        if response.status_code >= 500 or response.status_code == 429:
            raise UpstreamUnavailable(f"the {service} service answered {response.status_code}; retry shortly",
                                      headers=RETRY)
        return response

    async def changes(self, after: int, limit: int = 500) -> tuple[list[dict[str, Any]], int]:
        response = await self._call(self.settings.registry_url, self.own_auth, "GET", "/v1/changes",
                                    params={"after": after, "limit": limit})
        body = _ok(response, "the registry's change feed")
        return body["items"], int(body["next_cursor"])

    async def evaluation(self, family_id: int, on: date, auth: httpx.Auth | None = None) -> dict[str, Any] | None:
        """The family's benefits held on the day (None if the registry does not know the family)."""
        response = await self._call(self.settings.eligibility_url, auth or self.own_auth, "GET",
                                    f"/v1/families/{family_id}/evaluation",
                                    params={"as_of": on.isoformat(), "on_the_day": "true"})
        if response.status_code in (403, 404) and auth is not None:  # a clerk's: as if it did not exist
            raise NotFound(f"no family {family_id} in your region")
        if response.status_code == 404:
            return None
        return _ok(response, f"the evaluation of family {family_id}")

    async def people(self, member_ids: list[int]) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        for start in range(0, len(member_ids), 5000):
            response = await self._call(self.settings.registry_url, self.own_auth, "POST", "/v1/people",
                                        json={"member_ids": member_ids[start:start + 5000]},
                                        headers={"Idempotency-Key": "read"})  # a read: safe to retry
            found.update({person["member_id"]: person for person in _ok(response, "the registry's people")["people"]})
        return found
