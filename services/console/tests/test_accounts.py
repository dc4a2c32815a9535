"""账户 pages over the issuer's real /v1/accounts."""

from __future__ import annotations

import re

from .conftest import csrf_of


async def test_an_admin_creates_an_account_sees_the_issuers_reasons_in_place_and_disables_it(suite, as_person):
    await as_person(suite.console, suite.http, role="admin", region="370306", subject="admin-zhou")
    csrf = await csrf_of(suite.http, "/accounts/new")
    weak = await suite.http.post("/accounts/new", data={
        "csrf_token": csrf, "body.username": "clerk-wang", "body.display_name": "王经办", "body.role": "clerk",
        "body.region": "370306", "body.password": "short"})
    assert weak.status_code == 422
    assert re.search(r'<p class="field-error" data-field="body.password">[^<]*[\u4e00-\u9fff]', weak.text), weak.text[-2500:]
    assert "short" not in weak.text  # a password is never sent back to the browser

    made = await suite.http.post("/accounts/new", data={
        "csrf_token": csrf, "body.username": "clerk-wang", "body.display_name": "王经办", "body.role": "clerk",
        "body.region": "370306", "body.password": "Wangjingban2026"})
    assert made.status_code == 303, made.text[-2000:]
    page = await suite.http.get(made.headers["location"])
    assert "账户已建立" in page.text and "王经办" in page.text

    listed = await suite.http.get("/accounts", params={"q": "clerk-wang"})
    assert "clerk-wang" in listed.text and "正常" in listed.text
    account_path = made.headers["location"].split("?")[0]
    disabled = await suite.http.post(f"{account_path}/update", data={
        "csrf_token": csrf, "body.display_name": "王经办", "body.role": "clerk", "body.region": "370306",
        "body.disabled": "true"})
    assert disabled.status_code == 303, disabled.text[-2000:]
    assert "已停用" in (await suite.http.get(account_path)).text
