"""The request id: read from ``X-Request-ID`` or made up, kept in a context variable.

The id travels with every log line of the request and on every call the request makes to
another service, so one user action can be followed across the suite.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tefu_common.i18n import negotiate, reset_language, set_language

REQUEST_ID_HEADER = "X-Request-ID"
_request_id: ContextVar[str | None] = ContextVar("tefu_request_id", default=None)
# A caller's id is reused only if it looks like an id: it ends up in logs and headers.
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def current_request_id() -> str | None:
    return _request_id.get()


def new_request_id() -> str:
    return os.urandom(16).hex()  # 128 random bits, as a uuid4 has, for less


def set_request_id(value: str | None) -> None:
    _request_id.set(value)


class RequestIdMiddleware:
    """Pure ASGI middleware so the id is set before any other middleware or handler runs.

    It is also where the language of the request is chosen (``Accept-Language``) and where each
    request is observed once it is answered (``on_done``: the access log line and the metrics), so
    a request passes one wrapper for all of these instead of one each.
    """

    def __init__(self, app: ASGIApp, on_done: Callable[[Scope, int, float], None] | None = None) -> None:
        self.app = app
        self.on_done = on_done

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        accept_language = None
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
            elif name == b"accept-language":
                accept_language = value.decode("latin-1")
        request_id = incoming if incoming and _ACCEPTABLE.match(incoming) else new_request_id()
        token = _request_id.set(request_id)
        language = set_language(negotiate(accept_language))
        started = time.perf_counter()
        status = 500  # if no response ever started
        header = (b"x-request-id", request_id.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.on_done is not None:
                self.on_done(scope, status, time.perf_counter() - started)
            _request_id.reset(token)
            reset_language(language)


class ResponseStatus:
    """A ``send`` wrapper that remembers the status a response started with (None: not started)."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.status: int | None = None

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        await self.send(message)
