"""Screenshots of the console's main pages, as the demo clerk sees them, into docs/console/.

    make screenshots        # or: TEFU_TEST_DB=sqlite .venv/bin/python scripts/screenshots.py

Starts the suite the way the tests do (tests/conftest.py: every service on a free port, fresh
SQLite databases in a temporary directory, the console over them), fills the register with
synthetic demo families and creates the demo accounts as `make run` does (clerk-zhoucun, 周村区),
then signs in at the issuer in Debian's Chromium (/usr/bin/chromium, headless) and does what a
clerk does: looks at 工作台 and 家庭, opens a family, imports a spreadsheet with a bad row,
prepares a payment batch, opens 报表, the liaison work list and compliance; then an inspector opens
督导检查 and 报送提醒. Each page is saved as a PNG; nothing else is kept.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TEFU_TEST_DB", "sqlite")

import httpx  # noqa: E402
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from tefu_common.testing import bearer, mint_token  # noqa: E402
from tests.browser.console_pages import (CHROMIUM, People, Person, open_visit, prepare_batch,  # noqa: E402
                                         sign_in, upload)
from tests.conftest import running_console, running_suite  # noqa: E402
from tests.families import id_number  # noqa: E402

OUT = ROOT / "docs" / "console"
REGION = "370306"  # 淄博市周村区, where the demo families live
DEMO_FAMILIES = os.environ.get("TEFU_DEMO_FAMILIES", "300")
PERIOD = "2020-06"
HUBEI_REGION = "420117"  # 武汉市新洲区: Hubei sets liaison duties and a score sheet
CHINA = timezone(timedelta(hours=8))
VIEWPORT = {"width": 1280, "height": 860}
MAX_HEIGHT = 1500


def shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_load_state("networkidle")
    path = OUT / f"{name}.png"
    # The whole page, but a long list only as far as a reader needs to see what it is.
    height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT)
    page.screenshot(path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height})
    print(f"saved {path.relative_to(ROOT)}", flush=True)


def spreadsheet(directory: Path) -> Path:
    """A county's GBK CSV: one good family and one whose mother's ID number is mistyped."""
    good = id_number(REGION, "1966-04-12", 846)
    bad = id_number(REGION, "1970-11-05", 280)
    bad = bad[:-1] + ("0" if bad[-1] != "0" else "1")
    rows = [["户籍地区划代码", "户口性质", "母亲姓名", "母亲身份证号", "父亲姓名", "父亲身份证号", "子女姓名",
             "子女出生日期", "子女死亡日期"],
            [REGION, "城镇", "周桂芳", good, "孙志强", id_number(REGION, "1965-09-20", 573), "孙小龙", "1990-04-02",
             "2018-07-15"],
            [REGION, "农村", "钱美华", bad, "", "", "钱小芳", "1995-02-20", "2020-11-03"]]
    path = directory / "周村区家庭.csv"
    path.write_bytes("\r\n".join(",".join(row) for row in rows).encode("gbk") + b"\r\n")
    return path


def import_rows(page: Page, console: str, path: Path) -> None:
    """Upload the spreadsheet and wait for its row errors; upload it again if the import broke off.

    Just after seeding, the embedded SQLite register is busy (medical priority reads every new
    family), and an import can stop on a locked database; the page then says to upload the same
    file again, which continues the same job, as a clerk would do.
    """
    for _ in range(3):
        upload(page, console, path)
        # The page follows the import and reloads itself when it is done.
        done = page.locator("p.progress-text").filter(has_text=re.compile("已完成|失败"))
        expect(done).to_be_visible(timeout=30_000)
        if "校验码" in page.locator("main table").inner_text():
            return
        print(f"the import stopped ({page.get_by_role('alert').all_inner_texts()}); uploading it again", flush=True)
    raise SystemExit("the import of the spreadsheet did not finish")


def hubei_families(registry: str, token: str) -> int:
    """Three families of 新洲区 (Hubei: weekly calls, two home visits a month, festival visits): one
    called three weeks ago, one two days ago, one never and with no village liaison. The first's id."""
    today = datetime.now(CHINA).date()
    ids = []
    for i, (mother, father, called) in enumerate((("陶秀英", "陶建国", 21), ("何美兰", "何志强", 2),
                                                  ("罗桂芳", "罗振华", None))):
        body = {"region_code": HUBEI_REGION, "hukou_type": "urban",
                "mother": {"name": mother, "id_number": id_number(HUBEI_REGION, "1961-04-10", 20 + 2 * i)},
                "father": {"name": father, "id_number": id_number(HUBEI_REGION, "1959-09-01", 21 + 2 * i)},
                "child": {"name": f"{father[0]}小军", "birth_date": "1986-02-01"},
                "events": [{"kind": "child_died", "occurred_on": "2018-03-10"}]}
        answer = httpx.post(f"{registry}/v1/families", headers=bearer(token), json=body, timeout=30)
        answer.raise_for_status()
        family = answer.json()["id"]
        ids.append(family)
        posts = [{"post": "township", "name": "赵敏", "phone": "13700000001", "unit": "邾城街卫生健康办公室",
                  "assigned_on": f"{today.year}-01-05"}]
        if called is not None:
            posts.append({"post": "village", "name": "范丽", "phone": "13700000002", "unit": "某村村委会",
                          "assigned_on": f"{today.year}-01-05"})
        httpx.put(f"{registry}/v1/families/{family}/liaisons", headers=bearer(token), json={"liaisons": posts},
                  timeout=30).raise_for_status()
        if called is not None:
            httpx.post(f"{registry}/v1/families/{family}/contacts", headers=bearer(token), timeout=30, json={
                "kind": "phone_call", "contacted_on": (today - timedelta(days=called)).isoformat(),
                "contacted_by": "赵敏", "findings": "身体尚可"}).raise_for_status()
    return ids[0]


def main() -> int:
    if not CHROMIUM.is_file():
        sys.exit(f"Debian's Chromium is not installed at {CHROMIUM}: apt-get install chromium fonts-noto-cjk")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tefu-screenshots-") as tmp, running_suite(Path(tmp)) as suite:
        print(f"seeding {DEMO_FAMILIES} demo families", flush=True)
        registry_env = {**os.environ, **suite.env_for("registry", "")}
        subprocess.run([sys.executable, "-m", "tefu_registry", "seed-demo", "--families", DEMO_FAMILIES], check=True,
                       cwd=ROOT, env=registry_env, stdout=subprocess.DEVNULL)
        accounts = subprocess.run([sys.executable, "-m", "tefu_registry", "demo-accounts", "--json"], check=True,
                                  cwd=ROOT, env=registry_env, capture_output=True, text=True).stdout
        demo = next(row for row in json.loads(accounts) if row["username"] == "clerk-zhoucun")
        clerk = Person(demo["username"], demo["password"], demo["role"], demo["region"], "周村区经办员")
        admin = mint_token(suite.signing_key, role="admin", region="000000", subject="screenshots")
        agency = "ABC-ZC"
        answer = httpx.post(f"{suite.url('payments')}/v1/agencies", headers=bearer(admin), timeout=30,
                            json={"id": agency, "name": "中国农业银行淄博周村支行", "region_code": REGION})
        answer.raise_for_status()
        with running_console(suite) as console, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
            visit = open_visit(browser, viewport=VIEWPORT)
            page = sign_in(visit, console, clerk)
            page.goto(f"{console}/families")
            shoot(page, "families")
            family = page.locator("main table a[href^='/families/']").first.get_attribute("href")
            import_rows(page, console, spreadsheet(Path(tmp)))
            shoot(page, "import")
            # A month when Zhoucun's own standard (周政发〔2018〕85号) was in force, so every line has its amount.
            prepare_batch(page, console, {"body.region_code": REGION, "body.benefits": "special_assistance",
                                          "body.period": PERIOD, "body.agency_id": agency})
            page.wait_for_url("**/payments/batches/*")
            shoot(page, "payment-batch")
            page.goto(f"{console}/payments")
            shoot(page, "payments")
            page.goto(f"{console}{family}")  # after the batch: its lines are in the payment history
            shoot(page, "family")
            page.goto(f"{console}/reports?region={REGION}&period={PERIOD}")  # the batch's period
            shoot(page, "reports")
            page.goto(f"{console}/")  # last: 工作台 with the batch awaiting submission
            shoot(page, "home")
            foreign = visit.foreign_requests()
            # Liaison duties where a province sets them (Hubei), then an inspector's pages there, and
            # the returns coming due in Foshan, whose districts send two returns each half-year.
            people = People(suite.url("registry"), admin)
            family = hubei_families(suite.url("registry"), mint_token(
                suite.signing_key, role="clerk", region=HUBEI_REGION, subject="screenshots"))
            year = datetime.now(CHINA).year
            for person, pages in (
                    (people.create("clerk", HUBEI_REGION, "新洲区经办员"),
                     [("/duties", "duties"), ("/duties/compliance", "liaison-compliance"),
                      (f"/families/{family}/contacts/new", "contact")]),
                    (people.create("auditor", HUBEI_REGION, "新洲区督导检查员"),
                     [(f"/supervision?region={HUBEI_REGION}&period={year}", "supervision")]),
                    (people.create("auditor", "440604", "禅城区督导检查员"), [("/returns", "returns")])):
                seen = open_visit(browser, viewport=VIEWPORT)
                sign_in(seen, console, person)
                for start, name in pages:
                    seen.page.goto(f"{console}{start}")
                    shoot(seen.page, name)
                foreign += seen.foreign_requests()
            browser.close()
    if foreign:
        sys.exit(f"the pages asked hosts other than 127.0.0.1: {foreign}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
