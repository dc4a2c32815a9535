"""The console in a real browser: Playwright (from PyPI) driving Debian's Chromium.

Playwright never downloads a browser here: it launches /usr/bin/chromium (`apt-get install
chromium`; `.ci/run` installs it), headless. Every page a test opens records the requests it
makes, and a test fails if one of them went anywhere but 127.0.0.1: intranets have no internet,
so the console must load nothing from elsewhere.

People sign in as they would, at the issuer's sign-in page, with accounts an administrator
created through the accounts API; an approver enrols a TOTP authenticator at the first sign-in,
and the codes are computed from the secret the enrolment page shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from tefu_common.testing import mint_token

from .console_pages import CHROMIUM, People, Visit, open_visit


@pytest.fixture(scope="session", autouse=True)
def chromium_installed() -> None:
    if not CHROMIUM.is_file():
        pytest.skip(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium; .ci/run does)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Per module, not per session: Playwright's sync API runs an event loop in this thread while it
    # is open, and the async tests that come after these need the thread to themselves.
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def people(suite) -> People:  # type: ignore[no-untyped-def]
    admin = mint_token(suite.signing_key, role="admin", region="000000", subject="browser-tests-admin")
    return People(suite.url("registry"), admin)


@pytest.fixture
def visit(browser: Browser) -> Iterator[Callable[[], Visit]]:
    """A fresh browser (no cookies) per call; at the end, no page may have asked another host."""
    opened: list[Visit] = []

    def open_one() -> Visit:
        opened.append(open_visit(browser))
        return opened[-1]

    yield open_one
    foreign = [url for one in opened for url in one.foreign_requests()]
    for one in opened:
        one.context.close()
    assert foreign == [], f"pages asked hosts other than 127.0.0.1: {foreign}"
