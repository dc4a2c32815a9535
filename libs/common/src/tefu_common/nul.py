"""NUL characters are refused the same way everywhere: a 422 naming the field.

PostgreSQL's text cannot hold U+0000 and would fail the statement (a 500 after part of the work);
no field of the suite has a use for it. So before a route runs, a NUL in the query string, in the
path or in a JSON body (``\\u0000``) is answered with 422 ``nul-character`` on the field that holds
it, and nothing is stored. Bodies that are not JSON (uploaded files) are checked by their parsers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tefu_common.errors import FieldError, ValidationFailed, error_response
from tefu_common.i18n import Text

NUL_TEXT = Text("不能含有空字符（NUL，\\u0000）", "may not contain a NUL character (\\u0000)")


def _paths(value: Any, path: str) -> list[str]:
    """Where in a parsed JSON document a string (or a key) holds a NUL."""
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            here = f"{path}.{key}".replace("\x00", "")
            found += [here] if "\x00" in key else _paths(item, here)
        return found
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _paths(item, f"{path}.{index}")]
    return []


def _refusal(fields: list[str]) -> ValidationFailed:
    return ValidationFailed([FieldError(field, "nul-character", NUL_TEXT) for field in fields])


class NulCharacterMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        fields: list[str] = []
        query = scope.get("query_string", b"")
        if b"%00" in query.lower() or b"\x00" in query:
            fields += [f"query.{name}" for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True)
                       if "\x00" in name or "\x00" in value]
        raw_path = scope.get("raw_path") or scope.get("path", "").encode()
        if b"%00" in raw_path.lower() or "\x00" in scope.get("path", ""):
            fields.append("path")
        headers = dict(scope.get("headers") or [])
        replay: list[Message] = []
        if not fields and headers.get(b"content-type", b"").startswith(b"application/json"):
            body = b""
            while True:
                message = await receive()
                replay.append(message)
                if message["type"] != "http.request":
                    break
                body += message.get("body", b"")
                if not message.get("more_body", False):
                    break
            if b"\\u0000" in body:
                try:
                    fields += _paths(orjson.loads(body), "body")
                except orjson.JSONDecodeError:
                    pass  # not JSON after all: the route's own parsing says so
        if fields:
            await error_response(_refusal(fields), scope.get("path"))(scope, receive, send)
            return
        if not replay:
            await self.app(scope, receive, send)
            return

        async def replayed() -> Message:
            return replay.pop(0) if replay else await receive()

        await self.app(scope, replayed, send)
