"""家庭 pages against the real registry and eligibility apps: search, register, a family's page, events."""

from __future__ import annotations

import re

import httpx

from tefu_common.testing import bearer

from tefu_console.families.search import Search

from .conftest import csrf_of

MOTHER = {"body.mother.name": "李秀英", "body.mother.id_number": "370306196408175820",
          "body.mother.bank_account.bank": "中国农业银行周村支行",
          "body.mother.bank_account.account_number": "6228480012345678901",
          "body.mother.bank_account.holder": "李秀英", "body.mother.in_resident_pension": "true",
          "body.mother.monthly_basic_pension": "150.00"}
FAMILY = {"body.region_code": "370306", "body.hukou_type": "rural", "body.address": "周村区南郊镇某村12号",
          **MOTHER, "body.father.name": "王建国", "body.father.id_number": "370306196202145714",
          "body.child.name": "王小明", "body.child.birth_date": "1988-09-03"}


async def register(suite, **changes) -> int:
    csrf = await csrf_of(suite.http, "/families/new")
    answer = await suite.http.post("/families/new", data={"csrf_token": csrf, **FAMILY, **changes})
    assert answer.status_code == 303, answer.text[:2000]
    return int(re.search(r"/families/(\d+)", answer.headers["location"]).group(1))


async def test_a_mistyped_id_number_is_shown_at_its_field_in_the_services_words(suite, as_person):
    await as_person(suite.console, suite.http, role="clerk", region="370306")
    csrf = await csrf_of(suite.http, "/families/new")
    refused = await suite.http.post("/families/new", data={
        "csrf_token": csrf, **FAMILY, "body.mother.id_number": "370306196408175821"})
    assert refused.status_code == 422
    field = re.search(r'<p class="field-error" data-field="body.mother.id_number">([^<]+)</p>', refused.text)
    assert field and "校验码" in field.group(1)
    assert '<input id="body.mother.id_number" name="body.mother.id_number"' in refused.text
    assert 'value="370306196408175821"' in refused.text and 'value="王小明"' in refused.text  # kept as typed
    assert '<div class="error" role="alert">' in refused.text


async def test_a_registered_family_has_its_page_and_a_death_makes_it_special(suite, as_person):
    await as_person(suite.console, suite.http, role="clerk", region="370306", subject="clerk-zhang")
    family_id = await register(suite)
    page = await suite.http.get(f"/families/{family_id}?notice=registered")
    assert page.status_code == 200
    assert '<div class="notice" role="status">家庭已登记。</div>' in page.text
    assert "李秀英" in page.text and "目前不属于特殊家庭" in page.text
    assert "登记家庭" in page.text and "clerk-zhang" in page.text  # 一人一档: who registered it
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", page.text)
    assert "就医优先服务暂时无法访问" in page.text  # the card service is away: only its part says so

    csrf = await csrf_of(suite.http, f"/families/{family_id}/events/new")
    wrong = await suite.http.post(f"/families/{family_id}/events/new", data={
        "csrf_token": csrf, "body.kind": "child_died", "body.occurred_on": "2099-01-01"})
    assert wrong.status_code == 422 and 'class="field-error"' in wrong.text
    bad_certificate = await suite.http.post(f"/families/{family_id}/events/new", data={
        "csrf_token": csrf, "body.kind": "disability_certified", "body.occurred_on": "2015-01-01", "body.level": "3",
        "body.category": "4", "body.certificate_no": "123"})
    assert '<p class="field-error" data-field="body.certificate_no">' in bad_certificate.text  # at its input
    recorded = await suite.http.post(f"/families/{family_id}/events/new", data={
        "csrf_token": csrf, "body.kind": "child_died", "body.occurred_on": "2019-03-10"})
    assert recorded.status_code == 303
    page = await suite.http.get(recorded.headers["location"])
    assert "事件已记录" in page.text and '<span class="tag tag-primary">特殊家庭</span>' in page.text
    assert "记录事件" in page.text
    # Due today from the eligibility service, with the citation of each rule and its amount basis.
    assert "计划生育家庭特别扶助金" in page.text and "国人口发〔2007〕78号" in page.text
    assert re.search(r'<span class="tag amount-(local|national_minimum|unknown)">', page.text)


async def test_the_list_searches_by_name_and_pages_with_the_suites_cursor(suite, as_person):
    await as_person(suite.console, suite.http, role="clerk", region="370306")
    first = await register(suite)
    second = await register(suite, **{"body.mother.name": "赵桂兰", "body.mother.id_number": "370306196604125847",
                                      "body.mother.bank_account.holder": "赵桂兰",
                                      "body.father.name": "孙志强", "body.father.id_number": "370306196509205734"})
    found = await suite.http.get("/families", params={"q": "李秀英"})
    assert f'href="/families/{first}"' in found.text and f'href="/families/{second}"' not in found.text
    assert "李*英" in found.text  # lists show names as the registry masks them

    # Part of any member's name, the last 4 or 6 characters of an ID number, or a whole one.
    for q in ("秀英", "李", "建国", "5820", "175820", "370306196408175820", "３７０３０６１９６４０８１７５８２０"):
        listed = await suite.http.get("/families", params={"q": q})
        assert f'href="/families/{first}"' in listed.text and f'href="/families/{second}"' not in listed.text, q
    for q in ("王", "小明"):  # the child's name: both families' child is 王小明
        both = await suite.http.get("/families", params={"q": q})
        assert f'href="/families/{first}"' in both.text and f'href="/families/{second}"' in both.text, q
    assert "可输入姓名中的任意几个字" in found.text  # the box says what it takes
    digits = await suite.http.get("/families", params={"q": "58201"})
    assert "请输入身份证号的后4位或后6位" in digits.text and '<p class="count">' not in digits.text

    suite.console.state.settings.page_size = 1
    page = await suite.http.get("/families", params={"region": "370306"})
    assert "共 2 户" in page.text
    following = re.search(r'<a href="(/families\?[^"]*cursor=[^"]+)" rel="next">', page.text).group(1)
    rest = await suite.http.get(following.replace("&amp;", "&"))
    assert rest.status_code == 200 and "回到第一页" in rest.text
    shown = {int(i) for i in re.findall(r'<td><a href="/families/(\d+)">', page.text + rest.text)}
    assert shown == {first, second}


def test_the_search_box_maps_what_is_typed_to_the_registrys_query():
    assert Search("李秀英").params() == ({"name_contains": "李秀英"}, None)
    assert Search(" 张 ").params() == ({"name_contains": "张"}, None)
    assert Search("5820").params() == ({"id_number_tail": "5820"}, None)
    assert Search("12345x").params() == ({"id_number_tail": "12345X"}, None)
    assert Search("１２３４").params() == ({"id_number_tail": "1234"}, None)  # full-width digits
    assert Search("11010519491231002x").params() == ({"id_number": "11010519491231002X"}, None)
    assert Search("110105491231002").params() == ({"id_number": "110105491231002"}, None)
    assert Search("X").params() == ({"name_contains": "X"}, None)  # a letter alone is part of a Latin name
    for slip in ("123", "12345", "1234567", "12345678901234567"):
        params, note = Search(slip).params()
        assert params == {} and "后4位或后6位" in note, slip
    assert Search("秀英", "370306", "special").params() == (
        {"name_contains": "秀英", "region": "370306", "special_family": "true"}, None)


async def test_a_clerk_of_another_region_sees_nothing_of_the_family(suite, as_person):
    await as_person(suite.console, suite.http, role="clerk", region="370306")
    family_id = await register(suite)
    await as_person(suite.console, suite.http, role="clerk", region="420106")
    page = await suite.http.get(f"/families/{family_id}")
    assert page.status_code == 404 and "李秀英" not in page.text


async def test_reads_through_the_console_are_logged_under_the_person_and_auditors_see_them(suite, as_person, token):
    await as_person(suite.console, suite.http, role="clerk", region="370306", subject="clerk-zhang")
    family_id = await register(suite)
    await suite.http.get(f"/families/{family_id}")
    await as_person(suite.console, suite.http, role="auditor", region="370306")
    log = await suite.http.get("/audit", params={"log": "registry", "key": str(family_id)})
    assert log.status_code == 200 and "clerk-zhang" in log.text and f"家庭 {family_id}" in log.text
    # The registry itself recorded it under the clerk: the console has no rights of its own.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=suite.registry), base_url="http://registry") as registry:
        entries = (await registry.get("/v1/access-log", params={"family_id": family_id},
                                      headers=bearer(token(role="auditor", region="370306")))).json()["items"]
    assert {e["subject"] for e in entries} == {"clerk-zhang"}
