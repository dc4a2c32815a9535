"""What protects every page: the CSP, the CSRF token of every form, the error pages."""

from __future__ import annotations

import pytest

from tefu_common.testing import app_client

from .conftest import CONSOLE_URL, csrf_of

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self' http://issuer.example:8001; frame-ancestors 'none'")
# Every POST route of the console, with a path that exists.
POSTS = ["/logout", "/families/new", "/families/1/events/new", "/imports", "/payments/batches",
         "/payments/batches/1/submit", "/payments/batches/1/approve", "/payments/batches/1/reject",
         "/accounts/new", "/accounts/1/update", "/accounts/1/password", "/accounts/1/unlock"]


@pytest.fixture
async def console(settings, service_under_test):
    async with app_client(service_under_test.create_app(settings, configure_logs=False), base_url=CONSOLE_URL) as http:
        yield http


async def test_every_answer_carries_the_csp_and_no_page_is_cached(console):
    for path in ["/login", "/families", "/static/console.css", "/static/import-progress.js", "/no-such-page"]:
        answer = await console.get(path)
        assert answer.headers["content-security-policy"] == CSP, path
        assert answer.headers["x-frame-options"] == "DENY" and answer.headers["x-content-type-options"] == "nosniff"
    assert (await console.get("/no-such-page")).headers["cache-control"] == "no-store"
    assert "no-store" not in (await console.get("/static/console.css")).headers.get("cache-control", "")


async def test_pages_have_no_inline_script_or_style(suite, as_person):
    await as_person(suite.console, suite.http, role="admin", region="370306")
    for path in ["/", "/families", "/families/new", "/imports", "/payments", "/reports", "/audit", "/accounts/new"]:
        page = await suite.http.get(path)
        assert page.status_code == 200, (path, page.text[:300])
        assert "<script>" not in page.text and " style=" not in page.text and "<style" not in page.text, path
        assert "onclick" not in page.text and "javascript:" not in page.text, path


@pytest.mark.parametrize("path", POSTS)
async def test_a_post_without_the_sessions_csrf_token_is_refused(suite, as_person, path):
    await as_person(suite.console, suite.http, role="admin", region="370306")
    for form in ({}, {"csrf_token": "forged"}):
        refused = await suite.http.post(path, data=form)
        assert refused.status_code == 403, (path, refused.text[:300])
        assert "你没有权限" in refused.text and "表单已失效" in refused.text


async def test_the_token_of_another_session_does_not_pass(suite, as_person):
    await as_person(suite.console, suite.http, role="clerk", region="370306", subject="clerk-a")
    theirs = await csrf_of(suite.http, "/families/new")
    await as_person(suite.console, suite.http, role="clerk", region="370306", subject="clerk-b")
    refused = await suite.http.post("/families/new", data={"csrf_token": theirs, "body.region_code": "370306"})
    assert refused.status_code == 403


async def test_a_page_the_role_does_not_allow_is_the_403_page(suite, as_person):
    await as_person(suite.console, suite.http, role="auditor", region="370306")
    for path in ["/accounts", "/families/new"]:
        page = await suite.http.get(path)
        assert page.status_code == 403
        assert "你没有权限" in page.text and 'role="alert"' in page.text
    await as_person(suite.console, suite.http, role="clerk", region="370306")
    assert (await suite.http.get("/audit")).status_code == 403


async def test_a_service_out_of_reach_is_the_503_page(console, as_person, service_under_test, settings):
    app = service_under_test.create_app(settings, configure_logs=False)
    async with app_client(app, base_url=CONSOLE_URL) as http:
        await as_person(app, http, role="clerk", region="370306")
        page = await http.get("/families")
        assert page.status_code == 503 and page.headers["retry-after"] == "10"
        assert "服务暂时不可用，请稍后再试" in page.text and "登记服务" in page.text
        assert "Traceback" not in page.text


async def test_an_unknown_page_is_the_404_page_in_chinese(console):
    page = await console.get("/no-such-page")
    assert page.status_code == 404 and "没有这个页面" in page.text and page.headers["content-type"].startswith("text/html")


async def test_an_unexpected_error_is_a_page_with_its_request_id_never_a_stack_trace(settings, service_under_test,
                                                                                     tmp_path):
    # A database nobody migrated: every session query fails inside the console.
    unmigrated = settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{tmp_path}/empty.db"})
    async with app_client(service_under_test.create_app(unmigrated, configure_logs=False), base_url=CONSOLE_URL) as http:
        page = await http.get("/login")
        assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
        assert "系统出现意外错误" in page.text and page.headers["x-request-id"] in page.text
        assert "Traceback" not in page.text and "sqlalchemy" not in page.text.lower()
        assert page.headers["content-security-policy"] == CSP
        ready = await http.get("/readyz")  # what machines read stays problem+json
        assert ready.status_code == 503 and ready.headers["content-type"] == "application/problem+json"
