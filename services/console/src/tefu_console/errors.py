"""Errors as pages a person understands: never a stack trace, never JSON.

- not signed in → to ``/login`` (or, when the session ran out, a page saying so);
- not allowed (the console's own check, or a service's 403) → the 403 page, with the reason;
- not found → the 404 page; a service refusing → its Chinese detail;
- a service (or this console's database) away → the 503 page "服务暂时不可用，请稍后再试".
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from tefu_common.errors import ProblemError
from tefu_console.problems import NotAllowed, ServiceRefused, SignInRequired
from tefu_console.services import problem_text
from tefu_console.web import render

log = logging.getLogger("tefu.console")


def login_url(back: str) -> str:
    """/login, then back to the page asked for (a path of this console only)."""
    return "/login?next=" + quote(back if back.startswith("/") else "/", safe="/")


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    return render(request, "error.html", {"title": title, "message": message, "status": status}, status_code=status)


def unavailable_page(request: Request, message: str) -> Response:
    response = render(request, "unavailable.html", {"message": message}, status_code=503)
    response.headers["Retry-After"] = "10"
    return response


def install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        target = login_url(exc.return_to if exc.return_to != "/" else request.url.path)
        if exc.expired:
            return render(request, "expired.html", {"login_url": target}, status_code=401)
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(NotAllowed)
    async def _not_allowed(request: Request, exc: NotAllowed) -> Response:
        return render(request, "forbidden.html", {"message": exc.detail}, status_code=403)

    @app.exception_handler(ServiceRefused)
    async def _refused(request: Request, exc: ServiceRefused) -> Response:
        if exc.status == 403:
            return render(request, "forbidden.html", {"message": exc.detail}, status_code=403)
        if exc.status == 404:
            return error_page(request, 404, "没有找到", exc.detail or "没有找到该记录，或它不在你的辖区内。")
        return error_page(request, exc.status, f"{exc.service}没有办理", exc.detail)

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> Response:
        if exc.status >= 500:
            log.warning("page %s: %s", request.url.path, problem_text(exc))
            return unavailable_page(request, problem_text(exc))
        return error_page(request, exc.status, "请求有误", problem_text(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return error_page(request, 400, "请求有误", "页面地址中的参数有误，请从菜单重新进入。")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return error_page(request, 404, "没有找到", "没有这个页面。")
        if exc.status_code == 405:
            return error_page(request, 405, "请求有误", "不支持这样打开这个页面。")
        return error_page(request, exc.status_code, "请求有误", str(exc.detail))
