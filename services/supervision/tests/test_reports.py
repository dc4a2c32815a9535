"""The report's own behaviour, with every source down: who may ask, what is checked, what is kept."""

from __future__ import annotations

import io

from openpyxl import load_workbook

SOURCES = ("families", "disbursement", "cards", "green_channel", "entitled", "liaison_compliance")


async def test_a_clerk_is_refused_and_an_inspector_of_another_province_sees_nothing(client, auth):
    clerk = await client.get("/v1/supervision", params={"region": "420000", "period": "2026"},
                             headers=auth(role="clerk", region="420000"))
    assert clerk.status_code == 403
    elsewhere = await client.get("/v1/supervision", params={"region": "420000", "period": "2026"},
                                 headers=auth(role="auditor", region="430000"))
    assert elsewhere.status_code == 422
    assert (elsewhere.json()["code"], elsewhere.json()["field"]) == ("region-outside-scope", "query.region")
    assert "不在你的辖区" in elsewhere.json()["detail"]


async def test_a_bad_period_and_region_are_named_in_chinese(client, auth):
    answer = await client.get("/v1/supervision", params={"region": "999999", "period": "2026-13"},
                              headers=auth(role="auditor", region="000000"))
    assert answer.status_code == 422
    errors = {(e["field"], e["code"]) for e in answer.json()["errors"]}
    assert errors == {("query.period", "period-format"), ("query.region", "region-code-unknown")}
    assert "不是月份" in next(e["detail"] for e in answer.json()["errors"] if e["code"] == "period-format")


async def test_sources_that_do_not_answer_leave_their_items_open_and_the_report_is_kept(client, auth):
    inspector = auth(role="auditor", region="420000", subject="inspector-hu")
    answer = await client.get("/v1/supervision", params={"region": "420100", "period": "2026-Q1"}, headers=inspector)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["period_name"] == "2026年第一季度" and (report["from"], report["to"]) == ("2026-01-01", "2026-03-31")
    for name in SOURCES:
        figure = report["figures"][name]
        assert figure["available"] is False and figure["code"] == "upstream-unavailable" and "暂时无法访问" in figure["reason"]
    items = {item["id"]: item for item in report["scoresheet"]["items"]}
    assert len(items) == 13 and report["scoresheet"]["total"] == "100"
    assert items["festival_visits"]["status"] == "not_computed" and items["festival_visits"]["deducted"] is None
    assert items["documents"]["status"] == "inspector"
    assert report["scoresheet"]["computed_deducted"] == "0" and report["scoresheet"]["computed_of"] == "0"
    assert report["headline"]["special_assistance_rate"] is None
    assert report["intact"] is True and report["compared_with"] is None

    again = (await client.get("/v1/supervision", params={"region": "420100", "period": "2026-Q1"},
                              headers=inspector)).json()
    assert again["report_id"] != report["report_id"]
    assert again["compared_with"]["report_id"] == report["report_id"]

    kept = await client.get(f"/v1/supervision/reports/{report['report_id']}", headers=inspector)
    assert kept.status_code == 200
    assert kept.json()["content_sha256"] == report["content_sha256"] and kept.json()["figures"] == report["figures"]
    listed = (await client.get("/v1/supervision/reports", params={"region": "420100"}, headers=inspector)).json()
    assert [r["report_id"] for r in listed["items"]] == [report["report_id"], again["report_id"]]
    other = auth(role="auditor", region="430000")
    assert (await client.get(f"/v1/supervision/reports/{report['report_id']}", headers=other)).status_code == 404
    assert (await client.get("/v1/supervision/reports", headers=other)).json()["items"] == []


async def test_outside_hubei_no_score_sheet_applies(client, auth):
    report = (await client.get("/v1/supervision", params={"region": "370306", "period": "2026-06"},
                               headers=auth(role="auditor", region="370000"))).json()
    assert report["scoresheet"] is None


async def test_the_workbook_has_chinese_sheets_numbers_as_numbers_and_charts(client, auth):
    inspector = auth(role="admin", region="420000")
    answer = await client.get("/v1/supervision", params={"region": "420000", "period": "2026", "format": "xlsx"},
                              headers=inspector)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["概要", "发放到位率", "就医优先", "应享人数", "联系人履职", "检查表", "数据来源"]
    sheet = book["检查表"]
    assert sheet["A3"].value == "检查内容" and isinstance(sheet["C4"].value, (int, float))
    assert "数据暂缺" in book["发放到位率"]["A1"].value
    sources = [row for row in book["数据来源"].iter_rows(min_row=2, values_only=True)]
    assert {row[0] for row in sources} == set(SOURCES)


async def test_a_half_year_is_a_period_too(client, auth):
    report = (await client.get("/v1/supervision", params={"region": "420100", "period": "2026-H1"},
                               headers=auth(role="auditor", region="420000"))).json()
    assert (report["period"], report["period_name"], report["from"], report["to"]) == (
        "2026-H1", "2026年上半年", "2026-01-01", "2026-06-30")
    assert report["figures"]["months"] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
