"""The console's protections, seen from a browser: CSP, local files only, CSRF, lock-out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .console_pages import DATE_ZH, NAVIGATION, alert, main_navigation, sign_in, submit_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.processes]

REGION = "410102"  # 郑州市中原区: a region no other test of the suite works in


@pytest.fixture(scope="module")
def clerk(people):  # type: ignore[no-untyped-def]
    return people.create("clerk", REGION, "中原区经办员")


def expected_csp(issuer: str) -> str:
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"form-action 'self' {issuer}; frame-ancestors 'none'")


def script_sources(csp: str) -> list[str]:
    """What a policy lets run as script: script-src, or default-src without one."""
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    return directives.get("script-src", directives.get("default-src", ["*"]))


def test_every_page_has_the_csp_no_inline_script_and_loads_only_its_own_files(suite, console, visit, clerk):
    one = visit()
    violations: list[str] = []
    one.page.on("console", lambda message: violations.append(message.text)
                if "Content Security Policy" in message.text else None)
    with one.page.expect_response(re.compile(r".*/oauth/authorize\?.*")) as sign_in_page:
        one.page.goto(f"{console}/")
    issuer_csp = sign_in_page.value.headers.get("content-security-policy", "")
    assert script_sources(issuer_csp) in (["'self'"], ["'none'"]), issuer_csp
    assert "frame-ancestors 'none'" in issuer_csp, issuer_csp
    assert one.page.locator("script:not([src])").count() == 0, "the sign-in page has inline script"

    page = sign_in(one, console, clerk)
    for text in NAVIGATION:
        expect(main_navigation(page).get_by_role("link", name=text, exact=True)).to_be_visible()
    for path in ("/", "/families", "/families/new", "/imports", "/payments", "/reports"):
        response = page.goto(f"{console}{path}")
        assert response is not None and response.status == 200, (path, response and response.status)
        assert response.headers["content-security-policy"] == expected_csp(suite.url("registry")), path
        assert page.locator("script:not([src])").count() == 0, f"{path} has inline script"
        # Every stylesheet and script the page names comes from the console itself.
        for address in page.locator("link[href], script[src], img[src]").evaluate_all(
                "elements => elements.map(e => e.href || e.src)"):
            assert address.startswith(f"{console}/") or address.startswith("data:"), (path, address)
    assert any(url.startswith(f"{console}/static/") for url in one.requests), "no stylesheet was loaded"
    assert violations == [], violations
    # The session cookie is out of reach of scripts and of other sites' forms.
    (cookie,) = [c for c in one.context.cookies() if c["name"] == "tefu_console_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    # The visit fixture checks that no request of these pages left 127.0.0.1.


def test_a_forged_post_is_refused_and_changes_nothing(console, visit, clerk):
    one = visit()
    page = sign_in(one, console, clerk)
    forged = {"body.region_code": REGION, "body.hukou_type": "urban", "body.child.name": "伪造",
              "body.mother.name": "伪造", "body.mother.id_number": "410102196001010011"}
    for token in ({}, {"csrf_token": "not-the-session-token"}):
        answer = one.context.request.post(f"{console}/families/new", form={**forged, **token}, max_redirects=0)
        assert answer.status == 403, (answer.status, answer.text()[:300])
        assert "表单已失效" in answer.text() or "你没有权限" in answer.text(), answer.text()[:300]
    refused = one.context.request.post(f"{console}/logout", form={}, max_redirects=0)
    assert refused.status == 403
    # Still signed in: the forged sign-out did nothing, and nothing was registered.
    page.goto(f"{console}/families?q=伪造")
    expect(main_navigation(page)).to_be_visible()
    assert "伪造" not in " ".join(page.locator("main table").all_inner_texts())


def test_five_wrong_passwords_lock_the_account_and_the_page_says_until_when(console, visit, people):
    person = people.create("clerk", REGION, "中原区经办员（锁定）")
    page = visit().page
    page.goto(f"{console}/")
    for _ in range(5):
        submit_sign_in(page, person, password="Wrong2026password")
        expect(alert(page)).to_be_visible()
    submit_sign_in(page, person)  # the right password, too late
    expect(alert(page)).to_contain_text("已锁定")
    assert re.search(rf"{DATE_ZH}\s*\d{{1,2}}:\d{{2}}", alert(page).inner_text()), alert(page).inner_text()
    assert not page.url.startswith(console)


def test_a_page_the_role_may_not_use_says_so(console, visit, clerk):
    page = sign_in(visit(), console, clerk)
    response = page.goto(f"{console}/accounts")  # administrators only
    assert response is not None and response.status == 403
    expect(alert(page)).to_contain_text("你没有权限")
