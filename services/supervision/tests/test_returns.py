"""Foshan's half-yearly statistics returns: the forms, the list coming due, producing, keeping.

The other services are not running here (see conftest.py): computed rows then say their data is
missing and are left to the district; the rows filled from real figures are tested with the
figures themselves, and across real processes in tests/test_foshan_returns.py.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from pydantic import ValidationError

from tefu_common.periods import parse_period
from tefu_supervision.returns.form import MANUAL_NOTE, Row, form, forms_for
from tefu_supervision.returns.service import check_forms, filled, periods_listed

CHANCHENG = "440604"


def test_the_two_foshan_returns_apply_to_the_city_and_each_district_only():
    check_forms()
    assert [f.id for f in forms_for("440600")] == ["foshan-annex5", "foshan-annex6"]
    assert [f.id for f in forms_for(CHANCHENG)] == ["foshan-annex5", "foshan-annex6"]
    assert forms_for("440000") == [] and forms_for("440100") == [] and forms_for("420000") == []
    annex6 = form("foshan-annex6")
    assert annex6.source.clause == "四（四）" and "6月25日、12月25日前" in annex6.source.quote
    assert annex6.due_on(parse_period("2026-H1")) == date(2026, 6, 25)
    assert annex6.due_on(parse_period("2026-H2")) == date(2026, 12, 25)


def test_annex6_has_one_row_per_service_of_section_three():
    rows = form("foshan-annex6").rows
    assert [row.clause for row in rows] == [f"三（{n}）" for n in "一二三四五六七八九十"]
    assert rows[2].name == "提供绿色就医服务" and rows[2].fill == "computed"
    assert {row.id for row in rows if row.fill == "computed"} == {"green_channel", "liaison_support",
                                                                  "assistance_payment"}


def test_a_row_says_how_it_is_filled():
    with pytest.raises(ValidationError):
        Row(id="x", measure="某项", unit="户", fill="computed")
    with pytest.raises(ValidationError):
        Row(id="x", measure="某项", unit="户", fill="manual", computed="special_families")


def test_the_half_years_listed_are_the_one_coming_due_and_those_of_the_year_past():
    annex5 = form("foshan-annex5")
    assert [p.label for p in periods_listed(annex5, date(2026, 12, 1))] == ["2025-H2", "2026-H1", "2026-H2"]
    assert [p.label for p in periods_listed(annex5, date(2026, 12, 25))] == ["2026-H1", "2026-H2"]
    assert [p.label for p in periods_listed(annex5, date(2026, 12, 26))] == ["2026-H1", "2026-H2", "2027-H1"]
    # Nothing before the document took effect (2020-01-01).
    assert [p.label for p in periods_listed(annex5, date(2020, 3, 1))] == ["2020-H1"]


def test_computed_rows_take_the_figure_and_name_their_source():
    source = [{"service": "payments", "service_name": "资金发放服务", "endpoint": "GET /v1/reports/disbursement-rate",
               "query": {"region": CHANCHENG}, "fetched_at": "2026-12-02T00:00:00+00:00"}]
    figures = {"disbursement": {"available": True, "sources": source, "benefits": [
        {"benefit": "rebirth_grant", "due": 2, "paid": 1, "due_amount": "40000.00", "paid_amount": "20000.00"},
        {"benefit": "special_assistance", "due": 24, "paid": 18, "due_amount": "14640.00", "paid_amount": "10980.00"}]},
        "green_channel": {"available": False, "code": "upstream-unavailable", "reason": "就医优先服务暂时无法访问"}}
    rows = {row.id: row for row in form("foshan-annex5").rows}
    paid = filled(rows["grant_paid"], figures)
    assert (paid["value"], paid["fill"], paid["available"]) == (1, "computed", True)
    assert "应发 2 户，已发放 1 户" in paid["basis"] and paid["sources"] == source
    assert filled(rows["grant_paid_amount"], figures)["value"] == "20000.00"
    manual = filled(rows["lectures"], figures)
    assert (manual["value"], manual["fill"], manual["note"], manual["sources"]) == (None, "manual", MANUAL_NOTE, [])

    six = {row.id: row for row in form("foshan-annex6").rows}
    assert filled(six["assistance_payment"], figures)["value"] == 18
    missing = filled(six["green_channel"], figures)
    assert missing["value"] is None and missing["available"] is False and "暂时无法访问" in missing["note"]
    # No rebirth grant due in the half-year: none paid, said so.
    none = filled(rows["grant_paid"], {"disbursement": {"available": True, "sources": source, "benefits": []}})
    assert none["value"] == 0 and none["basis"] == "本期没有应发的再生育扶助金"


async def test_the_due_list_of_a_district(client, auth):
    inspector = auth(role="auditor", region="440600", subject="inspector-foshan")
    answer = await client.get("/v1/returns/due", params={"region": CHANCHENG, "on": "2026-12-01"}, headers=inspector)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["region"], body["on"], body["next_cursor"]) == (CHANCHENG, "2026-12-01", None)
    coming = [i for i in body["items"] if i["period"] == "2026-H2"]
    assert [i["return_id"] for i in coming] == ["foshan-annex5", "foshan-annex6"]
    for item in coming:
        assert (item["due_on"], item["days_left"], item["status"], item["produced_id"]) == ("2026-12-25", 24, "due", None)
        assert item["period_label"] == "2026年下半年" and item["source"]["clause"] == "四（四）"
    past = [(i["return_id"], i["period"], i["status"], i["days_left"]) for i in body["items"] if i["period"] != "2026-H2"]
    assert past == [("foshan-annex5", "2025-H2", "overdue", -341), ("foshan-annex6", "2025-H2", "overdue", -341),
                    ("foshan-annex5", "2026-H1", "overdue", -159), ("foshan-annex6", "2026-H1", "overdue", -159)]

    summer = (await client.get("/v1/returns/due", params={"region": CHANCHENG, "on": "2026-07-01"},
                               headers=inspector)).json()
    assert {(i["period"], i["status"], i["days_left"]) for i in summer["items"] if i["period"] == "2026-H2"} == {
        ("2026-H2", "upcoming", 177)}

    first = (await client.get("/v1/returns/due", params={"region": CHANCHENG, "on": "2026-12-01", "limit": 2},
                              headers=inspector)).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = (await client.get("/v1/returns/due", params={"region": CHANCHENG, "on": "2026-12-01",
                                                        "cursor": first["next_cursor"]}, headers=inspector)).json()
    assert first["items"] + rest["items"] == body["items"]


async def test_a_region_asked_for_no_returns_answers_an_empty_list(client, auth):
    answer = await client.get("/v1/returns/due", params={"region": "370306", "on": "2026-12-01"},
                              headers=auth(role="auditor", region="370000"))
    assert answer.status_code == 200 and answer.json()["items"] == []


async def test_who_may_ask_for_the_due_list(client, auth):
    clerk = await client.get("/v1/returns/due", params={"region": CHANCHENG}, headers=auth(role="clerk", region="440600"))
    assert clerk.status_code == 403
    hubei = await client.get("/v1/returns/due", params={"region": CHANCHENG}, headers=auth(role="auditor", region="420000"))
    assert hubei.status_code == 422
    assert (hubei.json()["code"], hubei.json()["field"]) == ("region-outside-scope", "query.region")
    unknown = await client.get("/v1/returns/due", params={"region": "449999"}, headers=auth(role="admin", region="000000"))
    assert unknown.status_code == 422 and unknown.json()["code"] == "region-code-unknown"


@pytest.mark.parametrize("body, code, field", [
    ({"return_id": "foshan-annex6", "region": "420100", "period": "2026-H2"}, "return-not-applicable", "body.region"),
    ({"return_id": "foshan-annex6", "region": CHANCHENG, "period": "2026-Q2"}, "period-not-half-year", "body.period"),
    ({"return_id": "foshan-annex6", "region": CHANCHENG, "period": "2026"}, "period-not-half-year", "body.period"),
    ({"return_id": "foshan-annex6", "region": CHANCHENG, "period": "2099-H1"}, "period-in-future", "body.period"),
    ({"return_id": "foshan-annex6", "region": CHANCHENG, "period": "2019-H2"}, "period-not-in-force", "body.period"),
    ({"return_id": "foshan-annex9", "region": CHANCHENG, "period": "2026-H2"}, "return-unknown", "body.return_id"),
])
async def test_what_cannot_be_produced_is_named_in_chinese(client, auth, body, code, field):
    answer = await client.post("/v1/returns", json=body, headers=auth(role="admin", region="000000"))
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert (problem["code"], problem["field"]) == (code, field)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in problem["detail"])


async def test_producing_a_return_marks_it_produced_and_keeps_it(client, auth):
    inspector = auth(role="auditor", region="440600", subject="inspector-foshan")
    answer = await client.post("/v1/returns", json={"return_id": "foshan-annex6", "region": "440605", "period": "2026-H2"},
                               headers=inspector)
    assert answer.status_code == 201, answer.text
    produced = answer.json()
    assert (produced["return_id"], produced["region"], produced["period"], produced["due_on"]) == (
        "foshan-annex6", "440605", "2026-H2", "2026-12-25")
    assert produced["period_label"] == "2026年下半年" and produced["intact"] is True
    assert produced["produced_by"] == "inspector-foshan" and produced["document_status"] == "draft"
    rows = {row["id"]: row for row in produced["rows"]}
    assert len(rows) == 10
    assert rows["family_doctor"]["fill"] == "manual" and rows["family_doctor"]["note"] == MANUAL_NOTE
    # Every source is down here: computed rows stay empty with the reason, never a guessed number.
    for key in ("green_channel", "liaison_support", "assistance_payment"):
        assert rows[key]["fill"] == "computed" and rows[key]["value"] is None and rows[key]["available"] is False
        assert "暂时无法访问" in rows[key]["note"]
    assert produced["header"][0]["id"] == "special_families"

    due = (await client.get("/v1/returns/due", params={"region": "440605", "on": "2026-12-01"}, headers=inspector)).json()
    status = {(i["return_id"], i["period"]): (i["status"], i["produced_id"]) for i in due["items"]}
    assert status[("foshan-annex6", "2026-H2")] == ("produced", produced["id"])
    assert status[("foshan-annex5", "2026-H2")] == ("due", None)
    # Produced for one district, not for its neighbour.
    chancheng = (await client.get("/v1/returns/due", params={"region": CHANCHENG, "on": "2026-12-01"},
                                  headers=inspector)).json()
    assert {i["status"] for i in chancheng["items"] if i["period"] == "2026-H2"} == {"due"}

    kept = await client.get(f"/v1/returns/{produced['id']}", headers=inspector)
    assert kept.status_code == 200 and kept.json() == produced
    listed = (await client.get("/v1/returns", params={"region": "440605"}, headers=inspector)).json()
    assert [r["id"] for r in listed["items"]] == [produced["id"]] and listed["next_cursor"] is None
    assert listed["items"][0]["content_sha256"] == produced["content_sha256"]

    hubei = auth(role="auditor", region="420000")
    assert (await client.get(f"/v1/returns/{produced['id']}", headers=hubei)).status_code == 404
    assert (await client.get("/v1/returns", headers=hubei)).json()["items"] == []
    refused = await client.post("/v1/returns", json={"return_id": "foshan-annex6", "region": "440605", "period": "2026-H2"},
                                headers=hubei)
    assert refused.status_code == 422 and refused.json()["code"] == "region-outside-scope"
    clerk = await client.post("/v1/returns", json={"return_id": "foshan-annex6", "region": "440605", "period": "2026-H2"},
                              headers=auth(role="clerk", region="440605"))
    assert clerk.status_code == 403


async def test_the_workbook_has_chinese_headings_and_says_how_each_row_is_filled(client, auth):
    inspector = auth(role="admin", region="440600")
    produced = (await client.post("/v1/returns", json={"return_id": "foshan-annex5", "region": "440606",
                                                       "period": "2026-H2"}, headers=inspector)).json()
    answer = await client.get(f"/v1/returns/{produced['id']}", params={"format": "xlsx"}, headers=inspector)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["附件5"]
    sheet = book["附件5"]
    assert sheet["A1"].value == "佛山市计划生育特殊家庭辅助再生育服务统计表"
    lines = list(sheet.iter_rows(values_only=True))
    heading = lines.index(("序号", "条款", "服务项目", "统计内容", "单位", "数值", "填报方式", "数据来源", "计算依据 / 说明"))
    table = lines[heading + 2:]  # after the header line (special families)
    assert [line[0] for line in table] == list(range(1, 10))
    lecture = next(line for line in table if line[2] == "再生育专题讲座")
    assert (lecture[5], lecture[6], lecture[8]) == (None, "人工填报", MANUAL_NOTE)
    paid = next(line for line in table if line[2] == "发放再生育扶助金")
    assert paid[6] == "系统计算" and paid[5] is None and "数据暂缺" in paid[8]
