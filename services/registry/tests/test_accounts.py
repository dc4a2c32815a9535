"""People's accounts: administration within a region, password rules, the security log, the command line."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from tefu_common.db import Database
from tefu_common.testing import bearer
from tefu_registry.accounts.models import Account, SecurityLogEntry
from tefu_registry.accounts.passwords import verify_password

from .signin_flow import create_account, sign_in, start

PASSWORD = "Zhoucun2026ab"
ROOT = Path(__file__).resolve().parents[3]


async def test_an_admin_manages_the_accounts_of_their_region_only(client, token):
    shandong = token(role="admin", region="370000", subject="admin-shandong")
    hubei = token(role="admin", region="420000", subject="admin-hubei")
    clerk = await create_account(client, shandong, username="clerk-zhou", role="clerk", region="370306",
                                 password=PASSWORD, display_name="周经办")
    assert clerk["region_name"] == "周村区" and clerk["created_by"] == "admin-shandong"
    assert clerk["totp_required"] is False and clerk["locked_until"] is None

    outside = await client.post("/v1/accounts", json={"username": "clerk-x", "display_name": "x", "role": "clerk",
                                                       "region": "420106", "password": PASSWORD}, headers=bearer(shandong))
    assert outside.status_code == 422
    assert (outside.json()["code"], outside.json()["field"]) == ("region-outside-scope", "body.region")
    for method, path, body in [
        ("GET", f"/v1/accounts/{clerk['id']}", None),
        ("PATCH", f"/v1/accounts/{clerk['id']}", {"display_name": "改名"}),
        ("POST", f"/v1/accounts/{clerk['id']}/password", {"password": "Another2026x"}),
        ("POST", f"/v1/accounts/{clerk['id']}/unlock", None),
        ("POST", f"/v1/accounts/{clerk['id']}/totp/reset", None),
    ]:
        refused = await client.request(method, path, json=body, headers=bearer(hubei))
        assert refused.status_code == 404 and refused.json()["code"] == "account-not-found", (method, path)
    assert (await client.get("/v1/accounts", headers=bearer(hubei))).json()["items"] == []
    listed = await client.get("/v1/accounts", params={"q": "周"}, headers=bearer(shandong))
    assert [a["username"] for a in listed.json()["items"]] == ["clerk-zhou"]
    moved = await client.patch(f"/v1/accounts/{clerk['id']}", json={"region": "420106"}, headers=bearer(shandong))
    assert moved.status_code == 422 and moved.json()["code"] == "region-outside-scope"

    # Neither a clerk nor an auditor administers accounts.
    assert (await client.get("/v1/accounts", headers=bearer(token(role="clerk", region="370306")))).status_code == 403
    assert (await client.get("/v1/accounts", headers=bearer(token(role="auditor", region="370000")))).status_code == 403

    # The refusals are in the security log too, with the admin who tried.
    log = (await client.get("/v1/security-log", params={"outcome": "refused"},
                            headers=bearer(token(role="auditor", region="000000")))).json()["items"]
    assert {(e["actor"], e["detail"]) for e in log} >= {("admin-hubei", "account-not-found"),
                                                       ("admin-shandong", "region-outside-scope")}


async def test_password_rules_are_explained_in_chinese(client, token):
    admin = token(role="admin", region="370306")
    cases = {
        "Short1": ("password-too-short", "密码至少 10 个字符"),
        "xclerk-ma2026": ("password-contains-username", "密码不能包含用户名"),
        "onlyletterspassword": ("password-letters-and-digits", "密码必须同时包含字母和数字"),
        "1234567890123": ("password-letters-and-digits", "密码必须同时包含字母和数字"),
    }
    for password, (code, detail) in cases.items():
        response = await client.post("/v1/accounts", json={"username": "clerk-ma", "display_name": "马", "role": "clerk",
                                                            "region": "370306", "password": password}, headers=bearer(admin))
        assert response.status_code == 422, password
        body = response.json()
        assert (body["code"], body["field"], body["errors"][0]["detail"]) == (code, "body.password", detail)
        assert password not in response.text
    english = await client.post("/v1/accounts", json={"username": "clerk-ma", "display_name": "马", "role": "clerk",
                                                       "region": "370306", "password": "Short1"},
                                headers={**bearer(admin), "Accept-Language": "en"})
    assert english.json()["errors"][0]["detail"] == "a password has at least 10 characters"
    taken = await create_account(client, admin, username="clerk-ma", role="clerk", region="370306", password=PASSWORD)
    again = await client.post("/v1/accounts", json={"username": "clerk-ma", "display_name": "马", "role": "clerk",
                                                     "region": "370306", "password": PASSWORD}, headers=bearer(admin))
    assert again.status_code == 409 and again.json()["code"] == "account-exists"
    weak = await client.post(f"/v1/accounts/{taken['id']}/password", json={"password": "weak"}, headers=bearer(admin))
    assert weak.status_code == 422 and weak.json()["code"] == "password-too-short"
    hospital = await client.post("/v1/accounts", json={"username": "his-desk", "display_name": "挂号处", "role": "hospital",
                                                        "region": "370306", "password": PASSWORD}, headers=bearer(admin))
    assert hospital.status_code == 422 and hospital.json()["code"] == "institution-missing"


async def test_an_admins_new_password_works_and_ends_the_old_sign_ins(client, token):
    admin = token(role="admin", region="370306")
    account = await create_account(client, admin, username="clerk-chen", role="clerk", region="370306", password=PASSWORD)
    tokens = await sign_in(client, "clerk-chen", PASSWORD)
    answer = await client.post(f"/v1/accounts/{account['id']}/password", json={"password": "Xinmima2026zc"},
                               headers=bearer(admin))
    assert answer.status_code == 200
    refreshed = await client.post("/oauth/token", data={"grant_type": "refresh_token", "client_id": "console",
                                                        "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 400
    assert (await sign_in(client, "clerk-chen", "Xinmima2026zc"))["access_token"]
    flow = start(client)
    await flow.open()
    await flow.submit(username="clerk-chen", password=PASSWORD)
    assert flow.alert() == "用户名或密码错误"


async def test_me_is_for_people_and_the_security_log_for_admins_and_auditors_of_the_region(client, token):
    admin = token(role="admin", region="370306")
    await create_account(client, admin, username="clerk-lu", role="clerk", region="370306", password=PASSWORD)
    await create_account(client, token(role="admin", region="420106"), username="clerk-hu", role="clerk",
                         region="420106", password=PASSWORD)
    for username in ("clerk-lu", "clerk-hu", "clerk-lu"):
        await sign_in(client, username, PASSWORD)
    machine = await client.get("/v1/accounts/me", headers=bearer(token(role="clerk", region="370306")))
    assert machine.status_code == 404 and machine.json()["code"] == "account-not-found"

    auditor = bearer(token(role="auditor", region="370306"))
    page = (await client.get("/v1/security-log", params={"event": "sign-in", "limit": 1}, headers=auditor)).json()
    assert set(page) == {"items", "next_cursor"} and len(page["items"]) == 1 and page["next_cursor"]
    following = (await client.get("/v1/security-log", params={"event": "sign-in", "cursor": page["next_cursor"]},
                                  headers=auditor)).json()
    seen = page["items"] + following["items"]
    assert {e["username"] for e in seen} == {"clerk-lu"}  # nothing of 420106
    assert seen[0]["outcome"] == "success" and seen[0]["client_address"] == "127.0.0.1"
    assert (await client.get("/v1/security-log", headers=bearer(token(role="clerk", region="370306")))).status_code == 403


async def test_passwords_and_codes_never_appear_in_logs_answers_or_the_database(client, token, caplog, settings):
    caplog.set_level(logging.DEBUG)
    admin = token(role="admin", region="370306")
    secret_password = "Mimabuxian2026q"
    wrong_password = "Cuowumima2026z"
    account = await create_account(client, admin, username="approver-yu", role="approver", region="370306",
                                   password=secret_password)
    flow = start(client)
    await flow.open()
    await flow.submit(username="approver-yu", password=wrong_password)
    assert wrong_password not in flow.page.text
    enrol = await flow.submit(username="approver-yu", password=secret_password)
    assert secret_password not in enrol.text
    import pyotp

    code = pyotp.TOTP(flow.totp_secret()).now()
    await flow.submit(enrolment=flow.hidden("enrolment"), totp=code)
    answers = [
        await client.get(f"/v1/accounts/{account['id']}", headers=bearer(admin)),
        await client.get("/v1/accounts", headers=bearer(admin)),
        await client.get("/v1/security-log", params={"limit": 1000}, headers=bearer(admin)),
        await client.post(f"/v1/accounts/{account['id']}/password", json={"password": "Zaiyici2026pw"},
                          headers=bearer(admin)),
    ]
    for text in [caplog.text, *(a.text for a in answers), str(account)]:
        for secret in (secret_password, wrong_password, "Zaiyici2026pw"):
            assert secret not in text
        assert f"totp={code}" not in text and f'"{code}"' not in text
    database = Database(settings.database_url)
    try:
        async with database.sessionmaker() as session:
            stored = await session.scalar(select(Account).where(Account.username == "approver-yu"))
            assert stored.password_hash.startswith("$argon2id$")
            assert await verify_password("Zaiyici2026pw", stored.password_hash)
            entries = (await session.scalars(select(SecurityLogEntry))).all()
            flat = " ".join(f"{e.actor} {e.username} {e.detail}" for e in entries)
            assert secret_password not in flat and wrong_password not in flat and code not in flat
    finally:
        await database.dispose()


def _cli(database_url: str, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TEFU_REGISTRY_DATABASE_URL": database_url, "LANG": "zh_CN.UTF-8"}
    env.pop("TEFU_USER_PASSWORD", None)
    if password is not None:
        env["TEFU_USER_PASSWORD"] = password
    return subprocess.run([sys.executable, "-m", "tefu_registry", "user", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_the_command_line_creates_and_updates_an_account(database_url):
    created = _cli(database_url, "--username", "clerk-cli", "--role", "clerk", "--region", "370306", "--name", "命令行",
                   password=PASSWORD)
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "已创建账户 clerk-cli (clerk, 370306)"
    weak = _cli(database_url, "--username", "clerk-cli2", "--role", "clerk", "--region", "370306", password="short")
    assert weak.returncode == 2 and "密码至少 10 个字符" in weak.stderr and "short" not in weak.stderr.split("]")[-1]
    updated = _cli(database_url, "--username", "clerk-cli", "--role", "approver", "--region", "370300", "--totp",
                   password="Newpass2026cli")
    assert updated.returncode == 0, updated.stderr
    lines = updated.stdout.strip().splitlines()
    assert lines[0] == "已更新账户 clerk-cli (approver, 370300)" and lines[1].startswith("动态验证码密钥: ")
    for output in (created, updated):
        assert PASSWORD not in output.stdout + output.stderr and "Newpass2026cli" not in output.stdout + output.stderr

    async def check() -> None:
        from tefu_common.app import configure_encryption
        from tefu_registry.settings import RegistrySettings

        configure_encryption(RegistrySettings())
        database = Database(database_url)
        try:
            async with database.sessionmaker() as session:
                account = await session.scalar(select(Account).where(Account.username == "clerk-cli"))
                assert (account.role, account.region, account.display_name) == ("approver", "370300", "命令行")
                assert account.totp_confirmed and account.totp_secret == lines[1].split(": ")[1]
                assert await verify_password("Newpass2026cli", account.password_hash)
                events = (await session.scalars(select(SecurityLogEntry.event).order_by(SecurityLogEntry.id))).all()
                assert events == ["account-created", "account-updated", "password-set", "totp-enrolled"]
        finally:
            await database.dispose()

    asyncio.run(check())
