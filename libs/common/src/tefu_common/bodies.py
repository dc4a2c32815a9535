"""Request bodies are limited before they are read whole: 413 as soon as the limit is passed.

A JSON body may be at most :data:`JSON_LIMIT` bytes (the largest the suite takes, a list of 5,000
member ids, is a tenth of it); any other body (an uploaded file, with its multipart envelope) at
most :data:`UPLOAD_LIMIT`. A declared ``Content-Length`` over the limit is refused before a byte is
read; a body without one (chunked) is counted as it arrives and refused at the byte that passes
the limit, so a 200 MB upload never costs 200 MB of memory.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tefu_common.errors import PayloadTooLarge, error_response
from tefu_common.i18n import Text

JSON_LIMIT = 2 * 1024 * 1024
UPLOAD_LIMIT = 52 * 1024 * 1024  # files of 50 MB, and the envelope around them


def _refusal(limit: int, *, upload: bool) -> PayloadTooLarge:
    size = f"{limit / (1024 * 1024):.0f} MB"
    if upload:
        return PayloadTooLarge(Text(f"上传内容超过 {size}；请把文件拆分后分别上传",
                                    f"the upload is larger than {size}; split the file and upload the parts"),
                               code="body-too-large")
    return PayloadTooLarge(Text(f"请求内容超过 {size}", f"the request body is larger than {size}"), code="body-too-large")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, json_limit: int = JSON_LIMIT, upload_limit: int = UPLOAD_LIMIT) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        is_json = headers.get(b"content-type", b"").startswith(b"application/json")
        limit = self.json_limit if is_json else self.upload_limit
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await error_response(_refusal(limit, upload=not is_json), scope.get("path"))(scope, receive, send)
            return
        received = 0
        exceeded = started = False

        async def counted() -> Message:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Stop the read here: to the route it is a client gone away, and whatever it
                    # answers to that is replaced by the 413 below.
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def watching(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watching)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await error_response(_refusal(limit, upload=not is_json), scope.get("path"))(scope, receive, send)
