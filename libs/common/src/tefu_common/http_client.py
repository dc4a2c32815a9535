"""HTTP clients for calls between services.

Every client made here has timeouts, attaches the caller's request id and this service's own
bearer token, and retries a bounded number of times with exponential backoff, but only requests
that are safe to repeat: GET/HEAD/OPTIONS/PUT/DELETE, or a POST that carries an
``Idempotency-Key``. A plain POST is never sent twice behind the caller's back.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import ssl
import time
from collections.abc import AsyncGenerator

import httpx

from tefu_common.request_context import REQUEST_ID_HEADER, current_request_id

log = logging.getLogger("tefu.http")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503, 504})

# Calls between the services say so, and stay out of the terminal of `make run` (tefu_common.logs).
SERVICE_HEADERS = {"User-Agent": "tefu-service"}


def release(response: httpx.Response) -> None:
    """Let a response whose body has been read (or whose stream is closed) be freed as soon as the
    caller drops it.

    httpx keeps a response and its stream in a reference cycle (the client wraps the stream in one
    that holds the response, to time it), so only the cyclic collector frees a response, with its
    body; a response that lived through a few young collections (an answer awaited while the
    loop worked) waits for a pass over the old generation, which a process settled by
    ``tefu_common.collector`` runs rarely. A batch of a million lines kept 250 of the registry's
    half-megabyte answers that way: 250 MB. The body already read stays readable."""
    response.stream = httpx.ByteStream(b"")


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The one TLS context of every HTTP client this process makes. Making one reads the CA
    bundle: some 25 ms of CPU with the event loop stopped, which a client made for one call (the
    revocation list every 15 s, a service token, a JWKS) would otherwise cost every request in
    flight at that moment."""
    return httpx.create_ssl_context()


def is_retryable(request: httpx.Request) -> bool:
    return request.method in IDEMPOTENT_METHODS or "idempotency-key" in request.headers


def _is_own_failure(response: httpx.Response) -> bool:
    """A 502 problem document is a service of the suite reporting that its own upstream failed or
    refused: the same request would meet the same answer, so it is not retried (a proxy's 502, which
    says the service could not be reached, is)."""
    return response.status_code == 502 and response.headers.get("content-type", "").startswith("application/problem+json")


class RetryTransport(httpx.AsyncBaseTransport):
    """Retries idempotent requests on connection failures, timeouts and 502/503/504."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport | None = None,
        *,
        retries: int = 3,
        backoff: float = 0.2,
        max_backoff: float = 3.0,
    ) -> None:
        self.inner = inner or httpx.AsyncHTTPTransport(verify=tls_context())
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        retry_after = response.headers.get("retry-after") if response is not None else None
        if retry_after and retry_after.isdigit():
            return min(float(retry_after), self.max_backoff)
        # Full jitter keeps many callers from retrying in lockstep.
        return random.uniform(0, min(self.max_backoff, self.backoff * 2**attempt))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        attempts = self.retries + 1 if is_retryable(request) else 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = await self.inner.handle_async_request(request)
            except (httpx.TransportError,) as exc:
                if last:
                    raise
                log.info("retrying %s %s after %s", request.method, request.url, type(exc).__name__)
                await asyncio.sleep(self._delay(attempt, None))
                continue
            if response.status_code in RETRY_STATUSES and not last and not _is_own_failure(response):
                await response.aclose()
                log.info("retrying %s %s after status %s", request.method, request.url, response.status_code)
                await asyncio.sleep(self._delay(attempt, response))
                continue
            return response
        raise AssertionError("unreachable")  # the loop always returns or raises

    async def aclose(self) -> None:
        await self.inner.aclose()


class ClientCredentialsAuth(httpx.Auth):
    """This service's own token, from the OAuth2 token endpoint, cached until shortly before expiry."""

    def __init__(self, token_url: str, client_id: str, client_secret: str, *, timeout: float = 10.0) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout = timeout
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def token(self, *, refresh: bool = False) -> str:
        async with self._lock:
            if refresh or self._token is None or time.monotonic() > self._expires_at - 60:
                async with httpx.AsyncClient(timeout=self.timeout, transport=RetryTransport(),
                                             headers=SERVICE_HEADERS, verify=tls_context()) as client:
                    response = await client.post(
                        self.token_url,
                        data={"grant_type": "client_credentials"},
                        auth=(self.client_id, self.client_secret),
                        headers={"Idempotency-Key": "token"},  # asking for a token is safe to repeat
                    )
                response.raise_for_status()
                body = response.json()
                self._token = body["access_token"]
                self._expires_at = time.monotonic() + float(body.get("expires_in", 300))
            return self._token

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        request.headers["Authorization"] = f"Bearer {await self.token()}"
        response = yield request
        if response.status_code == 401:
            # The token may have been revoked or the issuer key rotated: one fresh try.
            request.headers["Authorization"] = f"Bearer {await self.token(refresh=True)}"
            yield request


class StaticTokenAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


async def _attach_request_id(request: httpx.Request) -> None:
    request_id = current_request_id()
    if request_id and REQUEST_ID_HEADER not in request.headers:
        request.headers[REQUEST_ID_HEADER] = request_id


def service_client(
    base_url: str,
    *,
    auth: httpx.Auth | None = None,
    timeout: float = 10.0,
    retries: int = 3,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` for calling another Tefu service."""
    return httpx.AsyncClient(
        base_url=base_url,
        auth=auth,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
        transport=RetryTransport(transport, retries=retries),
        event_hooks={"request": [_attach_request_id]},
        headers=SERVICE_HEADERS,
        verify=tls_context(),  # for the proxies' transports (HTTPS_PROXY and the like)
    )
