"""Calling another service of the suite: one client base, one pair of errors.

An :class:`Upstream` is one other service as this one reaches it: one connection pool for the
life of the app, timeouts, safe retries (tefu_common.http_client), the request id passed on. Each
call is made with one identity:

- the **caller's own token** (:meth:`Upstream.as_caller`): the called service then applies the
  caller's region and roles and logs reads under the caller, never more than the person who asked
  could read directly;
- the **service's own token** (:meth:`Upstream.as_service`, OAuth2 client credentials): for work
  that acts for no user (following the change feed) or data only a service may see (bank details).

Whatever goes wrong becomes one of three problems, each saying what happened:

- the service could not be reached, timed out, was busy or down (429, 503, 504, a proxy's 502) →
  :class:`UpstreamUnavailable` (503 with Retry-After: the caller may retry);
- it answered and refused (a 4xx) → :class:`UpstreamRefused` (502, naming its status and code);
- it failed (a 500, or a 502 problem of its own upstream failing further down) →
  :class:`UpstreamFailed` (502 ``upstream-error``, naming the status, the code and the request id
  to find the failure in that service's log). A failure is not "retry shortly": retrying the same
  request meets the same defect, so it is never reported as unavailability.

Services get
their upstreams as typed FastAPI dependencies (:func:`caller_upstream`, :func:`service_upstream`),
never by looking into the ``Request``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
import orjson
from fastapi import FastAPI, Request

from tefu_common.errors import BadGateway, FieldError, ServiceUnavailable, ValidationFailed
from tefu_common.http_client import ClientCredentialsAuth, StaticTokenAuth, release, service_client
from tefu_common.i18n import Text
from tefu_common.settings import ServiceSettings

RETRY_AFTER = {"Retry-After": "10"}
BUSY_STATUSES = frozenset({429, 502, 503, 504})
# A 502 problem with one of these codes is the upstream's own upstream failing or refusing: a
# failure to pass on as such, not a proxy that cannot reach the service (which is unavailability).
CHAINED_CODES = frozenset({"upstream-refused", "upstream-error"})


class UpstreamUnavailable(ServiceUnavailable):
    code, title = "upstream-unavailable", Text("上游服务暂不可用", "Another service is unavailable")


class UpstreamRefused(BadGateway):
    code, title = "upstream-refused", Text("上游服务拒绝了请求", "Another service refused the request")


class UpstreamFailed(BadGateway):
    code, title = "upstream-error", Text("上游服务出错", "Another service failed")


class Upstream:
    """One other service of the suite, with one connection pool for the life of the app."""

    def __init__(
        self,
        name: str,
        label: Text,
        base_url: str,
        *,
        service_auth: httpx.Auth | None = None,
        timeout: float = 10.0,
        retries: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.label = label  # "登记服务" / "the registry", for messages people read
        self.base_url = base_url
        self.service_auth = service_auth
        self.timeout = timeout
        self.retries = retries
        self.transport = transport
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = service_client(self.base_url, timeout=self.timeout, retries=self.retries,
                                          transport=self.transport)
        return self._client

    def as_caller(self, authorization: str) -> UpstreamCalls:
        """Calls made with the caller's own bearer token (the value of its Authorization header)."""
        token = authorization.split(" ", 1)[1] if " " in authorization else authorization
        return UpstreamCalls(self, StaticTokenAuth(token))

    def as_service(self) -> UpstreamCalls:
        """Calls made with this service's own token; 503 naming the settings when it has none."""
        if self.service_auth is None:
            raise UpstreamUnavailable(Text(
                f"本服务没有调用{self.label.zh}所需的服务凭据（AUTH__TOKEN_URL、AUTH__CLIENT_ID、AUTH__CLIENT_SECRET）",
                f"this service has no credentials of its own to call {self.label.en}: set AUTH__TOKEN_URL, "
                "AUTH__CLIENT_ID and AUTH__CLIENT_SECRET"), headers=RETRY_AFTER)
        return UpstreamCalls(self, self.service_auth)

    @property
    def has_service_credentials(self) -> bool:
        return self.service_auth is not None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


class UpstreamCalls:
    """Calls to one upstream with one identity. Errors come out as the two upstream problems."""

    def __init__(self, upstream: Upstream, auth: httpx.Auth) -> None:
        self.upstream = upstream
        self.auth = auth

    def _unavailable(self, why: str) -> UpstreamUnavailable:
        label = self.upstream.label
        return UpstreamUnavailable(Text(f"{label.zh}暂时无法访问（{why}），请稍后重试", f"{label.en} cannot be reached ({why}); "
                                        "retry shortly"), headers=RETRY_AFTER)

    def _failed(self, status: int, problem: dict[str, Any]) -> UpstreamFailed | UpstreamRefused:
        label = self.upstream.label
        upstream_code = problem.get("upstream_code") if problem.get("code") in CHAINED_CODES else problem.get("code")
        extensions: dict[str, Any] = {"upstream_status": status, "upstream_code": upstream_code or "internal-error"}
        if problem.get("request_id"):
            extensions["upstream_request_id"] = problem["request_id"]
        if problem.get("code") in CHAINED_CODES:  # a failure or refusal further down: say where, with its words
            inner = str(problem.get("detail") or "")
            kind = UpstreamRefused if problem["code"] == UpstreamRefused.code else UpstreamFailed
            return kind(Text(f"{label.zh}报告：{inner}", f"{label.en} reports: {inner}"), **extensions)
        reference = f"，请求编号 {problem['request_id']}" if problem.get("request_id") else ""
        reference_en = f", request id {problem['request_id']}" if problem.get("request_id") else ""
        return UpstreamFailed(Text(f"{label.zh}处理请求时出错（HTTP {status}{reference}），请把请求编号报告给运维人员",
                                   f"{label.en} failed on the request (HTTP {status}{reference_en}); report the "
                                   "request id to operations"), **extensions)

    def check(self, response: httpx.Response, *, allow: Collection[int] = (), pass_validation: bool = False) -> None:
        """Raise the upstream problem for an error status not in ``allow``; the body must be read."""
        status = response.status_code
        if status < 400 or status in allow:
            return
        problem = _problem_of(response)
        label = self.upstream.label
        if status >= 500 and (status not in BUSY_STATUSES or (status == 502 and problem.get("code") in CHAINED_CODES)):
            raise self._failed(status, problem)
        if status in BUSY_STATUSES:
            raise self._unavailable(f"HTTP {status}")
        if status == 422 and pass_validation and problem.get("errors"):
            raise ValidationFailed([FieldError(str(e.get("field", "")), str(e.get("code", "validation-error")),
                                               Text(str(e.get("detail", "")), str(e.get("detail", ""))))
                                    for e in problem["errors"]])
        detail = problem.get("detail") or response.text[:200]
        raise UpstreamRefused(Text(f"{label.zh}拒绝了请求（HTTP {status}）：{detail}",
                                   f"{label.en} refused the request (HTTP {status}): {detail}"),
                              upstream_status=status, upstream_code=problem.get("code"))

    async def request(self, method: str, path: str, *, allow: Collection[int] = (), pass_validation: bool = False,
                      **kwargs: Any) -> httpx.Response:
        """Send one request; the response of a success (or of a status in ``allow``)."""
        try:
            response = await self.upstream.client.request(method, path, auth=self.auth, **kwargs)
        except httpx.TimeoutException:
            raise self._unavailable("timeout") from None
        except (httpx.TransportError, httpx.HTTPStatusError) as exc:  # the token endpoint's errors too
            raise self._unavailable(type(exc).__name__) from None
        release(response)  # its body is read: freed with the caller's last reference
        self.check(response, allow=allow, pass_validation=pass_validation)
        return response

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.request(method, path, **kwargs)
        return orjson.loads(response.content)

    @asynccontextmanager
    async def stream(self, method: str, path: str, *, pass_validation: bool = False,
                     timeout: float | None = None, **kwargs: Any) -> AsyncIterator[httpx.Response]:
        """A streamed response, its status checked before the first byte of the body is read
        (so the caller can still answer with a clean problem). A stream that breaks half-way
        raises :class:`UpstreamUnavailable` from the read."""
        client = self.upstream.client
        if timeout is not None:
            kwargs["timeout"] = httpx.Timeout(timeout, connect=min(timeout, 3.0))
        try:
            request = client.build_request(method, path, **kwargs)
            response = await client.send(request, auth=self.auth, stream=True)
        except httpx.TimeoutException:
            raise self._unavailable("timeout") from None
        except (httpx.TransportError, httpx.HTTPStatusError) as exc:
            raise self._unavailable(type(exc).__name__) from None
        try:
            if response.status_code >= 400:
                await response.aread()
                self.check(response, pass_validation=pass_validation)
            try:
                yield response
            except httpx.TransportError as exc:
                raise self._unavailable(f"the stream broke: {type(exc).__name__}") from None
        finally:
            await response.aclose()
            release(response)

    async def ndjson(self, method: str, path: str, *, pass_validation: bool = False, timeout: float | None = None,
                     **kwargs: Any) -> AsyncIterator[Any]:
        """The objects of a streamed NDJSON answer, one by one, never holding the whole body."""
        async with self.stream(method, path, pass_validation=pass_validation, timeout=timeout, **kwargs) as response:
            pending = b""
            async for chunk in response.aiter_bytes():
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for line in complete:
                    if line:
                        yield orjson.loads(line)
            if pending.strip():
                yield orjson.loads(pending)


def _problem_of(response: httpx.Response) -> dict[str, Any]:
    if "json" not in response.headers.get("content-type", ""):
        return {}
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}


def service_auth_from(settings: ServiceSettings) -> httpx.Auth | None:
    """This service's own client credentials, if its settings give them."""
    auth = settings.auth
    secret = auth.client_secret.get_secret_value() if auth.client_secret else ""
    if auth.token_url and auth.client_id and secret:
        return ClientCredentialsAuth(auth.token_url, auth.client_id, secret)
    return None


# --- typed dependencies ------------------------------------------------------------------------------

Client = TypeVar("Client")


def upstream_of(app: FastAPI, name: str) -> Upstream:
    upstream: Upstream = app.state.upstreams[name]
    return upstream


def caller_upstream(name: str, client: Callable[[UpstreamCalls], Client] = lambda calls: calls) -> Callable[..., Client]:  # type: ignore[assignment,return-value]
    """A dependency giving ``client`` over the upstream ``name``, called with the caller's token."""

    async def dependency(request: Request) -> Client:
        return client(upstream_of(request.app, name).as_caller(request.headers.get("authorization", "")))

    return dependency


def service_upstream(name: str, client: Callable[[UpstreamCalls], Client] = lambda calls: calls) -> Callable[..., Client]:  # type: ignore[assignment,return-value]
    """A dependency giving ``client`` over the upstream ``name``, called with this service's own token."""

    async def dependency(request: Request) -> Client:
        return client(upstream_of(request.app, name).as_service())

    return dependency
