"""Smoke test of the suite as a newcomer runs it.

Starts `make run` (migrations, four services and the console on SQLite under var/), waits for every
service, then checks from the outside that each answers /healthz, serves /docs (with its assets from
the service itself) and /openapi.json, and accepts a token from `make token` on /v1/whoami; that the
console sends a visitor to the issuer's sign-in page, lets the demo clerk the banner names sign in,
and loads nothing that is not its own (or the issuer's, on the sign-in page); that the terminal
shows short lines, not JSON, and the full JSON logs are in var/log/. Finally it sends Ctrl-C
(SIGINT) and checks that the whole suite stopped. Exits non-zero with the reason on the first
failure.
"""

from __future__ import annotations

import html.parser
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORTS = {"registry": 8001, "eligibility": 8002, "payments": 8003, "medical-priority": 8004, "supervision": 8005}
CONSOLE = "http://127.0.0.1:8000"


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


def post(url: str, token: str, body: dict, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _put(url: str, token: str, body: dict) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="PUT", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def fail(message: str, suite: subprocess.Popen[bytes]) -> None:
    os.killpg(suite.pid, signal.SIGINT)  # the whole group, as Ctrl-C does: make and every service
    try:
        suite.wait(timeout=20)
    except subprocess.TimeoutExpired:
        suite.kill()
    sys.exit(f"smoke test failed: {message}")


class Browser:
    """Enough of a browser for the sign-in: cookies, and redirects seen one at a time."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), self._NoRedirect())

    def open(self, url: str, form: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
        """The status, the headers (names in any case) and the body of one request."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(urllib.request.Request(url, data=data), timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read()

    def follow(self, url: str, form: dict[str, str] | None = None, hops: int = 10) -> tuple[str, int, Message, bytes]:
        status, headers, body = self.open(url, form)
        while status in (301, 302, 303, 307) and hops:
            url = urllib.parse.urljoin(url, headers["Location"])
            status, headers, body = self.open(url)
            hops -= 1
        return url, status, headers, body


class Forms(html.parser.HTMLParser):
    """The forms of a page: their action and the inputs' names and values."""

    def __init__(self, page: bytes) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self.feed(page.decode("utf-8", errors="replace"))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attributes.get("action") or "", "fields": {}})
        elif tag == "input" and self.forms and attributes.get("name"):
            self.forms[-1]["fields"][attributes["name"]] = attributes.get("value") or ""


def assets(page: bytes) -> list[str]:
    """Every address a page makes the browser load (scripts, styles, images, icons)."""
    tags = re.findall(rb"<(?:script|link|img|source|iframe)\b[^>]*>", page, flags=re.IGNORECASE)
    return [m.decode() for tag in tags for m in re.findall(rb'(?:src|href)="([^"]+)"', tag)]


def script_sources(csp: str) -> list[str]:
    """What a Content-Security-Policy lets run as script: script-src, or default-src without one."""
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    return directives.get("script-src", directives.get("default-src", ["*"]))


def demo_account(terminal: str, username: str) -> str | None:
    """The password the banner prints for a demo account (passwords are never written into checks)."""
    found = re.search(rf"^\s*{re.escape(username)}\s+密码\s+(\S+)", terminal, flags=re.MULTILINE)
    return found.group(1) if found else None


def check_console(suite: subprocess.Popen[bytes], terminal_path: Path) -> None:
    status, _ = get(f"{CONSOLE}/healthz")
    if status != 200:
        fail(f"console /healthz answered {status}", suite)
    browser = Browser()
    status, headers, _ = browser.open(f"{CONSOLE}/")
    if status not in (302, 303, 307) or "/login" not in headers.get("Location", ""):
        fail(f"console / without a session answered {status}, not a redirect to /login", suite)
    status, headers, _ = browser.open(f"{CONSOLE}/login")
    authorize = urllib.parse.urlsplit(headers.get("Location", ""))
    query = urllib.parse.parse_qs(authorize.query)
    expected = {"response_type": ["code"], "client_id": ["console"], "code_challenge_method": ["S256"],
                "redirect_uri": [f"{CONSOLE}/auth/callback"]}
    if (status not in (302, 303, 307) or f"{authorize.scheme}://{authorize.netloc}{authorize.path}"
            != f"http://127.0.0.1:{PORTS['registry']}/oauth/authorize"
            or any(query.get(k) != v for k, v in expected.items()) or not query.get("code_challenge")):
        fail(f"console /login answered {status} to {headers.get('Location')!r}, not the issuer's PKCE sign-in", suite)
    sign_in_url, status, headers, page = browser.follow(headers["Location"])
    if status != 200 or "登录".encode() not in page or script_sources(headers.get("content-security-policy", "")) not in (
            ["'self'"], ["'none'"]):
        fail(f"the issuer's sign-in page answered {status} (CSP {headers.get('content-security-policy')!r})", suite)
    for asset in assets(page):
        local = urllib.parse.urljoin(sign_in_url, asset)
        if not local.startswith(f"http://127.0.0.1:{PORTS['registry']}/") or get(local)[0] != 200:
            fail(f"the sign-in page loads {asset!r}, not an asset of the issuer", suite)
    print("ok  console           healthz, / sends a visitor to /login, /login to the issuer's PKCE sign-in page")
    password = demo_account(terminal_path.read_text(encoding="utf-8", errors="replace"), "clerk-zhoucun")
    if password is None:
        fail("the banner names no password for the demo clerk clerk-zhoucun", suite)
    form = next((f for f in Forms(page).forms if "password" in f["fields"]), None)
    if form is None:
        fail("the sign-in page has no form with a password field", suite)
    fields = {**form["fields"], "username": "clerk-zhoucun", "password": password}
    home_url, status, headers, page = browser.follow(urllib.parse.urljoin(sign_in_url, form["action"]), fields)
    if status != 200 or not home_url.startswith(f"{CONSOLE}/") or "工作台".encode() not in page:
        fail(f"signing in as clerk-zhoucun ended at {home_url} with {status}: {page[:300]!r}", suite)
    if "frame-ancestors 'none'" not in headers.get("content-security-policy", ""):
        fail(f"the console's 工作台 has no CSP with frame-ancestors 'none': {headers.get('content-security-policy')!r}", suite)
    named: set[str] = set()
    for path in ("/", "/families", "/imports", "/payments", "/reports"):
        status, headers, page = browser.open(f"{CONSOLE}{path}")
        if status != 200 or "frame-ancestors 'none'" not in headers.get("content-security-policy", ""):
            fail(f"the console's {path} answered {status} for the demo clerk (CSP {headers.get('content-security-policy')!r})",
                 suite)
        for asset in assets(page):
            local = urllib.parse.urljoin(f"{CONSOLE}{path}", asset)
            if not local.startswith(f"{CONSOLE}/") or browser.open(local)[0] != 200:
                fail(f"the console's {path} loads {asset!r}, not a file of its own", suite)
            named.add(local)
    print(f"ok  console           the demo clerk signs in; 工作台, 家庭, 导入, 发放, 报表 with their CSP, "
          f"loading only the console's own files ({len(named)})")
    logout = next((f for f in Forms(page).forms if f["action"] == "/logout"), None)
    if logout is None or browser.open(f"{CONSOLE}/logout", logout["fields"])[0] != 200:
        fail("the console's pages have no working sign-out form (POST /logout with its CSRF token)", suite)
    status, headers, _ = browser.open(f"{CONSOLE}/")
    if status not in (302, 303, 307) or "/login" not in headers.get("Location", ""):
        fail(f"after signing out, console / answered {status}, not a redirect to /login", suite)
    print("ok  console           signing out ends the session")


def main() -> None:
    for name, port in {**PORTS, "console": 8000}.items():
        if get(f"http://127.0.0.1:{port}/healthz")[0]:
            sys.exit(f"port {port} ({name}) is already in use; stop whatever runs there first")
    terminal_path = ROOT / "var" / "smoke-terminal.txt"
    terminal_path.parent.mkdir(parents=True, exist_ok=True)
    terminal = terminal_path.open("wb")
    suite = subprocess.Popen(["make", "-s", "run"], cwd=ROOT, start_new_session=True, stdout=terminal,
                             stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while not all(get(f"http://127.0.0.1:{p}/healthz")[0] == 200 for p in (*PORTS.values(), 8000)):
        if suite.poll() is not None:
            sys.exit(f"make run exited with {suite.returncode} before the suite was up")
        if time.monotonic() > deadline:
            fail("not every service answered /healthz within 120 s", suite)
        time.sleep(0.5)
    token = subprocess.run(
        ["make", "-s", "token", "ROLE=clerk", "REGION=370306", "SUB=smoke"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    if len(token.strip().splitlines()) != 1 or token.count(".") != 2:
        fail(f"make token printed more than a token: {token!r}", suite)
    token = token.strip()
    for name, port in PORTS.items():
        base = f"http://127.0.0.1:{port}"
        status, _ = get(f"{base}/readyz")
        if status != 200:
            fail(f"{name} /readyz answered {status}", suite)
        status, body = get(f"{base}/docs")
        if status != 200 or b"swagger" not in body.lower():
            fail(f"{name} /docs answered {status}", suite)
        for asset in re.findall(rb'(?:src|href)="([^"]+)"', body):
            if not asset.startswith(b"/docs/assets/") or get(f"{base}{asset.decode()}")[0] != 200:
                fail(f"{name} /docs loads {asset!r}, not an asset of its own", suite)
        status, body = get(f"{base}/openapi.json")
        if status != 200 or "/v1/whoami" not in json.loads(body)["paths"]:
            fail(f"{name} /openapi.json lacks /v1/whoami", suite)
        status, body = get(f"{base}/v1/whoami", token)
        if status != 200 or json.loads(body).get("subject") != "smoke":
            fail(f"{name} /v1/whoami answered {status}: {body[:200]!r}", suite)
        status, _ = get(f"{base}/v1/whoami")
        if status != 401:
            fail(f"{name} /v1/whoami without a token answered {status}, not 401", suite)
        print(f"ok  {name:<17} healthz, readyz, docs, openapi.json, whoami", flush=True)
    # Eligibility reads the seeded register through the registry, as make run wires it.
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORTS['eligibility']}/v1/entitlements", method="POST",
        data=json.dumps({"region": "370306", "month": "2020-06"}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            lines = [json.loads(line) for line in response.read().splitlines() if line]
    except (urllib.error.URLError, OSError) as exc:
        fail(f"eligibility /v1/entitlements failed: {exc}", suite)
    if not any(line["benefit"] == "special_assistance" for line in lines):
        fail(f"eligibility /v1/entitlements for 370306 2020-06 found no special assistance ({len(lines)} lines)", suite)
    print(f"ok  eligibility       entitlements of 370306 for 2020-06 from the seeded register: {len(lines)} lines")
    # Payments builds a batch from them, reading bank details with the client make run registered.
    admin = subprocess.run(["make", "-s", "token", "ROLE=admin", "REGION=370000", "SUB=smoke-admin"],
                           cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    payments = f"http://127.0.0.1:{PORTS['payments']}/v1"
    status, body = post(f"{payments}/agencies", admin, {"id": "SMOKE-ZC", "name": "冒烟测试银行", "region_code": "370306"})
    if status not in (201, 409):
        fail(f"payments /v1/agencies answered {status}: {body[:200]!r}", suite)
    status, body = post(f"{payments}/batches", token, {"region_code": "370306", "benefits": ["special_assistance"],
                                                      "period": "2020-06", "agency_id": "SMOKE-ZC"},
                        {"Idempotency-Key": "smoke-batch-370306-2020-06"})
    if status not in (200, 201) or json.loads(body)["line_count"] < 1:
        fail(f"payments /v1/batches answered {status}: {body[:300]!r}", suite)
    print(f"ok  payments          batch of 370306 for 2020-06: {json.loads(body)['line_count']} lines")
    # Medical priority follows the seeded register by itself and issues cards; a hospital checks one.
    cards = f"http://127.0.0.1:{PORTS['medical-priority']}/v1"
    country = subprocess.run(["make", "-s", "token", "ROLE=admin", "REGION=000000", "SUB=smoke-national"],
                             cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    card_deadline = time.monotonic() + 120
    found: list = []
    while not found:
        status, body = get(f"{cards}/cards?status=active&limit=1", country)
        found = json.loads(body)["items"] if status == 200 else []
        if not found and time.monotonic() > card_deadline:
            fail(f"medical priority issued no card within 120 s (last answer {status})", suite)
        time.sleep(1)
    status, body = _put(f"{cards}/hospitals/SMOKE-H1", admin, {"name": "周村区人民医院", "region_code": "370306",
                                                              "level": "二级甲等", "designated": True})
    if status not in (200, 201):
        fail(f"medical priority PUT /v1/hospitals answered {status}: {body[:200]!r}", suite)
    hospital = subprocess.run(["make", "-s", "token", "ROLE=hospital", "REGION=370306", "HOSPITAL=SMOKE-H1"],
                              cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    status, body = get(f"{cards}/cards/{found[0]['card_no']}", hospital)
    if status != 200 or not json.loads(body)["valid"]:
        fail(f"a hospital's lookup of card {found[0]['card_no']} answered {status}: {body[:200]!r}", suite)
    print(f"ok  medical-priority  cards issued from the seeded register; card {found[0]['card_no']} valid at a hospital")
    # Supervision gathers an inspector's report from the others, with the inspector's token.
    auditor = subprocess.run(["make", "-s", "token", "ROLE=auditor", "REGION=370306", "SUB=smoke-inspector"],
                             cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    supervision = f"http://127.0.0.1:{PORTS['supervision']}/v1/supervision?region=370306&period=2020-06"
    status, body = get(supervision, auditor)
    report = json.loads(body) if status == 200 else {}
    if status != 200 or not report["figures"]["disbursement"]["available"] or not report["figures"]["cards"]["available"]:
        fail(f"supervision /v1/supervision answered {status}: {body[:300]!r}", suite)
    if get(supervision, token)[0] != 403:
        fail("supervision answered a clerk's token, not 403", suite)
    print(f"ok  supervision       report {report['report_id']} of 370306 for 2020-06 from payments, cards, "
          "eligibility and the registry; a clerk is refused")
    check_console(suite, terminal_path)
    # The terminal: the banner stays readable, with short lines beside it and no JSON; the full
    # JSON lines are in var/log/.
    time.sleep(1)  # log lines are written in batches at most 0.25 s apart
    shown = terminal_path.read_text(encoding="utf-8", errors="replace")
    if "Tefu is running" not in shown or "/docs" not in shown or f"工作台: {CONSOLE}" not in shown:
        fail("the terminal shows no banner with the docs addresses and the console's", suite)
    json_lines = [line for line in shown.splitlines() if line.lstrip().startswith('{"')]
    if json_lines:
        fail(f"the terminal shows JSON log lines, e.g. {json_lines[0][:120]!r}", suite)
    if "GET    /v1/whoami 200" not in shown:
        fail("the terminal shows no line for the requests made", suite)
    for name in PORTS:
        log_file = ROOT / "var" / "log" / f"{name}.log"
        lines = log_file.read_text(encoding="utf-8").splitlines() if log_file.is_file() else []
        if not lines or not all(line.startswith("{") for line in lines[-20:]):
            fail(f"{log_file} holds no JSON log lines", suite)
    print(f"ok  terminal          banner and short lines ({len(shown.splitlines())} lines); JSON logs in var/log/")
    os.killpg(suite.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
    try:
        suite.wait(timeout=30)
    except subprocess.TimeoutExpired:
        suite.kill()
        sys.exit("smoke test failed: the suite did not stop on Ctrl-C")
    time.sleep(1)
    still = [n for n, p in {**PORTS, "console": 8000}.items() if get(f"http://127.0.0.1:{p}/healthz")[0]]
    if still:
        sys.exit(f"smoke test failed: still answering after Ctrl-C: {', '.join(still)}")
    print("smoke test passed: 5 services and the console up, checked, and stopped by Ctrl-C")


if __name__ == "__main__":
    main()
