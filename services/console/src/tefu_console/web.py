"""Templates, the security headers of every answer, and the check of every form's CSRF token."""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tefu_console import formats
from tefu_console.problems import CsrfRefused

PACKAGE = Path(__file__).resolve().parent

templates = Jinja2Templates(directory=PACKAGE / "templates")
templates.env.filters.update(date_zh=formats.date_zh, datetime_zh=formats.datetime_zh, money=formats.money,
                             label=formats.label, change_zh=formats.change_zh)
# The main menu: (address, text, area, the scope it needs or None). An entry whose scope the person
# lacks is not shown; the page itself still refuses them (the 403 page).
templates.env.globals["NAVIGATION"] = [
    ("/", "工作台", "home", None), ("/families", "家庭", "families", None),
    ("/duties", "联系人", "duties", "families:read"), ("/reviews", "核查任务", "reviews", "families:read"),
    ("/imports", "导入", "imports", None),
    ("/payments", "发放", "payments", None), ("/reports", "报表", "reports", None),
    ("/supervision", "督导检查", "supervision", "supervision:read"),
    ("/returns", "报送提醒", "returns", "supervision:read"), ("/accounts", "账户", "accounts", None),
]


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def content_security_policy(issuer_url: str) -> str:
    """The CSP of every page: only this console's own files; forms post here or to the issuer."""
    parts = urlsplit(issuer_url)
    issuer = f"{parts.scheme}://{parts.netloc}"
    return (f"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"form-action 'self' {issuer}; frame-ancestors 'none'")


class SecurityHeadersMiddleware:
    """Adds the CSP and the other protective headers to every answer, pages and files alike.

    Pages show personal data, so they are not cached; the referrer never leaves the console (an
    authorization code in a URL stays out of other sites' logs).
    """

    def __init__(self, app: ASGIApp, *, csp: str) -> None:
        self.app = app
        self.headers = {
            "content-security-policy": csp,
            "x-content-type-options": "nosniff",
            "x-frame-options": "DENY",
            "referrer-policy": "same-origin",
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
                if not is_static and "cache-control" not in headers:
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def check_csrf(form: FormData, expected: str) -> FormData:
    """The form, if its ``csrf_token`` is the session's; otherwise the 403 page."""
    sent = form.get("csrf_token")
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRefused()
    return form


MACHINE_PATHS = ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/redoc")


class ProblemPagesMiddleware:
    """The suite's own last-resort answers (an unexpected error, this console's database away) are
    problem+json; a person gets them as a page instead: 503 as "服务暂时不可用", anything else as
    an error page naming the request id. Health checks and the progress bar's JSON keep the JSON."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(MACHINE_PATHS) or path.endswith("/progress"):
            await self.app(scope, receive, send)
            return
        held: dict[str, Message] = {}

        async def send_as_page(message: Message) -> None:
            if message["type"] == "http.response.start":
                if MutableHeaders(scope=message).get("content-type", "").startswith("application/problem+json"):
                    held["start"] = message
                    return
            elif "start" in held:
                await self._page(held.pop("start"), message.get("body", b""), send)
                held["done"] = message
                return
            elif "done" in held:
                return
            await send(message)

        await self.app(scope, receive, send_as_page)

    async def _page(self, start: Message, body: bytes, send: Send) -> None:
        status = int(start["status"])
        try:
            problem = orjson.loads(body)
        except orjson.JSONDecodeError:
            problem = {}
        if status == 503:
            html = templates.env.get_template("unavailable.html").render(message=problem.get("detail", ""))
        else:
            message = f"{problem.get('detail') or '系统出现意外错误。'}（请求编号 {problem.get('request_id', '—')}）"
            html = templates.env.get_template("error.html").render(title="系统出现意外错误", message=message)
        headers = MutableHeaders(scope=start)
        content = html.encode()
        headers["content-type"] = "text/html; charset=utf-8"
        headers["content-length"] = str(len(content))
        await send({**start, "headers": headers.raw})
        await send({"type": "http.response.body", "body": content, "more_body": False})
