"""The evaluation and catalogue endpoints over HTTP: shapes, errors, roles and regions."""

from __future__ import annotations

import httpx
import orjson
import pytest

from tefu_common.testing import app_client
from tefu_common.upstream import RETRY_AFTER

from .families import family


EXAMPLE = {
    "as_of": "2020-06-15",
    "family": {
        "region_code": "370306", "hukou_type": "rural", "honor_certificate": True, "assistance_certificate": False,
        "low_income": False, "extreme_poverty": False,
        "parents": [
            {"role": "mother", "birth_date": "1965-03-02", "death_date": None, "in_resident_pension": True,
             "monthly_basic_pension": "150.00"},
            {"role": "father", "birth_date": "1963-07-09", "death_date": None}],
        "child": {"birth_date": "1990-05-01", "adopted": False, "status": "deceased", "event_date": "2019-03-10",
                  "disability_level": None, "recovered_on": None},
        "later_children": [{"kind": "birth", "date": "2021-05-01", "assisted_reproduction": True}],
    },
}


async def test_evaluate_the_example_of_the_api_description(client, auth):
    response = await client.post("/v1/evaluate", json=EXAMPLE, headers=auth(role="clerk", region="370306"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["special_family"] is True
    special = next(b for b in body["benefits"] if b["code"] == "special_assistance")
    assert special["amount"] == "610.00" and special["total"] == "1220.00" and special["period"] == "2020-06"
    assert special["recipients"] == ["mother", "father"] and special["kind"] == "cash" and special["basis"] == "person"
    assert special["citation"]["document"] == "国人口发〔2007〕78号"
    condolence = next(b for b in body["benefits"] if b["code"] == "one_time_condolence")
    assert condolence["due_on"] == "2019-03-10" and condolence["amount"] == "2000.00"
    rebirth = next(n for n in body["not_eligible"] if n["code"] == "rebirth_grant")
    assert rebirth["reasons"][0]["text"]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        (lambda b: b["family"]["later_children"][0].update(date="1989-01-01"), "body.family.later_children.0.date",
         "later-child-before-only-child"),
        (lambda b: b["family"]["child"].update(status="disabled", disability_level=7), "body.family.child.disability_level",
         "disability-level-range"),
        (lambda b: b["family"].update(region_code="379999"), "body.family.region_code", "region-code-unknown"),
        (lambda b: b["family"].update(region_code="000000"), "body.family.region_code", "region-code-country"),
        (lambda b: b.update(as_of="1949-12-31"), "body.as_of", "date-before-1950"),
        (lambda b: b["family"]["parents"][0].update(monthly_basic_pension=150.5),
         "body.family.parents.0.monthly_basic_pension", "money-not-a-string"),
        (lambda b: b["family"].update(hukou_type="city"), "body.family.hukou_type", "literal-error"),
        # A list longer than any family holds is refused before a single item is checked.
        (lambda b: b["family"].update(later_children=[{"kind": "birth", "date": "2021-05-01"}] * 21),
         "body.family.later_children", "too-long"),
    ],
)
async def test_bad_facts_are_refused_naming_the_field_and_the_code(client, auth, change, field, code):
    body = {"as_of": EXAMPLE["as_of"], "family": family(later=[{"kind": "birth", "date": "2021-05-01"}],
                                                         pension={"mother": "150.00"})}
    change(body)
    response = await client.post("/v1/evaluate", json=body, headers=auth(role="clerk", region="370306"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert {"field": field, "code": code} in [{"field": e["field"], "code": e["code"]} for e in problem["errors"]]
    assert (problem["field"], problem["code"]) == (field, code)


async def test_every_contradiction_is_listed_in_chinese_or_in_english(client, auth):
    body = {"as_of": "1949-12-31", "family": family(later=[{"kind": "birth", "date": "1989-01-01"}])}
    response = await client.post("/v1/evaluate", json=body, headers=auth(role="clerk", region="370306"))
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "validation-error"
    assert [e["code"] for e in problem["errors"]] == ["date-before-1950", "later-child-before-only-child"]
    assert "早于" in problem["errors"][1]["detail"]
    english = await client.post("/v1/evaluate", json=body,
                                headers=auth(role="clerk", region="370306") | {"Accept-Language": "en"})
    assert english.json()["errors"][1]["detail"] == "1989-01-01 is before the only child joined the family (1990-05-01)"


async def test_evaluate_is_for_clerks_approvers_auditors_and_services(client, auth):
    for role in ("clerk", "approver", "auditor", "service"):
        region = "000000" if role == "service" else "370306"
        response = await client.post("/v1/evaluate", json=EXAMPLE, headers=auth(role=role, region=region))
        assert response.status_code == 200, (role, response.text)
    hospital = await client.post("/v1/evaluate", json=EXAMPLE, headers=auth(role="hospital", region="370306",
                                                                            hospital="H001"))
    assert hospital.status_code == 403
    anonymous = await client.post("/v1/evaluate", json=EXAMPLE)
    assert anonymous.status_code == 401


async def test_a_clerk_cannot_evaluate_a_family_of_another_region(client, auth):
    response = await client.post("/v1/evaluate", json=EXAMPLE, headers=auth(role="clerk", region="420102"))
    assert response.status_code == 403
    problem = response.json()
    assert problem["code"] == "region-outside-scope"
    assert problem["detail"] == "家庭所在地 370306 不在你的辖区 420102 之内"


async def test_jiading_on_shanghai_on_the_nation(client, auth):
    headers = auth(role="clerk", region="310114")
    response = await client.get("/v1/policies/310114", params={"as_of": "2023-09-01"}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [layer["region_code"] for layer in body["layers"]] == ["000000", "310000", "310114"]
    rules = {rule["code"]: rule for rule in body["rules"]}
    assert rules["special_assistance"]["citation"]["region_code"] == "000000"
    assert rules["one_time_condolence"]["citation"] == {
        "document": "嘉卫人口〔2023〕2号", "title": "关于嘉定区建立完善计划生育特殊家庭全方位帮扶保障制度的实施意见",
        "issuer": "上海市嘉定区卫生健康委员会等八部门", "clause": "二", "region_code": "310114"}
    carer = rules["hospital_carer_subsidy"]["amount"][0]
    assert carer["value_on_date"] == "24.00" and carer["value_from"]["region_code"] == "310000"
    # Before the district document: the national rules, and the Shanghai measures the document restates
    # ("按照本市有关规定，落实…"), which were in force before it.
    before = await client.get("/v1/policies/310114", params={"as_of": "2023-07-01"}, headers=headers)
    assert [rule["code"] for rule in before.json()["rules"]] == [
        "free_health_check", "one_time_condolence", "one_time_disability_subsidy", "special_assistance"]
    assert all(rule["standing"] for rule in before.json()["rules"] if rule["code"] != "special_assistance")


async def test_the_catalogue_is_one_page_of_every_document(client, auth):
    response = await client.get("/v1/policies", headers=auth(role="auditor", region="420000"))
    assert response.status_code == 200
    page = response.json()
    assert page["next_cursor"] is None
    assert [doc["region_code"] for doc in page["items"]] == [
        "000000", "310000", "420000", "430000", "440600", "310114", "370306"]


async def test_the_catalogue_pages_like_every_list(client, auth):
    headers = auth(role="auditor", region="420000")
    seen, cursor = [], None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        response = await client.get("/v1/policies", params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 3
        seen += [doc["file"] for doc in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7
    bad = await client.get("/v1/policies", params={"cursor": "not-a-cursor"}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid-cursor"


async def test_policies_of_an_unknown_region_or_too_early_a_date(client, auth):
    response = await client.get("/v1/policies/999999", params={"as_of": "1949-01-01"},
                                headers=auth(role="clerk", region="370306"))
    assert response.status_code == 422
    assert {(e["field"], e["code"]) for e in response.json()["errors"]} == {
        ("path.region_code", "region-code-unknown"), ("query.as_of", "date-before-1950")}
    township = await client.get("/v1/policies/370306001", headers=auth(role="clerk", region="370306"))
    assert township.status_code == 422
    assert township.json()["code"] == "region-code-county"


async def test_entitlements_request_errors_name_the_field(client, auth):
    headers = auth(role="clerk", region="370306")
    response = await client.post("/v1/entitlements", json={"region": "370306", "month": "2020-13", "benefits": ["x"]},
                                 headers=headers)
    assert response.status_code == 422
    assert {(e["field"], e["code"]) for e in response.json()["errors"]} == {
        ("body.month", "month-format"), ("body.benefits.0", "benefit-unknown")}
    response = await client.post("/v1/entitlements", json={"region": "370306", "month": "2020-06", "benefits": ["x"]},
                                 headers=headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body.benefits.0"]
    response = await client.post("/v1/entitlements", json={"region": "370306", "month": "2020-06",
                                                            "from_month": "2014-01"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["code"] == "month-range"
    response = await client.post("/v1/entitlements", json={"region": "37030", "month": "2020-06"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["code"] == "region-code-format"
    response = await client.post("/v1/entitlements", json={"region": "420102", "month": "2020-06"}, headers=headers)
    assert response.status_code == 403
    assert response.json()["code"] == "region-outside-scope"


# --- the registry behind the service ------------------------------------------------------------------


@pytest.fixture
async def unreachable_registry_client(settings, service_under_test):
    # Port 9 (discard) on localhost: nothing listens, the connection is refused at once.
    moved = settings.model_copy(update={"registry_url": "http://127.0.0.1:9", "http_retries": 0})
    async with app_client(service_under_test.create_app(moved, configure_logs=False)) as http:
        yield http


async def test_registry_down_is_a_clean_503(unreachable_registry_client, auth):
    headers = auth(role="clerk", region="370306")
    response = await unreachable_registry_client.get("/v1/families/1/evaluation", headers=headers)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"] == RETRY_AFTER["Retry-After"]
    assert response.json()["code"] == "upstream-unavailable"
    response = await unreachable_registry_client.post("/v1/entitlements", json={"region": "370306", "month": "2020-06"},
                                                      headers=headers)
    assert response.status_code == 503
    assert "登记服务" in response.json()["detail"]


FACTS = {"family_id": 7, "as_of": "2020-06-15", "family": family()}


def registry_answering(seen: list[httpx.Request]) -> httpx.MockTransport:
    """A registry that knows family 7 (and streams it for 370306), and nothing else."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/v1/families/7/facts":
            return httpx.Response(200, json=FACTS)
        if request.url.path == "/v1/families/9/facts":  # registered with a later child before the only child
            return httpx.Response(200, json=FACTS | {"family_id": 9, "family": family(
                later=[{"kind": "birth", "date": "1989-01-01"}])})
        if request.url.path == "/v1/facts" and request.url.params["region"] == "370306":
            lines = b"".join(orjson.dumps({"family_id": i, "as_of": "2020-06-30", "family": family()}) + b"\n"
                             for i in (7, 8))
            return httpx.Response(200, content=lines, headers={"content-type": "application/x-ndjson"})
        if request.url.path == "/v1/facts":
            return httpx.Response(403, json={"type": "x", "title": "x", "status": 403, "code": "forbidden",
                                             "detail": "不在辖区"}, headers={"content-type": "application/problem+json"})
        return httpx.Response(404, json={"code": "family-not-found"})

    return httpx.MockTransport(answer)


@pytest.fixture
async def registry_requests(settings, service_under_test):
    seen: list[httpx.Request] = []
    app = service_under_test.create_app(settings, configure_logs=False)
    app.state.upstreams["registry"].transport = registry_answering(seen)
    async with app_client(app) as http:
        yield http, seen


async def test_a_registered_family_is_evaluated_with_the_callers_own_token(registry_requests, auth):
    http, seen = registry_requests
    headers = auth(role="clerk", region="370306")
    response = await http.get("/v1/families/7/evaluation", params={"as_of": "2020-06-15"}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["family_id"] == 7
    assert seen[-1].headers["authorization"] == headers["Authorization"]
    assert seen[-1].url.params["as_of"] == "2020-06-15"


async def test_a_family_the_registry_does_not_show_is_not_found(registry_requests, auth):
    http, _ = registry_requests
    response = await http.get("/v1/families/8/evaluation", headers=auth(role="clerk", region="370306"))
    assert response.status_code == 404
    assert response.json()["code"] == "family-not-found"


async def test_registered_facts_that_contradict_each_other_are_named_for_the_register(registry_requests, auth):
    http, _ = registry_requests
    response = await http.get("/v1/families/9/evaluation", headers=auth(role="clerk", region="370306"))
    assert response.status_code == 422
    assert (response.json()["field"], response.json()["code"]) == ("facts.family.later_children.0.date",
                                                                   "later-child-before-only-child")


async def test_an_evaluation_date_before_1950_is_refused_before_the_registry_is_asked(registry_requests, auth):
    http, seen = registry_requests
    response = await http.get("/v1/families/7/evaluation", params={"as_of": "1949-12-31"},
                              headers=auth(role="clerk", region="370306"))
    assert response.status_code == 422
    assert (response.json()["field"], response.json()["code"]) == ("query.as_of", "date-before-1950")
    assert seen == []


async def test_bulk_entitlements_stream_over_the_registrys_facts(registry_requests, auth):
    http, seen = registry_requests
    headers = auth(role="clerk", region="370306")
    response = await http.post("/v1/entitlements", json={"region": "370306", "month": "2020-06"}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [orjson.loads(line) for line in response.content.splitlines()]
    assert {(line["family_id"], line["role"]) for line in lines if line["benefit"] == "special_assistance"} == {
        (7, "mother"), (7, "father"), (8, "mother"), (8, "father")}
    assert seen[-1].headers["authorization"] == headers["Authorization"]
    assert seen[-1].url.params["as_of"] == "2020-06-30"


async def test_a_read_the_registry_refuses_is_a_502(registry_requests, auth):
    http, _ = registry_requests
    response = await http.post("/v1/entitlements", json={"region": "370302", "month": "2020-06"},
                               headers=auth(role="clerk", region="370300"))
    assert response.status_code == 502
    problem = response.json()
    assert (problem["code"], problem["upstream_status"]) == ("upstream-refused", 403)


async def test_catalogue_health_of_zhoucun_after_its_document_lapsed(client, auth):
    # 周政发〔2018〕85号 "有效期至2022年1月31日": on 2023-01-01 the district document has lapsed with no successor.
    headers = auth(role="clerk", region="370306")
    response = await client.get("/v1/catalogue/health", params={"region": "370306", "on": "2023-01-01"}, headers=headers)
    assert response.status_code == 200, response.text
    zhoucun = next(r for r in response.json()["regions"] if r["region_code"] == "370306")
    lapsed = [item for item in zhoucun["items"] if item["kind"] == "lapsed_document"]
    assert [item["document"] for item in lapsed] == ["周政发〔2018〕85号"]
    # An evaluation there the same day: the special assistance amount is unknown, not silently 170.
    body = {"as_of": "2023-01-01", "family": {
        "region_code": "370306", "hukou_type": "rural", "honor_certificate": True,
        "parents": [{"id": 1, "role": "mother", "birth_date": "1965-03-02"}],
        "child": {"id": 3, "birth_date": "1990-05-01", "status": "deceased", "event_date": "2019-03-10"}}}
    evaluated = (await client.post("/v1/evaluate", json=body, headers=headers)).json()
    sa = next(b for b in evaluated["benefits"] if b["code"] == "special_assistance")
    assert sa["amount"] is None and sa["amount_status"] == "unknown" and sa["amount_floor"] == "170.00"
    assert evaluated["catalogue_version"] == response.json()["catalogue_version"]
    bad = await client.get("/v1/catalogue/health", params={"region": "37030X", "on": "1949-01-01"}, headers=headers)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"query.region", "query.on"}
