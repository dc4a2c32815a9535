"""联系人 pages against the real registry and eligibility apps: a family's duties, the contact form,
the work list and compliance; the supervision pages' menu and refusal."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from starlette.datastructures import FormData

from tefu_common.calendar import today
from tefu_common.resident_id import check_character
from tefu_common.testing import bearer

from tefu_console.duties.contacts import contact_body, duty_terms
from tefu_console.periods import recent_periods

from .conftest import csrf_of

REGION = "420117"  # 武汉市新洲区: Hubei's liaison duties
FAMILY = {"body.region_code": REGION, "body.hukou_type": "urban", "body.mother.name": "陶秀英",
          "body.mother.id_number": "42011719610410004" + check_character("42011719610410004"), "body.child.name": "陶小军",
          "body.child.birth_date": "1986-02-01", "body.events.0.kind": "child_died",
          "body.events.0.occurred_on": "2018-03-10"}


def test_the_contact_body_keeps_a_festival_only_for_a_festival_visit_and_names_the_liaison_chosen():
    liaisons = [{"id": 7, "name": "赵敏", "post": "township"}]
    body = contact_body(FormData([("body.kind", "phone_call"), ("body.festival", "mid_autumn"),
                                  ("body.contacted_on", "2026-11-02"), ("body.liaison_id", "7"),
                                  ("body.contacted_by", ""), ("body.findings", "好")]), liaisons)
    assert body == {"kind": "phone_call", "contacted_on": "2026-11-02", "liaison_id": 7, "contacted_by": "赵敏",
                    "findings": "好"}
    festival = contact_body(FormData([("body.kind", "festival_visit"), ("body.festival", "spring"),
                                      ("body.contacted_on", "2026-02-17"), ("body.contacted_by", "孙丽"),
                                      ("body.findings", "好")]), liaisons)
    assert festival["festival"] == "spring" and festival["contacted_by"] == "孙丽" and "liaison_id" not in festival


def test_a_festival_duty_reads_as_its_dates_and_window_and_a_contact_duty_as_its_frequency():
    assert duty_terms({"kind": "contact", "values": {"contact_kinds": ["phone_call"], "min_count": 1, "per": "week"}}) \
        == ["每周至少1次（电话联系）"]
    assert duty_terms({"kind": "festival_visit", "values": {}, "festivals": [
        {"festival": "mid_autumn", "year": 2026, "date": "2026-09-25", "window_from": "2026-09-18",
         "window_to": "2026-10-02"}]}) == ["2026年中秋节为2026年9月25日，走访须在2026年9月18日至2026年10月2日之间"]


def test_the_period_selector_offers_months_quarters_and_years_newest_first():
    groups = dict(recent_periods(today().replace(year=2026, month=2, day=3)))
    assert groups["月"][:3] == ["2026-02", "2026-01", "2025-12"]
    assert groups["季度"][:2] == ["2026-Q1", "2025-Q4"] and groups["年"] == ["2026", "2025", "2024"]


async def _family(suite, token, region_code: str = REGION) -> int:  # type: ignore[no-untyped-def]
    csrf = await csrf_of(suite.http, "/families/new")
    answer = await suite.http.post("/families/new", data={"csrf_token": csrf, **FAMILY,
                                                          "body.region_code": region_code})
    assert answer.status_code == 303, answer.text[:2000]
    family_id = int(re.search(r"/families/(\d+)", answer.headers["location"]).group(1))
    assigned = (today() - timedelta(days=100)).isoformat()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=suite.registry), base_url="http://registry") as api:
        put = await api.put(f"/v1/families/{family_id}/liaisons", headers=bearer(token(role="clerk", region=REGION)),
                            json={"liaisons": [{"post": "township", "name": "赵敏", "phone": "13700000001",
                                                "unit": "邾城街卫生健康办公室", "assigned_on": assigned}]})
        assert put.status_code == 200, put.text
    return family_id


async def test_the_contact_form_shows_the_duties_in_force_and_keeps_a_refused_festival_visit_in_place(
        suite, as_person, token):
    await as_person(suite.console, suite.http, role="clerk", region=REGION)
    family_id = await _family(suite, token)
    form = await suite.http.get(f"/families/{family_id}/contacts/new")
    assert form.status_code == 200, form.text[:2000]
    assert "本地区的联系人职责" in form.text and "每周至少1次" in form.text and "中秋节为" in form.text
    assert '<option value="family_doctor"' in form.text and "赵敏" in form.text
    this_year = re.search(r"(\d{4})年中秋节为(\d{4})年(\d{1,2})月(\d{1,2})日", form.text)
    assert this_year
    festival = today().replace(year=int(this_year.group(2)), month=int(this_year.group(3)), day=int(this_year.group(4)))
    visited = festival + timedelta(days=61)
    if visited > today():
        visited = festival - timedelta(days=300)
    refused = await suite.http.post(f"/families/{family_id}/contacts/new", data={
        "csrf_token": await csrf_of(suite.http, f"/families/{family_id}/contacts/new"),
        "body.kind": "festival_visit", "body.festival": "mid_autumn", "body.contacted_on": visited.isoformat(),
        "body.contacted_by": "陶志军", "body.findings": "送去月饼"})
    assert refused.status_code == 422, refused.text[:2000]
    error = re.search(r'<p class="field-error" data-field="body.contacted_on">([^<]+)</p>', refused.text)
    assert error and "中秋" in error.group(1), refused.text[:3000]
    assert f'value="{visited.isoformat()}"' in refused.text and "送去月饼" in refused.text

    recorded = await suite.http.post(f"/families/{family_id}/contacts/new", data={
        "csrf_token": await csrf_of(suite.http, f"/families/{family_id}/contacts/new"),
        "body.kind": "phone_call", "body.contacted_on": today().isoformat(), "body.liaison_id": "",
        "body.contacted_by": "赵敏", "body.findings": "电话问候"})
    assert recorded.status_code == 303, recorded.text[:2000]
    page = await suite.http.get(recorded.headers["location"])
    assert "联系已记录" in page.text and "联系人职责" in page.text and "电话问候" in page.text


async def test_the_work_list_and_compliance_pages_answer_from_the_registry(suite, as_person, token):
    await as_person(suite.console, suite.http, role="clerk", region=REGION)
    family_id = await _family(suite, token)
    listed = await suite.http.get("/duties", params={"region": REGION})
    assert listed.status_code == 200, listed.text[:2000]
    assert f'data-family="{family_id}"' in listed.text and 'data-count="overdue"' in listed.text
    compliance = await suite.http.get("/duties/compliance", params={"region": REGION, "period": f"{today():%Y}"})
    assert compliance.status_code == 200, compliance.text[:2000]
    assert '<svg class="chart"' in compliance.text and "contact.phone_call" in compliance.text


async def test_a_clerk_has_no_supervision_menu_and_the_page_is_refused(suite, as_person):
    await as_person(suite.console, suite.http, role="clerk", region=REGION)
    home = await suite.http.get("/duties/compliance")
    assert 'href="/duties"' in home.text
    assert 'href="/supervision"' not in home.text and 'href="/returns"' not in home.text
    for path in ("/supervision", "/returns", "/supervision/reports/1.xlsx", "/returns/1.xlsx"):
        refused = await suite.http.get(path)
        assert refused.status_code == 403 and "你没有权限" in refused.text, path


async def test_a_region_outside_the_clerks_is_said_above_the_form(suite, as_person):
    await as_person(suite.console, suite.http, role="clerk", region=REGION)
    for path in ("/duties", "/duties/compliance"):
        refused = await suite.http.get(path, params={"region": "370306"})
        assert refused.status_code == 422, (path, refused.status_code)
        assert '<div class="error" role="alert">' in refused.text and 'name="region"' in refused.text
        assert 'value="370306"' in refused.text  # the form keeps what was asked


async def test_a_family_registered_at_a_township_reads_its_countys_duties(suite, as_person, token):
    await as_person(suite.console, suite.http, role="clerk", region=REGION)
    family_id = await _family(suite, token, region_code=REGION + "100")  # a township of 新洲区
    form = await suite.http.get(f"/families/{family_id}/contacts/new")
    assert form.status_code == 200, form.text[:2000]
    assert "每周至少1次" in form.text and "中秋节为" in form.text
