"""Liaison duties, supervision and returns in the console, in a real browser, against the suite as processes.

A family of 新洲区, Wuhan (Hubei: a phone call every week, visits at 春节, 端午 and 中秋) whose last
phone call was three weeks ago is on the clerk's work list as overdue; the contact form shows the
festivals with their real dates and keeps a 中秋 visit two months after the festival out, beside the
date, with what was typed; a phone call recorded through the form meets the weekly call. The
compliance page shows each duty with a chart. An inspector opens the supervision report, downloads
its workbook and produces a Foshan return; a clerk has no supervision menu and is refused the page.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path

import httpx
import openpyxl
import pytest
from playwright.sync_api import Page, expect

from tefu_common.testing import bearer, mint_token

from ..families import bereaved_family, register
from .console_pages import Person, alert, fill, form_with, main_navigation, open_visit, sign_in, submit

pytestmark = [pytest.mark.browser, pytest.mark.processes]

REGION = "420117"  # 武汉市新洲区 under Hubei's rules: a region no other test of the suite works in
FOSHAN_REGION = "440607"  # 佛山市三水区: Foshan's half-yearly returns apply
CHINA = timezone(timedelta(hours=8))


def china_today() -> date:
    return datetime.now(CHINA).date()


def date_zh(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@pytest.fixture(scope="module")
def family(suite) -> dict:  # type: ignore[no-untyped-def]
    """A special family with two liaisons whose last phone call was 21 days ago (the weekly call is overdue)."""
    token = mint_token(suite.signing_key, role="clerk", region=REGION, subject="browser-duties-setup")
    registry = suite.url("registry")
    created = register(registry, token, bereaved_family(REGION, "陶秀英", "陶建国", bank="中国农业银行武汉新洲支行",
                                                        account=f"62284800{secrets.randbelow(10**11):011d}"))
    township, village = f"{secrets.choice('赵钱孙李周吴郑王')}敏{secrets.choice('华芳英兰')}", "范丽"
    assigned = china_today() - timedelta(days=200)
    answer = httpx.put(f"{registry}/v1/families/{created['id']}/liaisons", headers=bearer(token), timeout=30, json={
        "liaisons": [
            {"post": "township", "name": township, "phone": "13700000001", "unit": "新洲区邾城街卫生健康办公室",
             "assigned_on": assigned.isoformat()},
            {"post": "village", "name": village, "phone": "13700000002", "unit": "某村村委会",
             "assigned_on": assigned.isoformat()}]})
    assert answer.status_code == 200, answer.text
    called = china_today() - timedelta(days=21)
    answer = httpx.post(f"{registry}/v1/families/{created['id']}/contacts", headers=bearer(token), timeout=30, json={
        "kind": "phone_call", "contacted_on": called.isoformat(), "contacted_by": township,
        "findings": "身体尚可"})
    assert answer.status_code == 201, answer.text
    return {"id": created["id"], "township": township, "called": called}


@pytest.fixture(scope="module")
def clerk(people) -> Person:  # type: ignore[no-untyped-def]
    return people.create("clerk", REGION, "新洲区经办员")


@pytest.fixture(scope="module")
def clerk_page(browser, console, clerk):  # type: ignore[no-untyped-def]
    visit = open_visit(browser)
    page = sign_in(visit, console, clerk)
    yield page
    foreign = visit.foreign_requests()
    visit.context.close()
    assert foreign == [], f"pages asked hosts other than 127.0.0.1: {foreign}"


def mid_autumn(suite, year: int) -> date:  # type: ignore[no-untyped-def]
    token = mint_token(suite.signing_key, role="clerk", region=REGION, subject="browser-duties-setup")
    answer = httpx.get(f"{suite.url('eligibility')}/v1/festivals", params={"year": year}, headers=bearer(token),
                       timeout=30)
    assert answer.status_code == 200, answer.text
    (found,) = [f for f in answer.json()["festivals"] if f["festival"] == "mid_autumn"]
    return date.fromisoformat(found["date"])


def family_row(page: Page, family_id: int):  # type: ignore[no-untyped-def]
    return page.locator(f'table.duties tr[data-family="{family_id}"]')


def test_the_work_list_shows_the_family_whose_weekly_call_is_overdue(console, clerk_page: Page, family: dict):
    page = clerk_page
    expect(main_navigation(page).get_by_role("link", name="联系人", exact=True)).to_be_visible()
    main_navigation(page).get_by_role("link", name="联系人", exact=True).click()
    form = form_with(page, "status")
    fill(form, {"status": "overdue", "liaison_name": family["township"]})
    submit(form)
    page.wait_for_load_state()
    row = family_row(page, family["id"])
    expect(row).to_have_count(1)
    expect(row).to_contain_text("已逾期")
    overdue_since = family["called"] + timedelta(days=8)
    expect(row).to_contain_text(f"自{date_zh(overdue_since)}起逾期")
    expect(row).to_contain_text(family["township"])
    assert int(page.locator('dd[data-count="overdue"]').inner_text()) >= 1
    # Only this liaison's families: another liaison's name lists none of them.
    page.goto(f"{console}/duties?status=overdue&liaison_name=不存在")
    expect(family_row(page, family["id"])).to_have_count(0)
    # The family's page lists every duty, met ones too, the weekly call among them as overdue.
    page.goto(f"{console}/duties?status=overdue&liaison_name={family['township']}")
    row.get_by_role("link", name=str(family["id"]), exact=True).click()
    page.wait_for_url(re.compile(rf".*/families/{family['id']}$"))
    duties = page.get_by_role("region", name="联系人职责")
    expect(duties.locator('tr[data-duty$="contact.phone_call"]')).to_have_attribute("data-status", "overdue")
    expect(duties).to_contain_text("鄂卫生计生通〔2016〕89号")


def test_the_contact_form_refuses_a_mid_autumn_visit_two_months_off_and_names_the_festival(
        suite, console, clerk_page: Page, family: dict):
    page = clerk_page
    today = china_today()
    this_year = mid_autumn(suite, today.year)
    # Two months after the nearest 中秋 that lies that far in the past (last year's before this one's is).
    festival = this_year if this_year + timedelta(days=61) <= today else mid_autumn(suite, today.year - 1)
    visited = festival + timedelta(days=61)
    page.goto(f"{console}/families/{family['id']}")
    page.get_by_role("link", name="记录联系").click()
    in_force = page.get_by_role("region", name="本地区的联系人职责")
    expect(in_force).to_contain_text("每周至少1次")
    expect(in_force).to_contain_text(f"{this_year.year}年中秋节为{date_zh(this_year)}")
    kinds = page.locator('select[name="body.kind"] option')
    expect(kinds.filter(has_text="家庭医生随访")).to_have_count(1)
    expect(page.locator('select[name="body.liaison_id"] option').filter(has_text=family["township"])).to_have_count(1)
    form = form_with(page, "body.contacted_on")
    fill(form, {"body.kind": "festival_visit", "body.festival": "mid_autumn", "body.contacted_on": visited.isoformat(),
                "body.contacted_by": "陶志军", "body.findings": "送去月饼，老人身体尚可"})
    submit(form)
    page.wait_for_load_state()
    error = page.locator('.field p.field-error[data-field="body.contacted_on"]')
    expect(error).to_be_visible()
    expect(error).to_contain_text(re.compile(rf"{festival.isoformat()}|{date_zh(festival)}"))
    expect(error).to_contain_text("中秋")
    expect(alert(page).first).to_be_visible()
    # What the clerk typed is kept.
    expect(page.locator('[name="body.contacted_on"]')).to_have_value(visited.isoformat())
    expect(page.locator('[name="body.findings"]')).to_have_value("送去月饼，老人身体尚可")
    expect(page.locator('[name="body.kind"]')).to_have_value("festival_visit")
    expect(page.locator('[name="body.festival"]')).to_have_value("mid_autumn")


def test_the_compliance_page_shows_each_duty_and_a_chart(console, clerk_page: Page, family: dict):
    page = clerk_page
    page.goto(f"{console}/duties")
    page.get_by_role("link", name="联系人履职情况").click()
    form = form_with(page, "period")
    fill(form, {"region": REGION, "period": f"{china_today():%Y-%m}"})
    submit(form)
    page.wait_for_load_state()
    rows = page.locator("table.compliance tbody tr")
    phone = page.locator('table.compliance tr[data-duty$="contact.phone_call"]')
    expect(phone).to_have_count(1)
    expect(phone).to_contain_text("鄂卫生计生通〔2016〕89号")
    assert rows.count() > 1
    chart = page.get_by_role("region", name="履职率").locator("svg.chart")
    expect(chart).to_have_count(1)
    expect(chart.locator("rect.bar")).not_to_have_count(0)
    expect(chart).to_contain_text("每周电话联系")


def test_a_phone_call_recorded_in_the_form_meets_the_weekly_call(
        console, clerk_page: Page, family: dict):
    page = clerk_page
    page.goto(f"{console}/families/{family['id']}/contacts/new")
    form = form_with(page, "body.contacted_on")
    liaison = page.locator('select[name="body.liaison_id"] option').filter(has_text=family["township"])
    fill(form, {"body.kind": "phone_call", "body.contacted_on": china_today().isoformat(),
                "body.liaison_id": liaison.get_attribute("value") or "", "body.findings": "电话问候，一切正常"})
    submit(form)
    page.wait_for_url(re.compile(rf".*/families/{family['id']}\?notice=contact"))
    expect(page.get_by_role("status")).to_contain_text("联系已记录")
    expect(page.get_by_role("region", name="联系人与走访")).to_contain_text("电话问候，一切正常")
    duties = page.get_by_role("region", name="联系人职责")
    # Met (or, by the registry's count of days, due again within the week): no longer overdue.
    phone = duties.locator('tr[data-duty$="contact.phone_call"]')
    expect(phone).to_have_attribute("data-status", re.compile("^(met|due)$"))
    expect(phone).to_contain_text(date_zh(china_today()))
    page.goto(f"{console}/duties?status=overdue&liaison_name={family['township']}")
    expect(page.locator("table.duties tbody")).not_to_contain_text("每周电话联系")


def test_an_inspector_opens_the_supervision_report_and_downloads_its_workbook(
        browser, console, people, family: dict):
    auditor = people.create("auditor", REGION, "新洲区督导检查员")
    visit = open_visit(browser)
    try:
        page = sign_in(visit, console, auditor)
        menu = main_navigation(page)
        expect(menu.get_by_role("link", name="报送提醒")).to_be_visible()
        menu.get_by_role("link", name="督导检查").click()
        form = form_with(page, "period")
        fill(form, {"region": REGION, "period": f"{china_today():%Y}"})
        submit(form)
        # Producing the report gathers every figure from the four other services: it may take a while.
        page.wait_for_url(re.compile(r".*/supervision\?.*period="), timeout=60_000)
        report = page.locator("section.report")
        expect(report).to_have_count(1, timeout=60_000)
        expect(report.locator("svg.chart")).not_to_have_count(0)
        expect(page.get_by_role("region", name=re.compile("计划生育特殊家庭扶助工作检查表"))).to_be_visible()
        expect(page.locator("table.scoresheet.computed tbody tr[data-item]")).not_to_have_count(0)
        expect(page.locator("table.scoresheet.inspector tbody tr[data-item]")).not_to_have_count(0)
        report_id = report.get_attribute("data-report")
        expect(page.locator("table.kept").get_by_role("link", name=str(report_id), exact=True)).to_be_visible()
        with page.expect_download() as download:
            report.get_by_role("link", name="下载 XLSX").click()
        assert download.value.suggested_filename.endswith(".xlsx")
        workbook = openpyxl.load_workbook(BytesIO(Path(download.value.path()).read_bytes()))
        assert len(workbook.sheetnames) > 1
        numbers = [cell.value for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
                   if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool)]
        assert numbers, "the workbook holds its numbers as numbers"
        assert visit.foreign_requests() == []
    finally:
        visit.context.close()


def test_an_inspector_produces_a_return_coming_due_and_downloads_it(browser, console, people):
    auditor = people.create("auditor", FOSHAN_REGION, "三水区督导检查员")
    visit = open_visit(browser)
    try:
        page = sign_in(visit, console, auditor)
        main_navigation(page).get_by_role("link", name="报送提醒").click()
        # Both of Foshan's returns, for the half-year coming due (and any fallen due in the year before).
        coming = page.locator('table.returns-due tr[data-status="due"], table.returns-due tr[data-status="upcoming"]')
        expect(coming).to_have_count(2)
        # The list runs by due date: a return's last row is the half-year coming due.
        annex6 = page.locator('table.returns-due tr[data-return="foshan-annex6"]').last
        expect(annex6).to_have_attribute("data-status", re.compile("^(due|upcoming)$"))
        period = annex6.get_attribute("data-period")
        assert period and re.fullmatch(r"\d{4}-H[12]", period)
        annex6.get_by_role("button", name="生成报表").click()
        page.wait_for_url(re.compile(r".*/returns/\d+\?notice=produced"), timeout=60_000)
        expect(page.get_by_role("status")).to_contain_text("报表已生成")
        expect(page.locator('table.return-rows tr[data-fill="computed"]')).not_to_have_count(0)
        expect(page.locator('table.return-rows tr[data-fill="manual"]').first).to_contain_text("由区卫生健康局填报")
        with page.expect_download() as download:
            page.get_by_role("link", name="下载 XLSX").click()
        workbook = openpyxl.load_workbook(BytesIO(Path(download.value.path()).read_bytes()))
        assert workbook.sheetnames
        page.get_by_role("link", name="返回报表报送提醒").click()
        produced = page.locator(f'table.returns-due tr[data-return="foshan-annex6"][data-period="{period}"]')
        expect(produced).to_have_attribute("data-status", "produced")
        expect(page.locator("table.returns-produced tbody tr[data-produced]")).to_have_count(1)
        assert visit.foreign_requests() == []
    finally:
        visit.context.close()


def test_a_clerk_has_no_supervision_menu_and_is_refused_the_page(console, clerk_page: Page):
    page = clerk_page
    page.goto(f"{console}/")
    menu = main_navigation(page)
    expect(menu.get_by_role("link", name="联系人", exact=True)).to_be_visible()
    expect(menu.get_by_role("link", name="督导检查")).to_have_count(0)
    expect(menu.get_by_role("link", name="报送提醒")).to_have_count(0)
    for path in ("/supervision", "/returns"):
        response = page.goto(f"{console}{path}")
        assert response is not None and response.status == 403
        expect(alert(page)).to_contain_text("你没有权限")
