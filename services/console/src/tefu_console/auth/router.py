"""Signing in and out: /login → the issuer → /auth/callback; POST /logout."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from tefu_console.auth.dependencies import CheckedForm, Sessions, SignedIn
from tefu_console.auth.issuer import SignInFailed
from tefu_console.auth.sessions import COOKIE
from tefu_console.web import render

router = APIRouter(include_in_schema=False)


def _local(target: str | None) -> str:
    # Only a path of this console: never an open redirect to another site.
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _set_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(COOKIE, value, httponly=True, samesite="lax", path="/",
                        secure=request.app.state.settings.cookie_secure)


@router.get("/login")
async def login(request: Request, sessions: Sessions, next: str | None = Query(None, max_length=500)) -> Response:
    start = await sessions.start_sign_in(_local(next))
    response = RedirectResponse(sessions.issuer.authorize_url(state=start.state, challenge=start.challenge),
                                status_code=302)
    _set_cookie(request, response, start.cookie)
    return response


@router.get("/auth/callback")
async def callback(request: Request, sessions: Sessions, code: str | None = Query(None, max_length=512),
                   state: str | None = Query(None, max_length=128), error: str | None = Query(None, max_length=64),
                   error_description: str | None = Query(None, max_length=500)) -> Response:
    if error or not code or not state:
        reason = error_description or ("登录已取消" if error == "access_denied" else "登录未完成")
        return render(request, "signin_failed.html", {"message": reason}, status_code=400)
    try:
        cookie, target = await sessions.finish_sign_in(request.cookies.get(COOKIE), state, code)
    except SignInFailed as failed:
        return render(request, "signin_failed.html", {"message": str(failed)}, status_code=400)
    response = RedirectResponse(_local(target), status_code=303)
    _set_cookie(request, response, cookie)
    return response


@router.post("/logout")
async def logout(request: Request, sessions: Sessions, person: SignedIn, form: CheckedForm) -> Response:
    await sessions.end(person.session_key)
    response = render(request, "signed_out.html", {})
    response.delete_cookie(COOKIE, path="/")
    return response
