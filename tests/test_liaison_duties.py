"""Liaisons held to the rules across real processes: the registry checks contacts against the
duties of the eligibility service (festival windows from the lunar calendar), keeps work lists and
compliance, and the supervision service scores what it gathered."""

from __future__ import annotations

import io
import zipfile

import httpx
import pytest
from openpyxl import load_workbook

from tefu_common.testing import bearer, mint_token

from .families import id_number, register

pytestmark = pytest.mark.processes

REGION = "420114"  # 蔡甸区 (Hubei): no other test or example registers families here
MID_AUTUMN_2026 = "2026-09-25"  # 农历八月十五


def _family(serial: int) -> dict:
    mother, father = (("刘桂芳", "陈建国"), ("黄美玲", "杨志强"))[serial]
    return {
        "region_code": REGION, "hukou_type": "urban", "address": "蔡甸区某街道 8 号",
        "honor_certificate": {"number": f"GRZ-CD{serial}", "issued_on": "1991-03-01"},
        "mother": {"name": mother, "id_number": id_number(REGION, "1961-05-15", serial * 2 + 2)},
        "father": {"name": father, "id_number": id_number(REGION, "1959-08-20", serial * 2 + 1)},
        "child": {"name": f"{father[0]}小明", "birth_date": "1988-05-01"},
        "events": [{"kind": "child_died", "occurred_on": "2024-03-10"}],
    }


def _liaison(post: str, name: str, phone: str) -> dict:
    return {"post": post, "name": name, "phone": phone, "unit": "蔡甸街卫生健康办公室", "assigned_on": "2026-08-01"}


@pytest.fixture(scope="module")
def world(suite) -> dict:
    """Family A: both liaisons, calls on 08-25 and 09-01, then none; visited at 中秋.
    Family B: a township liaison only, a call every week of September, no 中秋 visit."""
    registry = suite.url("registry")
    clerk = mint_token(suite.signing_key, role="clerk", region=REGION, subject="clerk-caidian")
    headers = bearer(clerk)
    a, b = (register(registry, clerk, _family(serial)) for serial in (0, 1))
    for family, liaisons in ((a, [_liaison("township", "赵敏", "13700000011"),
                                  _liaison("village", "孙丽", "13700000012")]),
                             (b, [_liaison("township", "钱进", "13700000013")])):
        put = httpx.put(f"{registry}/v1/families/{family['id']}/liaisons", json={"liaisons": liaisons}, headers=headers)
        assert put.status_code == 200, put.text

    def contact(family: dict, kind: str, day: str, by: str, **extra) -> httpx.Response:
        return httpx.post(f"{registry}/v1/families/{family['id']}/contacts", headers=headers, timeout=30, json={
            "kind": kind, "contacted_on": day, "contacted_by": by, "findings": "身体尚可", **extra})

    for day in ("2026-08-25", "2026-09-01"):
        assert contact(a, "phone_call", day, "赵敏").status_code == 201
    for day in ("2026-08-25", "2026-09-01", "2026-09-08", "2026-09-15", "2026-09-22", "2026-09-29"):
        assert contact(b, "phone_call", day, "钱进").status_code == 201
    visit = contact(a, "festival_visit", MID_AUTUMN_2026, "孙丽", festival="mid_autumn", help_given="送月饼")
    assert visit.status_code == 201, visit.text
    return {"a": a, "b": b, "visit": visit.json(), "headers": headers, "contact": contact, "registry": registry}


def test_a_festival_visit_on_the_day_is_kept_with_its_liaison_and_one_two_months_off_is_refused(world):
    a_liaisons = httpx.get(f"{world['registry']}/v1/families/{world['a']['id']}/liaisons",
                           headers=world["headers"]).json()["items"]
    assert world["visit"]["liaison_id"] == next(l["id"] for l in a_liaisons if l["name"] == "孙丽")
    late = world["contact"](world["a"], "festival_visit", "2026-11-25", "孙丽", festival="mid_autumn")
    assert late.status_code == 422
    problem = late.json()
    assert (problem["code"], problem["field"]) == ("festival-outside-window", "body.contacted_on")
    assert f"2026年中秋节为{MID_AUTUMN_2026}" in problem["detail"] and "2026-09-18至2026-10-02" in problem["detail"]
    english = httpx.post(f"{world['registry']}/v1/families/{world['a']['id']}/contacts",
                         headers={**world["headers"], "Accept-Language": "en"}, timeout=30, json={
                             "kind": "festival_visit", "festival": "mid_autumn", "contacted_on": "2026-11-25",
                             "contacted_by": "孙丽", "findings": "x"})
    assert f"festival on {MID_AUTUMN_2026}" in english.json()["detail"]
    kept = httpx.get(f"{world['registry']}/v1/families/{world['a']['id']}/contacts", params={"limit": 100},
                     headers=world["headers"]).json()["items"]
    assert [c["contacted_on"] for c in kept if c["kind"] == "festival_visit"] == [MID_AUTUMN_2026]


def test_a_family_without_a_call_for_ten_days_heads_the_work_list(world, suite):
    answer = httpx.get(f"{world['registry']}/v1/liaison-duties", params={"region": REGION, "as_of": "2026-09-11"},
                       headers=world["headers"], timeout=30)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    rows = {row["family_id"]: row for row in body["items"]}
    a, b = rows[world["a"]["id"]], rows[world["b"]["id"]]
    call = next(i for i in a["open"] if i["id"] == "contact.phone_call")
    assert (call["status"], call["since"], call["last_contact_on"]) == ("overdue", "2026-09-09", "2026-09-01")
    assert "已逾期3天" in call["reason"] and call["source"]["clause"].startswith("附件3")
    assert {(l["post"], l["name"]) for l in a["liaisons"]} == {("township", "赵敏"), ("village", "孙丽")}
    assert "*" in a["head_name"] and "刘桂芳" not in a["head_name"]
    b_items = {i["id"]: i for i in b["open"]}
    assert (b_items["contact.phone_call"]["status"], b_items["contact.phone_call"]["due_by"]) == ("due", "2026-09-15")
    assert (b_items["liaisons"]["status"], b_items["liaisons"]["missing_posts"]) == ("missing_liaison", ["village"])
    assert body["counts"]["overdue"] >= 1 and body["counts"]["missing_liaison"] == 1
    # One liaison's own list, and one status.
    mine = httpx.get(f"{world['registry']}/v1/liaison-duties", params={"region": REGION, "as_of": "2026-09-11",
                                                                       "liaison_name": "赵敏"}, headers=world["headers"])
    assert [row["family_id"] for row in mine.json()["items"]] == [world["a"]["id"]]
    missing = httpx.get(f"{world['registry']}/v1/liaison-duties", params={"region": REGION, "as_of": "2026-09-11",
                                                                          "status": "missing_liaison"},
                        headers=world["headers"]).json()
    assert [(row["family_id"], [i["status"] for i in row["open"]]) for row in missing["items"]] == [
        (world["b"]["id"], ["missing_liaison"])]
    # In the 中秋 window, B's visit is outstanding; A's is done.
    during = httpx.get(f"{world['registry']}/v1/families/{world['b']['id']}/liaison-duties",
                       params={"as_of": "2026-09-28"}, headers=world["headers"]).json()
    festival = next(i for i in during["duties"] if i["id"] == "festival.mid_autumn")
    assert (festival["status"], festival["festival"]["date"], festival["due_by"]) == (
        "outstanding", MID_AUTUMN_2026, "2026-10-02")
    done = httpx.get(f"{world['registry']}/v1/families/{world['a']['id']}/liaison-duties",
                     params={"as_of": "2026-09-28"}, headers=world["headers"]).json()
    assert next(i for i in done["duties"] if i["id"] == "festival.mid_autumn")["status"] == "met"


def test_the_months_compliance_counts_the_overdue_family_as_missed(world):
    answer = httpx.get(f"{world['registry']}/v1/liaison-compliance", params={"region": REGION, "period": "2026-09"},
                       headers=world["headers"], timeout=30)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["families"], body["as_of"]) == (2, "2026-09-30")
    assert body["liaisons"] == {"families_with_liaison": 2, "families_without": 0}
    assert body["contacts"] == {"contacts": 7, "families_with_contact": 2, "by_kind": {
        "festival_visit": {"contacts": 1, "families": 1}, "phone_call": {"contacts": 6, "families": 2}}}
    duties = {(d["id"], (d["festival"] or {}).get("date")): d for d in body["duties"]}
    call = duties[("contact.phone_call", None)]
    assert (call["families_due"], call["families_met"], call["missed"], call["share_percent"]) == (2, 1, 1, "50.0")
    assert call["missed_families"] == [{"family_id": world["a"]["id"], "head_name": call["missed_families"][0]["head_name"],
                                        "reason": "2026-09-09起逾期未电话联系"}]
    festival = duties[("festival.mid_autumn", MID_AUTUMN_2026)]
    # On 09-30 the window (to 10-02) is still open for B.
    assert (festival["families_due"], festival["families_met"], festival["missed"], festival["pending"]) == (2, 1, 0, 1)
    make_up = duties[("liaisons", None)]
    assert (make_up["families_met"], make_up["missed"]) == (1, 1)
    special = duties[("liaisons.special_difficulty", None)]
    assert special["computable"] is False and "特殊困难" in special["note"] and special["share_percent"] is None
    year = httpx.get(f"{world['registry']}/v1/liaison-compliance", params={"region": REGION, "period": "2026"},
                     headers=world["headers"], timeout=30).json()
    festivals = [d for d in year["duties"] if d["kind"] == "festival_visit"]
    # 春节 and 端午 2026 fell before the register took these families on (2026-08-01).
    assert [(d["festival"]["date"], d["families_due"], d["families_met"], d["missed"]) for d in festivals] == [
        (MID_AUTUMN_2026, 2, 1, 1)]


def test_compliance_is_for_the_region_and_roles_that_may_read_it(world, suite):
    registry = world["registry"]
    params = {"region": REGION, "period": "2026-09"}
    elsewhere = httpx.get(f"{registry}/v1/liaison-compliance", params=params,
                          headers=bearer(mint_token(suite.signing_key, role="auditor", region="440000")))
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (422, "region-outside-scope")
    hospital = httpx.get(f"{registry}/v1/liaison-compliance", params=params,
                         headers=bearer(mint_token(suite.signing_key, role="hospital", region=REGION,
                                                   hospital="H-CD-1")))
    assert hospital.status_code == 403
    bad = httpx.get(f"{registry}/v1/liaison-compliance", params={"region": REGION, "period": "2026-13"},
                    headers=world["headers"])
    assert (bad.status_code, bad.json()["code"], bad.json()["field"]) == (422, "period-format", "query.period")


def test_the_inspectors_report_scores_the_festival_visits_from_the_registry(world, suite):
    inspector = bearer(mint_token(suite.signing_key, role="auditor", region="420000", subject="inspector-hubei"))
    report = httpx.get(f"{suite.url('supervision')}/v1/supervision", params={"region": REGION, "period": "2026"},
                       headers=inspector, timeout=120)
    assert report.status_code == 200, report.text
    body = report.json()
    compliance = body["figures"]["liaison_compliance"]
    assert compliance["available"] is True and compliance["sources"][0]["service"] == "registry"
    assert compliance["families"] == 2
    items = {item["id"]: item for item in body["scoresheet"]["items"]}
    assert items["festival_visits"]["deducted"] == "2"  # one family not visited at 中秋: 2 points
    assert "中秋节走访慰问应走访 2 户，已走访 1 户" in items["festival_visits"]["basis"]


def test_the_provinces_report_gathers_every_figure_with_its_source(world, suite):
    inspector = bearer(mint_token(suite.signing_key, role="auditor", region="420000", subject="inspector-hubei"))
    supervision = f"{suite.url('supervision')}/v1/supervision"
    answer = httpx.get(supervision, params={"region": "420000", "period": "2026"}, headers=inspector, timeout=180)
    assert answer.status_code == 200, answer.text
    figures = answer.json()["figures"]
    owners = {"families": "registry", "disbursement": "payments", "cards": "medical-priority",
              "green_channel": "medical-priority", "entitled": "eligibility", "liaison_compliance": "registry"}
    for name, owner in owners.items():
        assert figures[name]["available"] is True, (name, figures[name])
        assert figures[name]["sources"][0]["service"] == owner
    compliance = figures["liaison_compliance"]
    assert compliance["families"] >= 2 and compliance["region"] == "420000"
    festival = next(d for d in compliance["duties"] if d["id"] == "festival.mid_autumn")
    assert festival["families_met"] >= 1 and festival["festival"]["date"] == MID_AUTUMN_2026
    workbook = httpx.get(supervision, params={"region": "420000", "period": "2026", "format": "xlsx"},
                         headers=inspector, timeout=180)
    book = load_workbook(io.BytesIO(workbook.content))
    duties = book["联系人履职"]
    assert duties["A1"].value == "职责" and isinstance(duties["B2"].value, int)
    assert any(name.startswith("xl/charts/") for name in zipfile.ZipFile(io.BytesIO(workbook.content)).namelist())


def test_hunan_birthday_visits_count_and_what_the_register_cannot_see_is_said(suite):
    """Hunan 7 asks for more visits on birthdays and in extreme weather: birthdays come from the
    members' dates of birth; the register records no weather, and the figure says so."""
    region = "430105"  # 开福区: no other test or example registers families here
    clerk = mint_token(suite.signing_key, role="clerk", region=region)
    body = _family(0) | {"region_code": region}
    body["mother"] = {"name": "谭秀英", "id_number": id_number(region, "1960-09-10", 2)}
    body["father"] = {"name": "曾建平", "id_number": id_number(region, "1958-03-02", 1)}
    family = register(suite.url("registry"), clerk, body)
    registry = suite.url("registry")
    httpx.put(f"{registry}/v1/families/{family['id']}/liaisons", headers=bearer(clerk), json={"liaisons": [
        _liaison("township", "周敏", "13700000021")]}).raise_for_status()
    visit = httpx.post(f"{registry}/v1/families/{family['id']}/contacts", headers=bearer(clerk), json={
        "kind": "home_visit", "contacted_on": "2026-09-12", "contacted_by": "周敏", "findings": "过生日，送蛋糕"})
    assert visit.status_code == 201, visit.text
    answer = httpx.get(f"{registry}/v1/liaison-compliance", params={"region": region, "period": "2026-09"},
                       headers=bearer(clerk), timeout=30).json()
    rows = {d["id"]: d for d in answer["duties"]}
    birthday = rows["event.birthday"]
    assert (birthday["families_due"], birthday["families_met"], birthday["computable"]) == (1, 1, True)
    weather = rows["event.extreme_weather"]
    assert weather["families_due"] == 0 and "极端恶劣天气" in weather["note"]
