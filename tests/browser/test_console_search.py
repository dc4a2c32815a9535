"""Finding a family in the console's one search box, in a real browser: by the last 4 or 6 digits of
an ID number, as a family reads them out on the telephone, and by part of a name."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from tefu_common.testing import mint_token

from ..families import id_number, register
from .console_pages import alert, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.processes]

REGION = "410105"  # 郑州市金水区: a region no other test of the suite works in


def family(mother: str, father: str, child: str, serial: int) -> dict:
    return {
        "region_code": REGION, "hukou_type": "urban",
        "mother": {"name": mother, "id_number": id_number(REGION, "1961-04-10", serial * 2)},
        "father": {"name": father, "id_number": id_number(REGION, "1959-09-01", serial * 2 + 1)},
        "child": {"name": child, "birth_date": "1986-02-01"},
    }


def test_a_clerk_finds_a_family_by_the_last_digits_and_by_part_of_a_name(suite, console, people, visit):
    token = mint_token(suite.signing_key, role="clerk", region=REGION, subject="browser-search-setup")
    first = secrets.randbelow(200) + 50
    qian = register(suite.url("registry"), token, family("钱淑珍", "周振华", "周小军", first))
    wu = register(suite.url("registry"), token, family("吴玉梅", "郑国强", "郑小红", first + 200))
    mother_id = qian["members"][0]["id_number"]
    clerk = people.create("clerk", REGION, "金水区经办员")
    page = sign_in(visit(), console, clerk, start="/families")
    expect(page.locator("#q-hint")).to_contain_text("后4位、后6位")
    box, find = page.get_by_label("姓名或身份证号"), page.get_by_role("button", name="查找")
    listed = page.locator("table.list tbody")

    for typed in (mother_id[-4:], mother_id[-6:], "淑珍", "周小"):
        box.fill(typed)
        find.click()
        page.wait_for_load_state()
        expect(listed.get_by_role("link", name=str(qian["id"]), exact=True)).to_be_visible()
        expect(listed.get_by_role("link", name=str(wu["id"]), exact=True)).to_have_count(0)
        expect(page.locator("p.count")).to_have_text("共 1 户")

    box.fill("小")  # one character: both children's names have it
    find.click()
    page.wait_for_load_state()
    expect(page.locator("p.count")).to_have_text("共 2 户")

    box.fill(mother_id[-5:])  # five digits: neither a tail nor a whole number
    find.click()
    page.wait_for_load_state()
    expect(alert(page)).to_contain_text("请输入身份证号的后4位或后6位")
