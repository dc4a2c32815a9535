"""Signing in: /login sends the browser to the issuer with PKCE; the session lives on the server."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import httpx

from tefu_console.auth.models import ConsoleSession
from tefu_console.auth.sessions import COOKIE
from tefu_common.testing import app_client, bearer

from .conftest import CONSOLE_URL, csrf_of, sign_in


async def _row(app, cookie: str) -> ConsoleSession | None:
    async with app.state.database.sessionmaker() as db:
        return await db.get(ConsoleSession, hashlib.sha256(cookie.encode()).hexdigest())


async def test_login_sends_the_browser_to_the_issuer_with_an_s256_challenge_and_a_state(settings, service_under_test):
    app = service_under_test.create_app(settings, configure_logs=False)
    async with app_client(app, base_url=CONSOLE_URL) as http:
        answer = await http.get("/login", params={"next": "/families?q=李秀英"})
        assert answer.status_code == 302
        target = urlsplit(answer.headers["location"])
        assert f"{target.scheme}://{target.netloc}{target.path}" == "http://issuer.example:8001/oauth/authorize"
        query = {k: v[0] for k, v in parse_qs(target.query).items()}
        assert query["response_type"] == "code" and query["client_id"] == "console"
        assert query["redirect_uri"] == "http://127.0.0.1:8000/auth/callback"
        assert query["code_challenge_method"] == "S256" and len(query["state"]) >= 32

        cookie = answer.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
        row = await _row(app, http.cookies[COOKIE])
        # Only the challenge went to the browser; the verifier it derives from stays in the session.
        digest = hashlib.sha256(row.pending_verifier.encode()).digest()
        assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == query["code_challenge"]
        assert row.pending_verifier not in answer.headers["location"]
        assert row.pending_state == query["state"] and row.return_to == "/families?q=李秀英"
        assert row.access_token is None


async def test_a_callback_whose_state_is_not_the_sessions_is_refused_without_asking_the_issuer(settings,
                                                                                              service_under_test):
    app = service_under_test.create_app(settings, configure_logs=False)
    async with app_client(app, base_url=CONSOLE_URL) as http:
        await http.get("/login")
        refused = await http.get("/auth/callback", params={"code": "abc", "state": "not-the-state"})
        assert refused.status_code == 400
        assert 'role="alert"' in refused.text and "登录请求已失效" in refused.text
        cancelled = await http.get("/auth/callback", params={"error": "access_denied", "state": "x"})
        assert cancelled.status_code == 400 and "登录已取消" in cancelled.text


async def test_login_never_sends_the_browser_back_to_another_site(settings, service_under_test):
    app = service_under_test.create_app(settings, configure_logs=False)
    async with app_client(app, base_url=CONSOLE_URL) as http:
        await http.get("/login", params={"next": "//evil.example/steal"})
        assert (await _row(app, http.cookies[COOKIE])).return_to == "/"


async def test_a_page_without_a_session_goes_to_sign_in_and_comes_back(settings, service_under_test):
    app = service_under_test.create_app(settings, configure_logs=False)
    async with app_client(app, base_url=CONSOLE_URL) as http:
        answer = await http.get("/families", params={"status": "special"})
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=/families%3Fstatus%3Dspecial"


async def test_a_session_idle_past_the_timeout_ends(settings, service_under_test, token):
    app = service_under_test.create_app(settings.model_copy(update={"session_idle_minutes": 30}), configure_logs=False)
    async with app_client(app, base_url=CONSOLE_URL) as http:
        stale = await sign_in(app, token(), last_seen=datetime.now(timezone.utc) - timedelta(minutes=31))
        http.cookies.set(COOKIE, stale)
        answer = await http.get("/families")
        assert answer.status_code == 401
        assert "请重新登录" in answer.text and 'href="/login?next=/families"' in answer.text
        assert await _row(app, stale) is None  # gone, not only refused

        fresh = await sign_in(app, token(), last_seen=datetime.now(timezone.utc) - timedelta(minutes=29))
        before = (await _row(app, fresh)).last_seen_at
        http.cookies.set(COOKIE, fresh)
        await http.get("/families/new")
        assert (await _row(app, fresh)).last_seen_at > before  # each request restarts the idle clock


async def test_sign_out_ends_the_session_and_clears_the_cookie(settings, service_under_test, token):
    app = service_under_test.create_app(settings, configure_logs=False)
    async with app_client(app, base_url=CONSOLE_URL) as http:
        cookie = await sign_in(app, token())
        http.cookies.set(COOKIE, cookie)
        csrf = await csrf_of(http, "/families/new")
        answer = await http.post("/logout", data={"csrf_token": csrf})
        assert answer.status_code == 200 and "已安全退出" in answer.text
        assert f'{COOKIE}=""' in answer.headers["set-cookie"] and "Max-Age=0" in answer.headers["set-cookie"]
        assert await _row(app, cookie) is None


async def test_a_clerk_signs_in_at_the_issuer_and_out_again(suite, token):
    """The whole flow against the real registry: its sign-in page, its code, its token endpoint."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=suite.registry),
                                 base_url="http://issuer.example:8001") as issuer:
        made = await issuer.post("/v1/accounts", headers=bearer(token(role="admin", region="370000")), json={
            "username": "clerk-zhoucun", "display_name": "周村区经办员", "role": "clerk", "region": "370306",
            "password": "Zhoucun2026ab"})
        assert made.status_code == 201, made.text

        to_issuer = await suite.http.get("/login", params={"next": "/families"})
        sign_in_page = await issuer.get(to_issuer.headers["location"])
        assert sign_in_page.status_code == 200 and "登录" in sign_in_page.text
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', sign_in_page.text))
        back = await issuer.post("/oauth/authorize", data={**hidden, "username": "clerk-zhoucun",
                                                            "password": "Zhoucun2026ab"})
        assert back.status_code == 303, back.text[:1000]
        callback = urlsplit(back.headers["location"])
        assert f"{callback.scheme}://{callback.netloc}{callback.path}" == "http://127.0.0.1:8000/auth/callback"

    before = suite.http.cookies[COOKIE]
    landed = await suite.http.get(f"/auth/callback?{callback.query}")
    assert landed.status_code == 303 and landed.headers["location"] == "/families"
    after = suite.http.cookies[COOKIE]
    assert after != before  # a new session under a new cookie once signed in
    row = await _row(suite.console, after)
    assert (row.subject, row.role, row.region, row.display_name) == ("clerk-zhoucun", "clerk", "370306", "周村区经办员")
    assert row.access_token and row.refresh_token and row.pending_verifier is None
    assert row.access_token not in landed.text and row.access_token not in str(landed.headers)

    page = await suite.http.get("/families")
    assert page.status_code == 200 and "周村区经办员" in page.text

    async with suite.console.state.database.sessionmaker() as db:  # the access token runs out
        stored = await db.get(ConsoleSession, row.id)
        stored.access_expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
        await db.commit()
    assert (await suite.http.get("/families")).status_code == 200
    renewed = await _row(suite.console, after)
    assert renewed.access_token != row.access_token and renewed.refresh_token != row.refresh_token  # rotated
    row = renewed
    again = await suite.http.get(f"/auth/callback?{callback.query}")  # the code and the state are single use
    assert again.status_code == 400

    csrf = await csrf_of(suite.http, "/families")
    await suite.http.post("/logout", data={"csrf_token": csrf})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=suite.registry), base_url="http://registry") as api:
        revoked = await api.get("/v1/whoami", headers=bearer(row.access_token))
    assert revoked.status_code == 401  # revoked at the issuer, not only forgotten here
