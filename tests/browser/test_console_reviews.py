"""Review tasks in the console, in a real browser, against the suite as processes: a task a bank's
return opened (through the payments service's own role) is listed for the clerk of the family's
region with the bank's reason and what to do; dismissing it needs a note, and once dismissed it
leaves the open list."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tefu_common.testing import bearer, mint_token

from ..families import bereaved_family, register
from .console_pages import Person, main_navigation, open_visit, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.processes]

REGION = "420204"  # 黄石市下陆区: a region no other test of the suite works in


@pytest.fixture(scope="module")
def task(suite) -> dict:  # type: ignore[no-untyped-def]
    clerk = mint_token(suite.signing_key, role="clerk", region=REGION, subject="browser-reviews-setup")
    family = register(suite.url("registry"), clerk, bereaved_family(REGION, "孙桂芳", "周建华", bank="中国农业银行下陆支行",
                                                                    account="6228480000000012345"))
    mother = next(m["id"] for m in family["members"] if m["role"] == "mother")
    service = bearer(mint_token(suite.signing_key, role="service", region="000000", subject="payments-service"))
    opened = httpx.post(f"{suite.url('registry')}/v1/review-tasks", headers=service, timeout=30, json={
        "member_id": mother, "kind": "bank_details", "source_ref": "B77-0000001", "reason_code": "AC04",
        "reason": "账户已销户（AC04）"})
    assert opened.status_code == 201, opened.text
    return opened.json()


@pytest.fixture(scope="module")
def clerk(people) -> Person:  # type: ignore[no-untyped-def]
    return people.create("clerk", REGION, "下陆区经办员")


def test_the_clerk_sees_the_task_and_dismisses_it_with_a_note(browser, console, clerk, task):
    visit = open_visit(browser)
    page: Page = sign_in(visit, console, clerk)
    main_navigation(page).get_by_role("link", name="核查任务").click()
    row = page.locator(f'table.reviews tr[data-task="{task["id"]}"]')
    expect(row).to_contain_text("核实银行账户")
    expect(row).to_contain_text("账户已销户（AC04）")
    expect(row.get_by_role("link", name="更新银行账户")).to_have_attribute("href", f"/families/{task['family_id']}")

    row.get_by_role("button", name="驳回").click()  # no note: refused, said beside the field
    row = page.locator(f'table.reviews tr[data-task="{task["id"]}"]')
    expect(row.locator(".error")).to_contain_text("写明如何核实")
    row.get_by_label("核实情况").fill("经电话核实，银行账户正常")
    row.get_by_role("button", name="驳回").click()
    expect(page.get_by_role("status")).to_contain_text("已驳回")
    expect(page.locator(f'table.reviews tr[data-task="{task["id"]}"]')).to_have_count(0)
    page.get_by_label("状态").select_option("dismissed")
    page.get_by_role("button", name="查询").click()
    expect(page.locator(f'table.reviews tr[data-task="{task["id"]}"]')).to_contain_text("经电话核实")
    assert visit.foreign_requests() == []
    visit.context.close()
