"""发放 against the real payments, eligibility and registry apps: prepare, skipped, submit, approve/reject."""

from __future__ import annotations

import re

import httpx

from tefu_common.testing import bearer

from .conftest import csrf_of
from .test_families import FAMILY, register


async def _agency(suite, token) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=suite.payments), base_url="http://payments") as pay:
        made = await pay.post("/v1/agencies", headers=bearer(token(role="admin", region="370000")), json={
            "id": "ABC-ZC", "name": "中国农业银行淄博周村支行", "region_code": "370306", "encoding": "gbk"})
        assert made.status_code == 201, made.text


async def _prepare(suite, period: str) -> httpx.Response:
    csrf = await csrf_of(suite.http, "/payments")
    page = await suite.http.get("/payments")
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text).group(1)
    return await suite.http.post("/payments/batches", data={
        "csrf_token": csrf, "idempotency_key": key, "body.region_code": "370306", "body.period": period,
        "body.agency_id": "ABC-ZC", "body.benefits": "special_assistance"})


async def test_a_batch_is_prepared_submitted_refused_to_its_preparer_and_approved_by_another(suite, as_person, token):
    await _agency(suite, token)
    await as_person(suite.console, suite.http, role="admin", region="370306", subject="admin-zhou")
    with_account = await register(suite, **{"body.events.0.kind": "child_died", "body.events.0.occurred_on": "2019-03-10"})
    without_account = await register(suite, **{key: "" for key in FAMILY if "bank_account" in key},
                   **{"body.mother.name": "赵桂兰", "body.mother.id_number": "370306196604125847",
                      "body.father.name": "孙志强", "body.father.id_number": "370306196509205734",
                      "body.events.0.kind": "child_died", "body.events.0.occurred_on": "2018-07-15"})

    page = await suite.http.get("/payments")
    assert 'name="body.benefits" value="special_assistance"' in page.text and "中国农业银行淄博周村支行" in page.text
    wrong = await _prepare(suite, "2026")
    assert wrong.status_code == 422
    assert re.search(r'<p class="field-error" data-field="body.period">[^<]*按月发放', wrong.text), wrong.text[-3000:]

    prepared = await _prepare(suite, "2020-06")  # under 周政发〔2018〕85号, when Zhoucun set its amounts
    assert prepared.status_code == 303, re.findall(r"(?:alert|field-error)[^>]*>[^<]+", prepared.text)
    batch_path = prepared.headers["location"].split("?")[0]
    batch = await suite.http.get(prepared.headers["location"])
    assert "批次已生成" in batch.text and "草稿" in batch.text
    # The benefit by its Chinese name, as the bank's file prints it, not by its code.
    named = re.search(r"<dt>发放项目</dt><dd>(.*?)</dd>", batch.text)
    assert named and "特别扶助金" in named.group(1) and "special_assistance" not in named.group(1)
    assert f"家庭 {with_account}" in batch.text

    # Opened later, not from the answer that built it, the page still says what was left out and why.
    later = await suite.http.get(batch_path)
    skipped = re.search(r'<table class="list skipped">(.*?)</table>', later.text, re.S)
    assert skipped and "没有银行账户" in skipped.group(1), later.text[later.text.index("<dl"):later.text.index("h-actions")]
    items = re.search(r'<table class="list skipped-items">(.*?)</table>', later.text, re.S)
    assert items, later.text[later.text.index("h-skipped"):]
    rows = re.findall(r"<tr>(.*?)</tr>", items.group(1), re.S)[1:]
    # Whom (the family, linked, and which parent), why and what to do: both parents of the family
    # registered without accounts; of the other, only the father, who has none.
    whom = {(re.search(r'href="/families/(\d+)"', row).group(1), re.search(r"(母亲|父亲)", row).group(1)) for row in rows}
    assert whom == {(str(without_account), "母亲"), (str(without_account), "父亲"), (str(with_account), "父亲")}, whom
    assert all("登记中没有该成员的银行账户" in row and "补录银行账户" in row for row in rows)
    count = int(re.search(r"没有银行账户[^<]*</td><td>(\d+)", skipped.group(1)).group(1))
    assert count >= 2 and re.search(r'href="([^"]*reason=no_bank_account[^"]*)"', skipped.group(1))
    # Paged: 50 a page, the next page from its own pager.
    assert len(rows) == min(count, 50)
    if count > 50:
        assert 'aria-label="未纳入项目翻页"' in later.text and "skipped_cursor=" in later.text
    only = await suite.http.get(f"{batch_path}?reason=no_amount")
    assert "未纳入的项目：金额未定" in only.text and "没有逐项列出的项目" in only.text
    # The history in Chinese: how many lines, how many of earlier months.
    history = re.search(r'<ol class="timeline">(.*?)</ol>', later.text, re.S)
    assert history and re.search(r"共 \d+ 笔，其中 \d+ 笔为以前月份的补发", history.group(1)), history

    csrf = await csrf_of(suite.http, batch_path)
    submitted = await suite.http.post(f"{batch_path}/submit", data={"csrf_token": csrf})
    assert submitted.status_code == 303
    refused = await suite.http.post(f"{batch_path}/approve", data={"csrf_token": csrf, "body.note": "已核对"})
    assert refused.status_code == 403
    alert = re.search(r'<div class="error" role="alert">([^<]+)</div>', refused.text)
    assert alert and re.search(r"[\u4e00-\u9fff]", alert.group(1)), refused.text[-2000:]
    assert "待审批" in refused.text  # the page is the batch's, still awaiting approval

    await as_person(suite.console, suite.http, role="approver", region="370306", subject="chief-li")
    csrf = await csrf_of(suite.http, batch_path)
    empty = await suite.http.post(f"{batch_path}/reject", data={"csrf_token": csrf, "body.note": ""})
    assert empty.status_code == 422 and 'data-field="body.note"' in empty.text
    approved = await suite.http.post(f"{batch_path}/approve", data={"csrf_token": csrf, "body.note": "已核对"})
    assert approved.status_code == 303
    page = await suite.http.get(approved.headers["location"])
    assert "批次已批准" in page.text and "chief-li" in page.text


async def test_the_home_page_draws_the_regions_figures_and_says_which_it_cannot_show(suite, as_person):
    await as_person(suite.console, suite.http, role="clerk", region="370306")
    await register(suite, **{"body.events.0.kind": "child_died", "body.events.0.occurred_on": "2019-03-10"})
    home = await suite.http.get("/")
    assert home.status_code == 200
    assert home.text.count("<svg") >= 3
    assert "特殊家庭：1（100.0%）" in home.text
    assert "就医优先服务暂时无法访问" in home.text  # the card figures: that service is away
    for label in ["工作台", "家庭", "导入", "发放", "报表", "账户"]:
        assert f">{label}</a></li>" in home.text


async def test_reports_draw_the_disbursement_rate_and_pass_its_spreadsheet_through(suite, as_person):
    await as_person(suite.console, suite.http, role="clerk", region="370306")
    page = await suite.http.get("/reports")
    assert page.status_code == 200 and "发放到位率" in page.text and "<svg" in page.text
    period = re.search(r'name="period" value="([^"]+)"', page.text).group(1)
    sheet = await suite.http.get("/reports/disbursement-rate.xlsx", params={"region": "370306", "period": period})
    assert sheet.status_code == 200, sheet.text[:500]
    assert sheet.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert sheet.content[:2] == b"PK"
