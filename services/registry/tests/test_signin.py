"""People sign in: the sign-in page, the authorization code with PKCE, TOTP, lock-out, refresh, sign-out."""

from __future__ import annotations

import asyncio
import re
import time

import httpx
import pyotp

from tefu_common.testing import app_client, bearer

from .signin_flow import REDIRECT_URI, create_account, sign_in, start

PASSWORD = "Zhoucun2026ab"


async def test_code_flow_with_pkce_gives_a_persons_token(client, token):
    await create_account(client, token(role="admin", region="370000"), username="clerk-li", role="clerk",
                         region="370306", password=PASSWORD, display_name="李经办")
    flow = start(client)
    page = await flow.open()
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="zh-CN">' in html
    for label in ("用户名", "密码", "动态验证码", ">登录</button>"):
        assert label in html
    assert 'name="username"' in html and 'name="password"' in html and 'name="totp"' in html
    assert "<script" not in html and "style=" not in html and "<style" not in html
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "http://127.0.0.1:8000" in csp  # the form's answer redirects to the console
    stylesheet = await client.get("/oauth/static/signin.css")
    assert stylesheet.status_code == 200 and stylesheet.headers["content-type"].startswith("text/css")

    response = await flow.submit(username="clerk-li", password=PASSWORD)
    code = flow.code_of(response)
    answer = await flow.exchange(code)
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    assert answer.headers["cache-control"] == "no-store"
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900 and tokens["refresh_token"]
    whoami = (await client.get("/v1/whoami", headers=bearer(tokens["access_token"]))).json()
    assert (whoami["subject"], whoami["role"], whoami["region"], whoami["client_id"]) == (
        "clerk-li", "clerk", "370306", "console")
    assert "families:write" in whoami["scopes"] and tokens["scope"] == " ".join(whoami["scopes"])
    me = await client.get("/v1/accounts/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200 and me.json()["display_name"] == "李经办"

    # The code was used: a second exchange fails, and ends the sign-in it gave.
    again = await flow.exchange(code)
    assert again.status_code == 400 and (again.json()["error"], again.json()["code"]) == ("invalid_grant", "code-used")
    assert (await client.get("/v1/whoami", headers=bearer(tokens["access_token"]))).status_code == 401
    refreshed = await client.post("/oauth/token", data={"grant_type": "refresh_token", "client_id": "console",
                                                        "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 400


async def test_a_wrong_verifier_or_redirect_uri_fails_and_uses_the_code_up(client, token):
    await create_account(client, token(role="admin", region="370306"), username="clerk-wang", role="clerk",
                         region="370306", password=PASSWORD)
    flow = start(client)
    await flow.open()
    code = flow.code_of(await flow.submit(username="clerk-wang", password=PASSWORD))
    wrong = await flow.exchange(code, code_verifier=start(client).verifier)
    assert wrong.status_code == 400
    assert (wrong.json()["error"], wrong.json()["code"]) == ("invalid_grant", "code-verifier-mismatch")
    assert (await flow.exchange(code)).json()["code"] == "code-used"  # no second try with the right verifier

    flow = start(client)
    await flow.open()
    code = flow.code_of(await flow.submit(username="clerk-wang", password=PASSWORD))
    elsewhere = await flow.exchange(code, redirect_uri="http://127.0.0.1:8000/other")
    assert elsewhere.status_code == 400 and elsewhere.json()["code"] == "redirect-uri-mismatch"
    assert (await flow.exchange(code, client_id="someone")).status_code == 401

    # A request for an unregistered redirect URI or without PKCE is refused on the page itself.
    flow = start(client)
    flow.redirect_uri = "https://evil.example/callback"
    page = await flow.open()
    assert page.status_code == 400 and flow.alert() == "回调地址未登记，无法登录" and 'name="password"' not in page.text
    flow = start(client)
    flow.challenge = ""
    assert (await flow.open()).status_code == 400


async def test_the_form_needs_its_csrf_token(client, token):
    await create_account(client, token(role="admin", region="370306"), username="clerk-zhao", role="clerk",
                         region="370306", password=PASSWORD)
    flow = start(client)
    await flow.open()
    forged = await client.post("/oauth/authorize", data={**flow.params(), "csrf_token": "made-up",
                                                          "username": "clerk-zhao", "password": PASSWORD})
    assert forged.status_code == 403 and "页面已过期" in forged.text
    client.cookies.clear()
    no_cookie = await client.post("/oauth/authorize", data={**flow.params(), "csrf_token": flow.hidden("csrf_token"),
                                                             "username": "clerk-zhao", "password": PASSWORD})
    assert no_cookie.status_code == 403


async def test_an_approver_enrols_totp_at_first_sign_in_and_then_needs_it(client, token):
    await create_account(client, token(role="admin", region="370306"), username="approver-sun", role="approver",
                         region="370306", password=PASSWORD)
    flow = start(client)
    await flow.open()
    page = await flow.submit(username="approver-sun", password=PASSWORD)
    assert page.status_code == 200
    assert "设置动态验证码" in page.text and "<svg" in page.text and ">确认</button>" in page.text
    assert "<script" not in page.text
    secret = flow.totp_secret()
    wrong = await flow.submit(enrolment=flow.hidden("enrolment"), totp="000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    assert wrong.status_code == 200 and "动态验证码错误" in flow.alert() and "<svg" in wrong.text
    enrolment_code = pyotp.TOTP(secret).now()
    confirmed = await flow.submit(enrolment=flow.hidden("enrolment"), totp=enrolment_code)
    tokens = (await flow.exchange(flow.code_of(confirmed))).json()
    assert (await client.get("/v1/whoami", headers=bearer(tokens["access_token"]))).json()["role"] == "approver"

    # From now on the password alone is not enough.
    flow = start(client)
    await flow.open()
    await flow.submit(username="approver-sun", password=PASSWORD)
    assert flow.alert() == "请输入动态验证码"
    await flow.submit(username="approver-sun", password=PASSWORD, totp="123456" if pyotp.TOTP(secret).now() != "123456" else "654321")
    assert flow.alert() == "动态验证码错误"
    # The code of the enrolment was used already: it cannot be replayed (the very same code, even when
    # the clock has moved on to the next 30 seconds meanwhile), the next one works.
    replayed = await flow.submit(username="approver-sun", password=PASSWORD, totp=enrolment_code)
    assert replayed.status_code == 200 and flow.alert() == "动态验证码错误"
    following = pyotp.TOTP(secret).at(time.time() + 30)
    assert (await flow.submit(username="approver-sun", password=PASSWORD, totp=following)).status_code == 303

    # An admin resets it (a lost phone): the next sign-in enrols again.
    admin = token(role="admin", region="370306")
    account = (await client.get("/v1/accounts", params={"q": "approver-sun"}, headers=bearer(admin))).json()["items"][0]
    assert account["totp_enabled"] is True and account["totp_required"] is True
    reset = await client.post(f"/v1/accounts/{account['id']}/totp/reset", headers=bearer(admin))
    assert reset.status_code == 200 and reset.json()["totp_enabled"] is False
    flow = start(client)
    await flow.open()
    assert "设置动态验证码" in (await flow.submit(username="approver-sun", password=PASSWORD)).text
    assert flow.totp_secret() != secret


async def test_five_wrong_passwords_lock_the_account_until_a_time_shown_or_an_admin_unlocks(client, token):
    admin = token(role="admin", region="370306")
    account = await create_account(client, admin, username="clerk-qian", role="clerk", region="370306", password=PASSWORD)
    flow = start(client)
    await flow.open()
    for _ in range(4):
        await flow.submit(username="clerk-qian", password="Wrong2026pass")
        assert flow.alert() == "用户名或密码错误"
    await flow.submit(username="clerk-qian", password="Wrong2026pass")
    locked = flow.alert()
    assert re.fullmatch(r"账户已锁定，将于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} 解锁", locked or ""), locked
    # While locked, even the right password is refused (and not even checked).
    await flow.submit(username="clerk-qian", password=PASSWORD)
    assert flow.alert() == locked

    shown = (await client.get(f"/v1/accounts/{account['id']}", headers=bearer(admin))).json()
    assert shown["locked_until"] is not None
    unlocked = await client.post(f"/v1/accounts/{account['id']}/unlock", headers=bearer(admin))
    assert unlocked.status_code == 200 and unlocked.json()["locked_until"] is None
    assert (await sign_in(client, "clerk-qian", PASSWORD))["access_token"]

    log = (await client.get("/v1/security-log", params={"username": "clerk-qian", "limit": 100},
                            headers=bearer(admin))).json()["items"]
    events = [(e["event"], e["outcome"], e.get("detail")) for e in log]
    assert events.count(("sign-in", "failure", "wrong-password")) == 5
    assert ("sign-in", "refused", "account-locked") in events
    assert [e for e in log if e["event"] == "account-locked"]
    unlock = next(e for e in log if e["event"] == "account-unlocked")
    assert unlock["actor"] == "test-admin" and unlock["client_address"] == "127.0.0.1"
    assert log[-1]["event"] == "sign-in" and log[-1]["outcome"] == "success"


async def test_parallel_guesses_are_all_counted(client, token):
    admin = token(role="admin", region="370306")
    account = await create_account(client, admin, username="clerk-guo", role="clerk", region="370306", password=PASSWORD)
    transport = httpx.ASGITransport(app=client._transport.app)
    browsers = [httpx.AsyncClient(transport=transport, base_url="http://testserver") for _ in range(8)]
    try:
        flows = [start(browser) for browser in browsers]
        for flow in flows:
            await flow.open()
        await asyncio.gather(*(flow.submit(username="clerk-guo", password="Wrong2026pass") for flow in flows))
    finally:
        for browser in browsers:
            await browser.aclose()
    shown = (await client.get(f"/v1/accounts/{account['id']}", headers=bearer(admin))).json()
    assert shown["locked_until"] is not None
    log = (await client.get("/v1/security-log", params={"username": "clerk-guo", "event": "sign-in"},
                            headers=bearer(admin))).json()["items"]
    # PostgreSQL queues them on the account's row (5 failures, then 3 refused as locked); SQLite may let
    # a few through the password check at once, but each is counted and the account is locked all the same.
    assert len(log) == 8 and sum(e["outcome"] == "failure" for e in log) >= 5
    flow = start(client)
    await flow.open()
    await flow.submit(username="clerk-guo", password=PASSWORD)
    assert (flow.alert() or "").startswith("账户已锁定")


async def test_failures_from_one_address_lock_the_address_whatever_the_usernames(settings, service_under_test, token):
    strict = settings.model_copy(update={"address_failure_limit": 3})
    async with app_client(service_under_test.create_app(strict, configure_logs=False)) as client:
        await create_account(client, token(role="admin", region="370306"), username="clerk-tang", role="clerk",
                             region="370306", password=PASSWORD)
        flow = start(client)
        await flow.open()
        for username in ("nobody-1", "nobody-2"):
            await flow.submit(username=username, password="Whatever2026")
            assert flow.alert() == "用户名或密码错误"  # an unknown username looks like a wrong password
        await flow.submit(username="nobody-3", password="Whatever2026")
        assert re.fullmatch(r"登录失败次数过多，本机地址已锁定，将于 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} 解锁", flow.alert() or "")
        await flow.submit(username="clerk-tang", password=PASSWORD)  # a right password from there waits too
        assert "本机地址已锁定" in (flow.alert() or "")
        # Only the whole country's auditors see attempts on usernames that exist nowhere.
        national = (await client.get("/v1/security-log", params={"event": "address-locked"},
                                     headers=bearer(token(role="auditor", region="000000")))).json()["items"]
        assert len(national) == 1 and national[0]["client_address"] == "127.0.0.1"
        local = (await client.get("/v1/security-log", params={"username": "nobody-1"},
                                  headers=bearer(token(role="auditor", region="370306")))).json()["items"]
        assert local == []


async def test_refresh_tokens_rotate_and_an_old_one_ends_the_sign_in(client, token):
    await create_account(client, token(role="admin", region="420106"), username="clerk-wu", role="clerk",
                         region="420106", password=PASSWORD)
    first = await sign_in(client, "clerk-wu", PASSWORD)
    refresh = {"grant_type": "refresh_token", "client_id": "console"}
    second = await client.post("/oauth/token", data={**refresh, "refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    renewed = second.json()
    assert renewed["refresh_token"] != first["refresh_token"] and renewed["access_token"] != first["access_token"]
    assert (await client.get("/v1/whoami", headers=bearer(renewed["access_token"]))).status_code == 200

    old = await client.post("/oauth/token", data={**refresh, "refresh_token": first["refresh_token"]})
    assert old.status_code == 400 and (old.json()["error"], old.json()["code"]) == ("invalid_grant", "refresh-token-invalid")
    assert old.json()["detail"] == "登录已失效，请重新登录"
    # Someone holds a copy: the newer token is revoked too, and so is the access token issued with it.
    assert (await client.post("/oauth/token", data={**refresh, "refresh_token": renewed["refresh_token"]})).status_code == 400
    assert (await client.get("/v1/whoami", headers=bearer(renewed["access_token"]))).status_code == 401


async def test_sign_out_revokes_the_refresh_token_and_the_access_token(client, token):
    await create_account(client, token(role="admin", region="370306"), username="auditor-he", role="auditor",
                         region="370306", password=PASSWORD)
    tokens = await sign_in(client, "auditor-he", PASSWORD)
    answer = await client.post("/oauth/revoke", data={"token": tokens["refresh_token"], "client_id": "console",
                                                      "token_type_hint": "refresh_token"})
    assert answer.status_code == 200 and answer.json() == {"status": "revoked"}
    assert (await client.get("/v1/whoami", headers=bearer(tokens["access_token"]))).status_code == 401
    refreshed = await client.post("/oauth/token", data={"grant_type": "refresh_token", "client_id": "console",
                                                        "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 400
    # RFC 7009: a token that is not ours is answered 200 as well.
    assert (await client.post("/oauth/revoke", data={"token": "nothing", "client_id": "console"})).status_code == 200
    # Without a bearer token and without client_id=console, revocation stays an admin's.
    assert (await client.post("/oauth/revoke", data={"token": "nothing"})).status_code == 401

    # An access token of the console can be revoked by itself too.
    again = await sign_in(client, "auditor-he", PASSWORD)
    await client.post("/oauth/revoke", data={"token": again["access_token"], "client_id": "console"})
    assert (await client.get("/v1/whoami", headers=bearer(again["access_token"]))).status_code == 401


async def test_a_disabled_account_cannot_sign_in_and_its_sign_ins_end(client, token):
    admin = token(role="admin", region="370306")
    account = await create_account(client, admin, username="clerk-feng", role="clerk", region="370306", password=PASSWORD)
    tokens = await sign_in(client, "clerk-feng", PASSWORD)
    patched = await client.patch(f"/v1/accounts/{account['id']}", json={"disabled": True}, headers=bearer(admin))
    assert patched.status_code == 200 and patched.json()["disabled"] is True
    refreshed = await client.post("/oauth/token", data={"grant_type": "refresh_token", "client_id": "console",
                                                        "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 400
    flow = start(client)
    await flow.open()
    await flow.submit(username="clerk-feng", password=PASSWORD)
    assert flow.alert() == "账户已停用，请联系管理员"
    assert flow.redirect_uri == REDIRECT_URI
