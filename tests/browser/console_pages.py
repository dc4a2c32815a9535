"""What a person does in the console, step by step in a real browser (the tests and the screenshots).

Forms are found by their fields' names, which are the API's field names (``body.mother.id_number``),
and by what a person reads: the labels and buttons of the issuer's sign-in page, the navigation.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pyotp
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tefu_common.testing import bearer

CHROMIUM = Path("/usr/bin/chromium")
# How long a page may take: generous for a shared CI machine, short enough to fail fast.
TIMEOUT_MS = 15_000
NAVIGATION = ("工作台", "家庭", "导入", "发放", "报表")
BASE32_SECRET = re.compile(r"\b[A-Z2-7]{16,}\b")
DATE_ZH = r"\d{4}年\d{1,2}月\d{1,2}日"


@dataclass
class Person:
    username: str
    password: str
    role: str
    region: str
    display_name: str
    # Filled in at the first sign-in of a role that must use TOTP (the enrolment page shows it).
    totp_secret: str | None = None
    last_code: str | None = None

    def code(self) -> str:
        """A TOTP code not used before: the issuer refuses a code twice, so wait for the next one."""
        assert self.totp_secret
        totp = pyotp.TOTP(self.totp_secret)
        while (code := totp.now()) == self.last_code:
            time.sleep(1)
        self.last_code = code
        return code


def new_password() -> str:
    """A password the issuer's rules accept (10+ characters, letters and digits)."""
    return f"Tefu{secrets.token_hex(6)}"


@dataclass
class People:
    """Accounts created by an administrator through the issuer's accounts API."""

    registry_url: str
    admin_token: str

    def create(self, role: str, region: str, display_name: str, username: str | None = None) -> Person:
        username = username or f"{role}-{region}-{secrets.token_hex(3)}"
        person = Person(username, new_password(), role, region, display_name)
        response = httpx.post(f"{self.registry_url}/v1/accounts", headers=bearer(self.admin_token), json={
            "username": username, "display_name": display_name, "role": role, "region": region,
            "password": person.password}, timeout=30)
        assert response.status_code == 201, response.text
        return person


@dataclass
class Visit:
    """A browser context (its own cookies) and every request its pages made."""

    context: BrowserContext
    page: Page
    requests: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        return [url for url in self.requests
                if urlsplit(url).scheme not in ("data", "blob", "about") and urlsplit(url).hostname != "127.0.0.1"]


def open_visit(browser: Browser, **options: object) -> Visit:
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True, **options)
    context.set_default_timeout(TIMEOUT_MS)
    visit = Visit(context, context.new_page())
    context.on("request", lambda request: visit.requests.append(request.url))
    return visit


def alert(page: Page) -> Locator:
    return page.get_by_role("alert")


def submit_sign_in(page: Page, person: Person, password: str | None = None) -> None:
    """Fill the issuer's sign-in form and press 登录 (with a code when the account has TOTP)."""
    page.get_by_label("用户名").fill(person.username)
    page.get_by_label("密码", exact=True).fill(password if password is not None else person.password)
    code = page.get_by_label("动态验证码")
    if person.totp_secret and code.count() and code.is_visible():
        code.fill(person.code())
    page.get_by_role("button", name="登录").click()


def sign_in(visit: Visit, console: str, person: Person, start: str = "/") -> Page:
    """Sign ``person`` in from a console page; answers that page once they are back on it."""
    page = visit.page
    page.goto(f"{console}{start}")
    submit_sign_in(page, person)
    if not page.url.startswith(console):
        code = page.get_by_label("动态验证码")
        confirm = page.get_by_role("button", name="确认")
        if confirm.count():
            # First sign-in of a role that must use TOTP: the page shows the secret to enrol.
            shown = page.locator("code.secret")
            text = shown.inner_text() if shown.count() else page.locator("body").inner_text()
            found = BASE32_SECRET.search(text.replace(" ", ""))
            assert found, f"the enrolment page shows no TOTP secret: {text[:500]}"
            person.totp_secret = found.group(0)
            code.fill(person.code())
            confirm.click()
        elif person.totp_secret and code.count():
            code.fill(person.code())  # the issuer asks for the code after the password
            page.get_by_role("button", name="登录").click()
    if not page.url.startswith(console):
        problem = alert(page).all_inner_texts()
        raise AssertionError(f"{person.username} did not get back to the console (at {page.url}): {problem}")
    expect(main_navigation(page).get_by_role("link", name="工作台", exact=True)).to_be_visible()
    return page


def main_navigation(page: Page) -> Locator:
    return page.locator("nav.main, nav[aria-label='主导航']").first


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="退出").click()


def form_with(page: Page, field_name: str) -> Locator:
    """The form that holds a field of this (API) name."""
    return page.locator("form").filter(has=page.locator(f'[name="{field_name}"]')).first


def fill(form: Locator, values: dict[str, str]) -> None:
    """Type, choose or tick each field; a field of several checkboxes is ticked by its value."""
    for name, value in values.items():
        target = form.locator(f'[name="{name}"]')
        if target.count() > 1:
            target = form.locator(f'[name="{name}"][value="{value}"]')
        tag = target.evaluate("element => element.tagName.toLowerCase() + ':' + (element.type || '')")
        if tag.startswith("select"):
            target.select_option(value)
        elif tag in ("input:checkbox", "input:radio"):
            target.check()
        else:
            target.fill(value)


def submit(form: Locator) -> None:
    form.locator('button[type="submit"], input[type="submit"]').last.click()


def family_id_of(page: Page) -> int:
    found = re.search(r"/families/(\d+)", page.url)
    assert found, f"not on a family's page: {page.url}"
    return int(found.group(1))


def register_family(page: Page, console: str, values: dict[str, str]) -> Page:
    """Fill /families/new with the API's fields and submit; the page answered (the family's, or the form)."""
    page.goto(f"{console}/families/new")
    form = form_with(page, "body.mother.id_number")
    fill(form, values)
    submit(form)
    page.wait_for_load_state()
    return page


def record_event(page: Page, console: str, family_id: int, values: dict[str, str]) -> Page:
    page.goto(f"{console}/families/{family_id}/events/new")
    form = form_with(page, "body.kind")
    fill(form, values)
    submit(form)
    page.wait_for_load_state()
    return page


def upload(page: Page, console: str, path: Path) -> Page:
    """Upload a spreadsheet at /imports; the page answered (the import's, with its progress)."""
    page.goto(f"{console}/imports")
    form = page.locator("form").filter(has=page.locator('input[type="file"]')).first
    form.locator('input[type="file"]').set_input_files(str(path))
    submit(form)
    page.wait_for_url(re.compile(r".*/imports/\d+"))
    return page


def prepare_batch(page: Page, console: str, values: dict[str, str]) -> Page:
    page.goto(f"{console}/payments")
    form = form_with(page, "body.period")
    fill(form, values)
    submit(form)
    page.wait_for_load_state()
    return page


def press(page: Page, button: str, fields: dict[str, str] | None = None) -> None:
    """Press a form's button by its text, after filling that form's fields."""
    target = page.get_by_role("button", name=button, exact=True)
    if fields:
        form = page.locator("form").filter(has=target).first
        fill(form, fields)
    target.click()
    page.wait_for_load_state()
