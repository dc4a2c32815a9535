"""Liaison duties as dated data: each document's duties with its clause, layering by region, the
festival dates from the lunar calendar and the window around each, over HTTP.

The quotes are the documents' sentences; each expectation names the clause it comes from.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tefu_common.testing import app_client
from tefu_eligibility.catalogue.catalogue import Catalogue, default_catalogue
from tefu_eligibility.catalogue.errors import CatalogueError
from tefu_eligibility.catalogue.schema import Festival
from tefu_eligibility.duties.festivals import festival_date
from tefu_eligibility.duties.service import duties_view, festival_visit_check
from tefu_eligibility.main import create_app

PACKAGED = Path(__file__).resolve().parents[1] / "src" / "tefu_eligibility" / "catalogue" / "files"


async def _duties(client, auth, region: str, on: str, role: str = "clerk") -> dict:
    response = await client.get("/v1/duties", params={"region": region, "on": on},
                                headers=auth(role=role, region=region))
    assert response.status_code == 200, response.text
    return response.json()


def _by_id(body: dict) -> dict[str, dict]:
    return {duty["id"]: duty for duty in body["duties"]}


# (region, day, duty id, kind, document, clause, the values that matter)
DOCUMENT_DUTIES = [
    # 周政发〔2018〕85号 二（二）2 "每月与联系对象沟通不少于1次"
    ("370306", "2020-06-01", "contact", "contact", "周政发〔2018〕85号", "二（二）2",
     {"min_count": 1, "per": "month", "contact_kinds": ["home_visit", "phone_call", "online", "festival_visit"]}),
    # 二（二）1 "确保每户计划生育特殊家庭有1名较为固定的联系人"
    ("370306", "2020-06-01", "liaisons", "liaisons", "周政发〔2018〕85号", "二（二）1",
     {"posts": [], "contact_group": True, "fixed_contact": True}),
    ("370306", "2020-06-01", "event.emergency", "event_visit", "周政发〔2018〕85号", "二（二）2",
     {"deadline_days": 1}),
    ("370306", "2020-06-01", "festival.dragon_boat", "festival_visit", "周政发〔2018〕85号", "二（二）2、二（十）3",
     {"festival": "dragon_boat"}),
    # 鄂卫生计生通〔2016〕89号 三（四）"一名乡镇（街道）领导干部和一名村（居）委会干部"
    ("420000", "2020-06-01", "liaisons", "liaisons", "鄂卫生计生通〔2016〕89号", "三（四）",
     {"posts": ["township", "village"], "leader_posts": ["township"]}),
    # 三（四）"县（市、区）卫生计生部门领导干部要联系帮扶存在特殊困难的计划生育特殊家庭"
    ("420000", "2020-06-01", "liaisons.special_difficulty", "liaisons", "鄂卫生计生通〔2016〕89号", "三（四）",
     {"posts": ["county_leader"], "leader_posts": ["county_leader"]}),
    # 附件3 "每周要电话联系联系对象至少1次，每月要登门走访联系对象至少2次"
    ("420000", "2020-06-01", "contact.phone_call", "contact", "鄂卫生计生通〔2016〕89号", "附件3（帮扶关怀·联系人帮扶）",
     {"min_count": 1, "per": "week", "contact_kinds": ["phone_call"]}),
    ("420000", "2020-06-01", "contact.home_visit", "contact", "鄂卫生计生通〔2016〕89号", "附件3（帮扶关怀·联系人帮扶）",
     {"min_count": 2, "per": "month"}),
    # 附件2 "春节、端午、中秋传统节日未走访慰问的，1例扣2分"
    ("420000", "2020-06-01", "festival.spring", "festival_visit", "鄂卫生计生通〔2016〕89号", "附件2（帮扶关怀·走访慰问）",
     {"festival": "spring"}),
    ("420000", "2020-06-01", "festival.dragon_boat", "festival_visit", "鄂卫生计生通〔2016〕89号", "附件2（帮扶关怀·走访慰问）",
     {"festival": "dragon_boat"}),
    ("420000", "2020-06-01", "festival.mid_autumn", "festival_visit", "鄂卫生计生通〔2016〕89号", "附件2（帮扶关怀·走访慰问）",
     {"festival": "mid_autumn"}),
    # 嘉卫人口〔2023〕2号 三（一）2 "家庭医生应每季度至少主动联系一次签约的特殊家庭成员"
    ("310114", "2024-01-01", "contact.family_doctor", "contact", "嘉卫人口〔2023〕2号", "三（一）2",
     {"min_count": 1, "per": "quarter", "contact_kinds": ["family_doctor"]}),
    # 六（一）"其中1名为街镇计生工作机构联系人，1名为村居委联系人"
    ("310114", "2024-01-01", "liaisons", "liaisons", "嘉卫人口〔2023〕2号", "六（一）",
     {"posts": ["township", "village"], "leader_posts": []}),
    ("310114", "2024-01-01", "festival.spring", "festival_visit", "嘉卫人口〔2023〕2号", "七", {"festival": "spring"}),
    ("310114", "2024-01-01", "festival.mid_autumn", "festival_visit", "嘉卫人口〔2023〕2号", "七", {"festival": "mid_autumn"}),
    ("310114", "2024-01-01", "event.major_incident", "event_visit", "嘉卫人口〔2023〕2号", "七", {"deadline_days": 7}),
    # 湘政办发〔2023〕36号 2 "一名乡镇（街道）领导干部和一名村（居）委会干部或计划生育协会骨干会员"
    ("430111", "2024-01-01", "liaisons", "liaisons", "湘政办发〔2023〕36号", "2",
     {"posts": ["township", "village"], "leader_posts": ["township"]}),
    # 7 "在极端恶劣天气、传统节日、生日等特殊时间节点，“双岗”联系人应适当增加探访频次"
    ("430111", "2024-01-01", "event.birthday", "event_visit", "湘政办发〔2023〕36号", "7", {"deadline_days": 7}),
    ("430111", "2024-01-01", "event.extreme_weather", "event_visit", "湘政办发〔2023〕36号", "7", {"deadline_days": 1}),
    ("430111", "2024-01-01", "festival.mid_autumn", "festival_visit", "湘政办发〔2023〕36号", "7", {"festival": "mid_autumn"}),
    # 佛山 三（五）"一名镇（街道）领导干部或卫生健康局领导干部、一名村（社区）干部为帮扶联系人"
    ("440604", "2022-01-01", "liaisons", "liaisons", "佛山市计划生育特殊家庭精准扶助实施方案（征求意见稿）", "三（五）",
     {"posts": ["township", "village"], "leader_posts": ["township"]}),
]


@pytest.mark.parametrize(("region", "on", "duty_id", "kind", "document", "clause", "values"), DOCUMENT_DUTIES,
                         ids=[f"{r}-{d}" for r, _, d, *_ in DOCUMENT_DUTIES])
async def test_each_documents_duty_with_its_clause_and_quote(client, auth, region, on, duty_id, kind, document, clause,
                                                             values):
    duty = _by_id(await _duties(client, auth, region, on))[duty_id]
    assert duty["kind"] == kind
    assert (duty["source"]["document"], duty["source"]["clause"]) == (document, clause)
    assert duty["source"]["quote"] and duty["name"]
    assert {k: duty["values"][k] for k in values} == values


async def test_the_answer_names_its_catalogue_version_and_the_documents_region(client, auth):
    body = await _duties(client, auth, "420102", "2026-09-01")
    assert body["catalogue_version"] == default_catalogue().version
    assert body["region"] == "420102" and body["region_name"] == "湖北省武汉市江岸区"
    assert {d["source"]["region_code"] for d in body["duties"]} == {"420000"}
    assert body["drafts"] == []


async def test_duties_are_dated_with_their_documents(client, auth):
    # 周政发〔2018〕85号 "本实施意见自2019年2月1日起执行，有效期至2022年1月31日。"
    assert _by_id(await _duties(client, auth, "370306", "2022-01-31"))["contact"]["effective_to"] == "2022-01-31"
    assert (await _duties(client, auth, "370306", "2022-02-01"))["duties"] == []
    assert (await _duties(client, auth, "370306", "2019-01-31"))["duties"] == []
    # 嘉卫人口〔2023〕2号 dated 2023-07-13.
    assert (await _duties(client, auth, "310114", "2023-07-12"))["duties"] == []
    assert "contact.family_doctor" in _by_id(await _duties(client, auth, "310114", "2023-07-13"))
    # Foshan's draft: in force 2020-01-01 for five years, and flagged.
    foshan = await _duties(client, auth, "440604", "2024-12-31")
    assert foshan["drafts"] == ["佛山市计划生育特殊家庭精准扶助实施方案（征求意见稿）"]
    assert foshan["duties"][0]["source"]["draft"] is True
    assert (await _duties(client, auth, "440604", "2025-01-01"))["duties"] == []


async def test_jiading_visits_at_spring_and_mid_autumn_and_after_a_death_in_the_family(client, auth):
    # 七 "逢春节、中秋等重要传统节日" names two festivals; "意外、重病、受灾、亡故" trigger a visit.
    duties = _by_id(await _duties(client, auth, "310114", "2024-01-01"))
    assert "festival.dragon_boat" not in duties
    triggers = duties["event.major_incident"]["values"]["triggers"]
    assert {t["event"] for t in triggers} == {"accident", "serious_illness", "disaster", "child_died", "parent_died"}
    # Only deaths are life events the registry records; the others are named for it to map.
    assert {t["event"]: t["registry_event"] for t in triggers if t["registry_event"]} == {
        "child_died": "child_died", "parent_died": "parent_died"}
    # "家庭医生应每季度至少主动联系一次签约的特殊家庭成员": only the members who signed.
    assert duties["contact.family_doctor"]["applies_to"] == "family_doctor_signed"


async def test_the_values_the_texts_do_not_give_are_marked_as_defaults(client, auth):
    duties = _by_id(await _duties(client, auth, "310114", "2024-01-01"))
    # "及时开展走访慰问": no number of days in the text.
    assert [d["value"] for d in duties["event.major_incident"]["defaults"]] == ["deadline_days"]
    assert "及时" in duties["event.major_incident"]["defaults"][0]["note"]
    assert [d["value"] for d in duties["festival.spring"]["defaults"]] == ["window"]
    # Hubei 附件3 gives the counts: nothing chosen.
    hubei = _by_id(await _duties(client, auth, "420000", "2024-01-01"))
    assert hubei["contact.phone_call"]["defaults"] == []
    # Zhoucun "在重大传统节日开展走访慰问活动" names no festival: the three are a default too.
    zhoucun = _by_id(await _duties(client, auth, "370306", "2020-06-01"))
    assert {d["value"] for d in zhoucun["festival.mid_autumn"]["defaults"]} == {"festival", "window"}


@pytest.mark.parametrize(("year", "spring", "dragon_boat", "mid_autumn"), [
    (2025, "2025-01-29", "2025-05-31", "2025-10-06"),
    (2026, "2026-02-17", "2026-06-19", "2026-09-25"),
    (2027, "2027-02-06", "2027-06-09", "2027-09-15"),
])
async def test_festival_dates_come_from_the_lunar_calendar(client, auth, year, spring, dragon_boat, mid_autumn):
    response = await client.get("/v1/festivals", params={"year": year}, headers=auth(role="service", region="000000"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["year"] == year and body["calendar"] == "lunar-python"
    assert {f["festival"]: f["date"] for f in body["festivals"]} == {
        "spring": spring, "dragon_boat": dragon_boat, "mid_autumn": mid_autumn}
    assert [f["lunar_date"] for f in body["festivals"]] == ["正月初一", "五月初五", "八月十五"]


async def test_a_festival_duty_carries_this_years_and_next_years_dates_with_the_window(client, auth):
    duties = _by_id(await _duties(client, auth, "420102", "2026-09-01"))
    mid_autumn = duties["festival.mid_autumn"]
    assert mid_autumn["values"]["window"] == {"before": 7, "after": 7}
    this_year, next_year = mid_autumn["festivals"]
    assert this_year == {
        "festival": "mid_autumn", "year": 2026, "date": "2026-09-25", "window_from": "2026-09-18",
        "window_to": "2026-10-02", "outside_reason": this_year["outside_reason"]}
    assert (next_year["year"], next_year["date"], next_year["window_from"]) == (2027, "2027-09-15", "2027-09-08")
    assert "2026-09-18至2026-10-02" in this_year["outside_reason"]
    assert "鄂卫生计生通〔2016〕89号" in this_year["outside_reason"] and "默认值" in this_year["outside_reason"]
    spring = duties["festival.spring"]["festivals"]
    # 春节 2027-02-06: from 15 days before to 正月十五.
    assert (spring[1]["date"], spring[1]["window_from"], spring[1]["window_to"]) == (
        "2027-02-06", "2027-01-22", "2027-02-20")
    assert duties["contact.phone_call"]["festivals"] is None


async def test_a_festival_visit_outside_its_window_is_refused_with_the_reason(client, auth):
    headers = auth(role="service", region="000000")
    inside = await client.get("/v1/duties/festival-visit", headers=headers,
                              params={"region": "420102", "festival": "mid_autumn", "visited_on": "2026-10-02"})
    assert inside.status_code == 200, inside.text
    assert inside.json()["admitted"] is True and inside.json()["reason"] is None
    outside = await client.get("/v1/duties/festival-visit", headers=headers,
                               params={"region": "420102", "festival": "mid_autumn", "visited_on": "2026-10-03"})
    body = outside.json()
    assert body["admitted"] is False
    assert (body["festival_date"], body["window_from"], body["window_to"]) == ("2026-09-25", "2026-09-18", "2026-10-02")
    assert body["reason"].startswith("2026-10-03的走访不计入：2026年中秋节为2026-09-25")
    assert body["duty_id"] == "420000/420000-hubei/festival.mid_autumn"
    # Jiading has no 端午 duty (七 names 春节 and 中秋): nothing restricts such a visit.
    free = await client.get("/v1/duties/festival-visit", headers=headers,
                            params={"region": "310114", "festival": "dragon_boat", "visited_on": "2026-10-03"})
    assert free.json()["admitted"] is True and free.json()["duty_id"] is None


@pytest.mark.parametrize(("params", "field", "code"), [
    ({"region": "42010"}, "query.region", "region-code-format"),
    ({"region": "429999"}, "query.region", "region-code-unknown"),
    ({"region": "420102", "on": "1949-12-31"}, "query.on", "date-before-1950"),
])
async def test_a_bad_region_or_date_is_refused_naming_the_field(client, auth, params, field, code):
    response = await client.get("/v1/duties", params=params, headers=auth(role="clerk", region="420102"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert (problem["field"], problem["code"]) == (field, code)
    assert problem["errors"][0]["detail"]


async def test_a_year_out_of_range_is_refused(client, auth):
    response = await client.get("/v1/festivals", params={"year": 1900}, headers=auth(role="clerk", region="420102"))
    assert response.status_code == 422
    assert (response.json()["field"], response.json()["code"]) == ("query.year", "year-out-of-range")
    assert "1950" in response.json()["errors"][0]["detail"]


@pytest.mark.parametrize("role", ["clerk", "approver", "auditor", "admin", "service"])
async def test_the_catalogues_readers_and_the_registrys_machine_client_read_the_duties(client, auth, role):
    assert (await _duties(client, auth, "420102", "2026-09-01", role=role))["duties"]


async def test_a_hospital_may_not_read_the_duties(client, auth):
    response = await client.get("/v1/duties", params={"region": "420102"},
                                headers=auth(role="hospital", region="420102", hospital="H001"))
    assert response.status_code == 403
    assert (await client.get("/v1/duties", params={"region": "420102"})).status_code == 401


# Layering: a county document under Hubei.

COUNTY = """\
region: "420102"
region_name: 湖北省武汉市江岸区
document:
  number: 岸卫〔2025〕1号
  title: 测试文件
  issuer: 江岸区卫生健康局
  effective_from: 2025-01-01
duties:
"""

TIGHTER = COUNTY + """\
  - id: festival.mid_autumn
    kind: festival_visit
    name: 中秋节走访慰问
    festival: mid_autumn
    window: {before: 3, after: 3}
    clause: 三
    quote: 中秋节前后三天内走访慰问。
  - id: contact.home_visit
    kind: contact
    name: 每月登门走访至少4次
    contact_kinds: [home_visit]
    min_count: 4
    per: month
    clause: 四
    quote: 每月登门走访至少4次。
  - id: contact.online
    kind: contact
    name: 每周网络沟通至少1次
    contact_kinds: [online]
    min_count: 1
    per: week
    clause: 五
    quote: 每周网络沟通至少1次。
"""


def _catalogue_with(tmp_path: Path, files: dict[str, str]) -> Catalogue:
    for path in PACKAGED.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return Catalogue.load(tmp_path)


async def test_a_hubei_county_inherits_the_provinces_duties(client, auth):
    duties = _by_id(await _duties(client, auth, "420102", "2026-09-01"))
    assert set(duties) == {"liaisons", "liaisons.special_difficulty", "contact.phone_call", "contact.home_visit",
                           "festival.spring", "festival.dragon_boat", "festival.mid_autumn"}
    assert {d["source"]["file"] for d in duties.values()} == {"420000-hubei.yaml"}


async def test_a_tighter_county_duty_wins_and_says_which_document_it_comes_from(tmp_path, settings, auth):
    catalogue = _catalogue_with(tmp_path, {"420102-test.yaml": TIGHTER})
    async with app_client(create_app(settings.model_copy(update={"catalogue_dir": tmp_path}),
                                     configure_logs=False)) as client:
        body = await _duties(client, auth, "420102", "2026-09-01")
        before = await _duties(client, auth, "420102", "2024-12-31")
        neighbour = await _duties(client, auth, "420103", "2026-09-01")
    assert body["catalogue_version"] == catalogue.version != default_catalogue().version
    duties = _by_id(body)
    mid_autumn = duties["festival.mid_autumn"]
    assert mid_autumn["values"]["window"] == {"before": 3, "after": 3}
    assert (mid_autumn["source"]["document"], mid_autumn["source"]["file"]) == ("岸卫〔2025〕1号", "420102-test.yaml")
    assert mid_autumn["replaces"] == ["420000/420000-hubei/festival.mid_autumn"]
    assert mid_autumn["festivals"][0]["window_from"] == "2026-09-22"
    assert duties["contact.home_visit"]["values"]["min_count"] == 4
    assert duties["contact.online"]["replaces"] == []  # added by the county
    assert duties["contact.phone_call"]["source"]["file"] == "420000-hubei.yaml"  # inherited
    assert {"duty_id": "420000/420000-hubei/contact.home_visit",
            "by": "420102/420102-test/contact.home_visit"} in body["overridden"]
    # Before the county document, and in another county, the province's duty applies.
    assert _by_id(before)["festival.mid_autumn"]["values"]["window"] == {"before": 7, "after": 7}
    assert "contact.online" not in _by_id(before)
    assert _by_id(neighbour)["festival.mid_autumn"]["source"]["file"] == "420000-hubei.yaml"
    # The festival-visit check follows the tighter window.
    check = festival_visit_check(catalogue, "420102", Festival.mid_autumn, date(2026, 9, 21))
    assert check["admitted"] is False and "2026-09-22至2026-09-28" in check["reason"]


def _county_duty(text: str) -> str:
    return COUNTY + text


@pytest.mark.parametrize(("duty", "fault"), [
    # Wider than Hubei's 7 days either side.
    ("""  - {id: festival.mid_autumn, kind: festival_visit, name: 中秋, festival: mid_autumn, window: {before: 30, after: 7},
     clause: 三, quote: 中秋节前30天内走访。}
""", "时间窗口"),
    # Fewer than 附件3's two home visits a month.
    ("""  - {id: contact.home_visit, kind: contact, name: 走访, contact_kinds: [home_visit], min_count: 1, per: month,
     clause: 四, quote: 每月走访1次。}
""", "频次每月1次低于每月2次"),
    # Once a month by phone is less than once a week.
    ("""  - {id: contact.phone_call, kind: contact, name: 电话, contact_kinds: [phone_call], min_count: 3, per: month,
     clause: 四, quote: 每月电话3次。}
""", "低于每周1次"),
    # Counting online contacts as the phone calls 附件3 asks for.
    ("""  - {id: contact.phone_call, kind: contact, name: 电话, contact_kinds: [phone_call, online], min_count: 2, per: week,
     clause: 四, quote: 每周电话或网络联系2次。}
""", "online"),
    # 三（四）: the township liaison is a leading cadre.
    ("""  - {id: liaisons, kind: liaisons, name: 双岗, posts: [township, village], clause: 六, quote: 双岗联系人。}
""", "少了领导干部岗位 township"),
])
def test_a_looser_county_duty_is_refused_at_load(tmp_path, duty, fault):
    with pytest.raises(CatalogueError) as failure:
        _catalogue_with(tmp_path, {"420102-test.yaml": _county_duty(duty)})
    assert failure.value.code == "duty-looser-than-parent"
    assert failure.value.where.startswith("420102-test.yaml: duties[0]")
    assert "420000/420000-hubei/" in failure.value.message.zh and fault in failure.value.message.zh
    assert "looser" in str(failure.value)


def test_a_looser_duty_outside_the_parents_dates_is_not_compared(tmp_path):
    # Zhoucun lapsed on 2022-01-31; a later county document under no duty of its own level may set any value.
    later = _county_duty("""  - {id: contact, kind: contact, name: 沟通, contact_kinds: [phone_call], min_count: 1, per: quarter,
     clause: 一, quote: 每季度电话联系1次。}
""").replace('"420102"', '"370306"').replace("湖北省武汉市江岸区", "山东省淄博市周村区").replace(
        "effective_from: 2025-01-01", "effective_from: 2023-01-01")
    catalogue = _catalogue_with(tmp_path, {"370306-later.yaml": later})
    view = duties_view(catalogue, "370306", date(2024, 1, 1))
    assert [(d["id"], d["values"]["per"]) for d in view["duties"]] == [("contact", "quarter")]


@pytest.mark.parametrize(("duty", "code"), [
    ("""  - {id: festival.mid_autumn, kind: contact, name: 中秋, contact_kinds: [home_visit], min_count: 9, per: month,
     clause: 三, quote: 走访。}
""", "duty-kind-changed"),
    ("""  - {id: x, kind: liaisons, name: 双岗, posts: [village], leader_posts: [township], clause: 六, quote: 双岗。}
""", "duty-leader-post"),
    ("""  - {id: x, kind: event_visit, name: 走访, triggers: [accident], deadline_days: 3, clause: 七, quote: 及时走访。,
     defaults: [{value: window, note: 无}]}
""", "duty-default-unknown"),
    ("""  - {id: x, kind: festival_visit, name: 中秋, festival: mid_autumn, window: {before: 1, after: 1}, clause: 七, quote: 中秋。}
  - {id: x, kind: festival_visit, name: 中秋, festival: mid_autumn, window: {before: 1, after: 1}, clause: 七, quote: 中秋。}
""", "duty-id-repeated"),
])
def test_a_malformed_duty_stops_the_load_naming_the_file(tmp_path, duty, code):
    with pytest.raises(CatalogueError) as failure:
        _catalogue_with(tmp_path, {"420102-test.yaml": _county_duty(duty)})
    assert failure.value.code == code
    assert failure.value.where.startswith("420102-test.yaml")


def test_two_versions_of_a_duty_may_not_overlap_in_one_region(tmp_path):
    duty = "  - {id: x, kind: festival_visit, name: 中秋, festival: mid_autumn, window: {before: 1, after: 1}, clause: 七, quote: 中秋。}\n"
    with pytest.raises(CatalogueError) as failure:
        _catalogue_with(tmp_path, {"420102-a.yaml": _county_duty(duty),
                                   "420102-b.yaml": _county_duty(duty).replace("1号", "2号")})
    assert failure.value.code == "duty-versions-overlap"


def test_a_festival_visit_belongs_to_the_nearest_festival_across_the_new_year(tmp_path):
    # A region with no duty above it may set a long window: 40 days before 春节 2027 (2027-02-06)
    # starts in December 2026.
    guangxi = _county_duty("""  - {id: festival.spring, kind: festival_visit, name: 春节, festival: spring, window: {before: 40, after: 0},
     clause: 一, quote: 春节前40天内走访。}
""").replace('"420102"', '"450102"').replace("湖北省武汉市江岸区", "广西壮族自治区南宁市兴宁区")
    catalogue = _catalogue_with(tmp_path, {"450102-test.yaml": guangxi})
    assert festival_date(Festival.spring, 2027) == date(2027, 2, 6)
    december = festival_visit_check(catalogue, "450102", Festival.spring, date(2026, 12, 28))
    assert december["admitted"] is True and december["festival_date"] == date(2027, 2, 6)
    late = festival_visit_check(catalogue, "450102", Festival.spring, date(2026, 2, 18))
    assert late["admitted"] is False and late["festival_date"] == date(2026, 2, 17)
