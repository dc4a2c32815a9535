"""The sign-in page of the token issuer: ``GET``/``POST /oauth/authorize`` (the rules are in accounts.signin and oauth.people).

Server-rendered zh-CN HTML with its own stylesheet and no script at all, under a strict Content
Security Policy. The form carries a CSRF token that must equal the one in a short-lived signed
cookie (a page of another site cannot read the cookie, so it cannot post a valid form). The
OAuth parameters travel as hidden fields and are checked again on every post.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from tefu_common.db import DbSession
from tefu_registry.accounts import totp
from tefu_registry.accounts.addresses import client_address
from tefu_registry.accounts.models import Account
from tefu_registry.accounts.signin import confirm_enrolment, sign_in
from tefu_registry.oauth import people

HERE = Path(__file__).resolve().parent
STYLESHEET = "/oauth/static/signin.css"
CSRF_COOKIE = "tefu_signin_csrf"
FORM_MAX_AGE = 600  # seconds a sign-in page stays usable
OAUTH_FIELDS = ("response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method")

templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
router = APIRouter(tags=["auth"])

SIGNIN_DESCRIPTION = (
    "\n\nThe console sends the person here (a browser navigation, not an API call) with `response_type=code`, "
    "`client_id=console`, a registered `redirect_uri`, `state`, and PKCE `code_challenge` with "
    "`code_challenge_method=S256`. The form posts `username` (用户名), `password` (密码), `totp` (动态验证码), "
    "`csrf_token` and the OAuth parameters back to `POST /oauth/authorize`. An admin or approver signing in for "
    "the first time gets an enrolment step (the TOTP secret as text and an SVG QR code) and confirms it with a "
    "code (`totp`, button 确认). A request with an unknown client or redirect URI is refused on the page and "
    "sends nobody anywhere."
)


def _serializer(request: Request, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.signin_secret, salt=f"tefu-signin-{purpose}")


def _policy(request: Request) -> people.PeoplePolicy:
    return request.app.state.people_policy


def content_security_policy(redirect_uris: tuple[str, ...]) -> str:
    # form-action also governs where the form's answer may redirect: the console's origins.
    origins = sorted({f"{u.scheme}://{u.netloc}" for u in map(urlsplit, redirect_uris) if u.scheme and u.netloc})
    form_action = " ".join(["'self'", *origins])
    return (f"default-src 'none'; style-src 'self'; img-src 'self' data:; form-action {form_action}; "
            "frame-ancestors 'none'; base-uri 'none'")


def _page(request: Request, *, status: int = 200, error: str | None = None, oauth: dict[str, str], request_ok: bool = True,
          username: str = "", ask_totp: bool = False, enrol_account: Account | None = None) -> HTMLResponse:
    csrf = secrets.token_urlsafe(24)
    values: dict[str, object] = {
        "stylesheet": STYLESHEET, "action": "/oauth/authorize", "error": error, "request_ok": request_ok,
        "username": username, "ask_totp": ask_totp, "csrf_token": csrf, "enrol": enrol_account is not None,
        "oauth_fields": [(name, oauth.get(name) or "") for name in OAUTH_FIELDS],
    }
    if enrol_account is not None and enrol_account.totp_secret:
        secret = enrol_account.totp_secret
        values.update(
            username=enrol_account.username,
            secret=totp.grouped(secret),
            qr_svg=Markup(totp.qr_svg(secret, enrol_account.username)),  # segno's own SVG: no script, no style
            enrolment=_serializer(request, "enrolment").dumps(
                {"account": enrol_account.id, "secret": hashlib.sha256(secret.encode()).hexdigest()[:16]}),
        )
    response = HTMLResponse(templates.get_template("signin.html").render(**values), status_code=status)
    secure = request.url.scheme == "https"
    response.set_cookie(CSRF_COOKIE, _serializer(request, "csrf").dumps(csrf), max_age=FORM_MAX_AGE, path="/oauth",
                        httponly=True, samesite="strict", secure=secure)
    _harden(request, response)
    return response


def _harden(request: Request, response: Response) -> None:
    response.headers["Content-Security-Policy"] = content_security_policy(_policy(request).redirect_uris)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"


# RFC 6749 §4.1.2.1: a request naming an unknown client or redirect URI is never sent back to
# that URI; the person gets the page, saying what is wrong, and no form.
BAD_SIGNIN_REQUEST: dict[int | str, dict[str, Any]] = {400: {
    "description": "The sign-in request itself is wrong (unknown client, redirect URI not registered, no PKCE): "
                   "the page says why, in `role=\"alert\"`, without the form.",
    "content": {"text/html": {"example": "<div class=\"error\" role=\"alert\">未知的客户端，无法登录</div>"}}}}


def _request_problem(request: Request, oauth: dict[str, str]) -> str | None:
    problem = people.authorize_problem(_policy(request), response_type=oauth.get("response_type"),
                                       client_id=oauth.get("client_id"), redirect_uri=oauth.get("redirect_uri"),
                                       code_challenge=oauth.get("code_challenge"),
                                       code_challenge_method=oauth.get("code_challenge_method"))
    return problem.zh if problem else None


@router.get(
    "/oauth/authorize",
    response_class=HTMLResponse,
    summary="登录页（OAuth 2.0 授权码 + PKCE）",
    description="人员登录工作台的中文登录页。" + SIGNIN_DESCRIPTION,
    responses={200: {"content": {"text/html": {"example": "<!doctype html><html lang=\"zh-CN\">…登录…</html>"}}},
               **BAD_SIGNIN_REQUEST},
)
async def authorize_page(
    request: Request,
    response_type: Annotated[str | None, Query()] = None,
    client_id: Annotated[str | None, Query()] = None,
    redirect_uri: Annotated[str | None, Query()] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
    code_challenge: Annotated[str | None, Query(max_length=128)] = None,
    code_challenge_method: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    oauth = {"response_type": response_type, "client_id": client_id, "redirect_uri": redirect_uri, "state": state,
             "code_challenge": code_challenge, "code_challenge_method": code_challenge_method}
    problem = _request_problem(request, oauth)  # type: ignore[arg-type]
    if problem:
        return _page(request, status=400, error=problem, oauth={}, request_ok=False)
    return _page(request, oauth=oauth)  # type: ignore[arg-type]


@router.post(
    "/oauth/authorize",
    response_class=HTMLResponse,
    status_code=303,
    summary="提交登录表单",
    description=(
        "提交用户名、密码和动态验证码。成功时 303 跳转到 `redirect_uri?code=…&state=…`（授权码一次有效，60 秒内使用）；"
        "失败时返回同一页面，原因在 `role=\"alert\"` 的元素中（如“用户名或密码错误”“账户已锁定，将于 … 解锁”）。"
        + SIGNIN_DESCRIPTION +
        " Five failures within 15 minutes lock the account for 15 minutes, twenty from one client address lock "
        "the address; the page says when the lock lifts. Every attempt is in the security log."
    ),
    responses={200: {"description": "The page again, with the reason in `role=\"alert\"`.",
                     "content": {"text/html": {"example": "<div class=\"error\" role=\"alert\">用户名或密码错误</div>"}}},
               303: {"description": "Signed in: to `redirect_uri?code=…&state=…`."}, **BAD_SIGNIN_REQUEST,
               403: {"description": "The form is stale (its CSRF token or enrolment expired): the page asks to sign "
                                    "in again.",
                     "content": {"text/html": {"example": "<div class=\"error\" role=\"alert\">页面已过期，请重新登录</div>"}}}},
)
async def authorize_submit(
    request: Request,
    session: DbSession,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    totp_code: Annotated[str, Form(alias="totp", max_length=32)] = "",
    enrolment: Annotated[str, Form(max_length=1024)] = "",
    response_type: Annotated[str, Form()] = "",
    client_id: Annotated[str, Form()] = "",
    redirect_uri: Annotated[str, Form(max_length=2048)] = "",
    state: Annotated[str, Form(max_length=512)] = "",
    code_challenge: Annotated[str, Form(max_length=128)] = "",
    code_challenge_method: Annotated[str, Form()] = "",
) -> Response:
    oauth = {"response_type": response_type, "client_id": client_id, "redirect_uri": redirect_uri, "state": state,
             "code_challenge": code_challenge, "code_challenge_method": code_challenge_method}
    problem = _request_problem(request, oauth)
    if problem:
        return _page(request, status=400, error=problem, oauth={}, request_ok=False)
    if not _csrf_ok(request, csrf_token):
        return _page(request, status=403, error="页面已过期，请重新登录", oauth=oauth, username=username.strip()[:64])
    address = client_address(request)
    policy = request.app.state.lock_policy
    if enrolment:
        account = await _enrolling(request, session, enrolment)
        if account is None:
            return _page(request, status=403, error="设置已过期，请重新登录", oauth=oauth)
        outcome = await confirm_enrolment(session, account=account, totp_code=totp_code, address=address, policy=policy)
    else:
        outcome = await sign_in(session, username=username, password=password, totp_code=totp_code or None,
                                address=address, policy=policy)
    if outcome.enrol and outcome.account is not None:
        return _page(request, error=outcome.refusal.zh if outcome.refusal else None, oauth=oauth,
                     enrol_account=outcome.account)
    if not outcome.signed_in or outcome.account is None:
        return _page(request, error=outcome.refusal.zh if outcome.refusal else "登录失败", oauth=oauth,
                     username=username.strip().lower()[:64], ask_totp=outcome.ask_totp)
    code = await people.issue_code(session, _policy(request), account=outcome.account, client_id=client_id,
                                   redirect_uri=redirect_uri, code_challenge=code_challenge)
    query = urlencode({"code": code, **({"state": state} if state else {})})
    response = RedirectResponse(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{query}", status_code=303)
    response.delete_cookie(CSRF_COOKIE, path="/oauth")
    _harden(request, response)
    return response


def _csrf_ok(request: Request, submitted: str) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not submitted:
        return False
    try:
        expected = _serializer(request, "csrf").loads(cookie, max_age=FORM_MAX_AGE)
    except BadSignature:
        return False
    return isinstance(expected, str) and secrets.compare_digest(expected, submitted)


async def _enrolling(request: Request, session: DbSession, enrolment: str) -> Account | None:
    """The account whose enrolment page this is, if the page is recent and its secret still pending."""
    try:
        data = _serializer(request, "enrolment").loads(enrolment, max_age=FORM_MAX_AGE)
    except BadSignature:
        return None
    account = await session.get(Account, int(data.get("account", 0))) if isinstance(data, dict) else None
    if account is None or not account.totp_secret or account.totp_confirmed:
        return None
    if hashlib.sha256(account.totp_secret.encode()).hexdigest()[:16] != data.get("secret"):
        return None  # the secret was reset since the page was shown
    return account


@router.get("/oauth/static/signin.css", include_in_schema=False)
async def stylesheet() -> Response:
    return Response((HERE / "static" / "signin.css").read_bytes(), media_type="text/css",
                    headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})
