"""A clerk's day in the console, in a real browser, against the whole suite as real processes.

One story, in order: a clerk of 中原区 signs in, registers a family (a mistyped ID number is shown
in place first), records the child's death and sees the status change on the timeline, imports a
GBK spreadsheet with a bad row and sees that row's error, prepares a payment batch and submits it;
an approver of the region signs in with a TOTP code and approves it; a clerk of 武昌区 sees none
of it. Each step uses what the steps before it made (``story``).
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tefu_common.testing import bearer, mint_token

from ..families import id_number
from .console_pages import (Person, Visit, alert, family_id_of, open_visit, press, prepare_batch, record_event,
                            register_family, sign_in, upload)

pytestmark = [pytest.mark.browser, pytest.mark.processes]

REGION = "410102"  # 郑州市中原区: a region no other test of the suite works in
OTHER_REGION = "420106"  # 武汉市武昌区
AGENCY = "BROWSER-ZY"
CHINA = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def story() -> dict:
    """What the steps hand on to the next ones."""
    return {}


@pytest.fixture(scope="module")
def clerk(people) -> Person:  # type: ignore[no-untyped-def]
    return people.create("clerk", REGION, "中原区经办员")


@pytest.fixture(scope="module")
def clerk_visit(browser, console, clerk):  # type: ignore[no-untyped-def]
    """The clerk's browser, signed in once for the whole story."""
    visit = open_visit(browser)
    sign_in(visit, console, clerk)
    yield visit
    foreign = visit.foreign_requests()
    visit.context.close()
    assert foreign == [], f"pages asked hosts other than 127.0.0.1: {foreign}"


@pytest.fixture(scope="module")
def agency(suite) -> str:  # type: ignore[no-untyped-def]
    """The region's agent bank, registered once by an administrator (as the clerk's guide does)."""
    admin = mint_token(suite.signing_key, role="admin", region="410000", subject="browser-tests-admin")
    answer = httpx.post(f"{suite.url('payments')}/v1/agencies", headers=bearer(admin), timeout=30,
                        json={"id": AGENCY, "name": "中国农业银行郑州中原支行", "region_code": REGION})
    assert answer.status_code == 201, answer.text
    return AGENCY


def serial(female: bool) -> int:
    """A random sequence code; its last digit is even for a woman and odd for a man."""
    return (secrets.randbelow(450) + 50) * 2 + (0 if female else 1)


def test_a_mistyped_id_number_is_shown_in_place(console, clerk_visit: Visit):
    page = clerk_visit.page
    good = id_number(REGION, "1962-05-04", serial(female=True))
    mistyped = good[:-1] + ("0" if good[-1] != "0" else "1")
    register_family(page, console, {
        "body.region_code": REGION, "body.hukou_type": "urban", "body.mother.name": "赵桂兰",
        "body.mother.id_number": mistyped, "body.child.name": "赵小红", "body.child.birth_date": "1990-01-01"})
    error = page.locator('p.field-error[data-field="body.mother.id_number"]')
    expect(error).to_contain_text("校验码")
    # In place: beside the input of that name, and the form keeps what was typed.
    field = page.locator(".field").filter(has=page.locator('[name="body.mother.id_number"]'))
    expect(field.locator("p.field-error")).to_be_visible()
    expect(page.locator('[name="body.mother.id_number"]')).to_have_value(mistyped)
    expect(alert(page).first).to_be_visible()


def test_a_clerk_registers_a_family_and_records_the_death_on_its_timeline(console, clerk_visit: Visit, story: dict):
    page = clerk_visit.page
    mother, father = f"孙{secrets.choice('秀桂美玉')}芳", "周志强"
    register_family(page, console, {
        "body.region_code": REGION, "body.hukou_type": "urban", "body.address": "中原区建设路 8 号",
        "body.honor_certificate.number": f"豫中字第{secrets.randbelow(10**5):05d}号",
        "body.honor_certificate.issued_on": "1988-06-01",
        "body.mother.name": mother, "body.mother.id_number": id_number(REGION, "1961-04-10", serial(female=True)),
        "body.mother.bank_account.bank": "中国农业银行郑州中原支行",
        "body.mother.bank_account.account_number": f"62284800{secrets.randbelow(10**11):011d}",
        "body.mother.bank_account.holder": mother,
        "body.father.name": father, "body.father.id_number": id_number(REGION, "1959-09-01", serial(female=False)),
        "body.child.name": "周小军", "body.child.birth_date": "1986-02-01"})
    expect(page.get_by_role("status")).to_contain_text("家庭已登记")
    family = family_id_of(page)
    story.update(family=family, mother=mother)
    heading, timeline = page.locator("main h1"), page.get_by_role("region", name="一人一档").locator("li")
    expect(heading).to_contain_text("不属于特殊家庭")
    entries_before = timeline.count()

    record_event(page, console, family, {"body.kind": "child_died", "body.occurred_on": "2018-03-10"})
    expect(page.get_by_role("status")).to_contain_text("事件已记录")
    assert family_id_of(page) == family
    # The status changed with the event (a special family now), and the timeline shows the change.
    expect(heading).not_to_contain_text("不属于")
    expect(heading).to_contain_text("特殊家庭")
    expect(page.locator("main")).to_contain_text("2018年3月10日")
    assert timeline.count() > entries_before
    expect(page.get_by_role("region", name="一人一档")).to_contain_text("死亡")


def gbk_csv(path: Path, rows: list[list[str]]) -> Path:
    header = ["户籍地区划代码", "户口性质", "母亲姓名", "母亲身份证号", "父亲姓名", "父亲身份证号", "子女姓名",
              "子女出生日期", "子女死亡日期"]
    path.write_bytes("\r\n".join(",".join(row) for row in [header, *rows]).encode("gbk") + b"\r\n")
    return path


def test_a_gbk_csv_with_a_bad_row_shows_that_rows_error(console, clerk_visit: Visit, story: dict,
                                                        tmp_path: Path):
    good = id_number(REGION, "1966-04-12", serial(female=True))
    bad = id_number(REGION, "1970-11-05", serial(female=True))
    bad = bad[:-1] + ("0" if bad[-1] != "0" else "1")
    path = gbk_csv(tmp_path / "中原区家庭.csv", [
        [REGION, "城镇", "钱桂芳", good, "", "", "钱小龙", "1990-04-02", "2018-07-15"],
        [REGION, "农村", "吴美华", bad, "", "", "吴小芳", "1995-02-20", "2020-11-03"],
    ])
    page = upload(clerk_visit.page, console, path)
    story["import_url"] = page.url
    expect(page.locator("progress")).to_be_attached()
    # The page follows the import by itself and shows the row errors when it is done.
    row = page.locator("main table tr").filter(has_text="校验码")
    expect(row).to_have_count(1, timeout=30_000)
    expect(row.locator("td").first).to_have_text("3")  # the spreadsheet's row 3 (the header is row 1)
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("下载有误的行.*CSV")).click()
    rejected = Path(download.value.path()).read_bytes()
    text = next(rejected.decode(encoding) for encoding in ("utf-8-sig", "gbk") if _decodes(rejected, encoding))
    assert "错误原因" in text and bad in text and good not in text


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def this_month() -> str:
    return datetime.now(CHINA).strftime("%Y-%m")


def test_a_clerk_prepares_a_batch_and_submits_it(console, clerk_visit: Visit, story: dict, agency: str):
    page = prepare_batch(clerk_visit.page, console, {
        "body.region_code": REGION, "body.benefits": "special_assistance", "body.period": this_month(),
        "body.agency_id": agency})
    page.wait_for_url(re.compile(r".*/payments/batches/\d+"))
    story["batch_url"] = page.url
    # The family registered above is paid: its mother has a bank account and special assistance is due.
    expect(page.locator(f'main table a[href="/families/{story["family"]}"]').first).to_be_visible()
    press(page, "提交审批")
    expect(page.get_by_role("status")).to_contain_text("已提交")
    # The preparer cannot approve: no approve button for a clerk, and the page says why.
    assert page.get_by_role("button", name="批准").count() == 0
    expect(page.locator("main")).to_contain_text("不能审批")


def test_an_approver_signs_in_with_a_totp_code_and_approves_the_batch(browser, console, people, story: dict):
    approver = people.create("approver", REGION, "中原区审批人")
    visit = open_visit(browser)
    try:
        sign_in(visit, console, approver)  # enrols the authenticator, then signs in with its code
        assert approver.totp_secret
        page = visit.page
        page.goto(story["batch_url"])
        press(page, "批准", {"body.note": "已核对，同意发放"})
        expect(page.get_by_role("status")).to_contain_text("已批准")
        expect(page.get_by_role("region", name="办理记录")).to_contain_text("已核对，同意发放")
        assert visit.foreign_requests() == []
    finally:
        visit.context.close()


def test_a_clerk_of_another_region_sees_none_of_it(browser, console, people, story: dict):
    other = people.create("clerk", OTHER_REGION, "武昌区经办员")
    visit = open_visit(browser)
    try:
        page = sign_in(visit, console, other)
        page.goto(f"{console}/families?q={story['mother']}")
        assert story["mother"] not in page.locator("main").inner_text()
        for url in (f"{console}/families/{story['family']}", story["batch_url"], story["import_url"]):
            response = page.goto(url)
            # Outside the clerk's region a family, a batch or an import is not there at all.
            assert response is not None and response.status == 404, (url, response and response.status)
            assert story["mother"] not in page.locator("main").inner_text()
        page.goto(f"{console}/imports")
        assert "中原区家庭.csv" not in page.locator("main").inner_text()
        page.goto(f"{console}/payments")
        assert story["batch_url"].rsplit("/", 1)[1] not in [
            link.rsplit("/", 1)[1] for link in page.locator("main a[href*='/payments/batches/']").evaluate_all(
                "links => links.map(a => a.href)")]
    finally:
        visit.context.close()
