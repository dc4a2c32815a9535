"""The evaluation and catalogue endpoints over HTTP: shapes, errors, roles and regions."""

from __future__ import annotations

import pytest

from .families import family


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


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


async def test_evaluate_the_example_of_the_api_description(client, token):
    response = await client.post("/v1/evaluate", json=EXAMPLE, headers=bearer(token(role="clerk", region="370306")))
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
    ("change", "field"),
    [
        (lambda b: b["family"]["later_children"][0].update(date="1989-01-01"), "family.later_children[0].date"),
        (lambda b: b["family"]["child"].update(status="disabled", disability_level=7), "family.child.disability_level"),
        (lambda b: b["family"].update(region_code="379999"), "family.region_code"),
        (lambda b: b.update(as_of="1949-12-31"), "as_of"),
        (lambda b: b["family"]["parents"][0].update(monthly_basic_pension=150.5), "body.family.parents.0.monthly_basic_pension"),
        (lambda b: b["family"].update(hukou_type="city"), "body.family.hukou_type"),
    ],
)
async def test_bad_facts_are_refused_naming_the_field(client, token, change, field):
    body = {"as_of": EXAMPLE["as_of"], "family": family(later=[{"kind": "birth", "date": "2021-05-01"}],
                                                         pension={"mother": "150.00"})}
    change(body)
    response = await client.post("/v1/evaluate", json=body, headers=bearer(token(role="clerk", region="370306")))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [error["field"] for error in response.json()["errors"]]


async def test_evaluate_is_for_clerks_approvers_auditors_and_services(client, token):
    for role in ("clerk", "approver", "auditor", "service"):
        region = "000000" if role == "service" else "370306"
        response = await client.post("/v1/evaluate", json=EXAMPLE, headers=bearer(token(role=role, region=region)))
        assert response.status_code == 200, (role, response.text)
    hospital = token(role="hospital", region="370306", hospital="H001")
    assert (await client.post("/v1/evaluate", json=EXAMPLE, headers=bearer(hospital))).status_code == 403
    assert (await client.post("/v1/evaluate", json=EXAMPLE)).status_code == 401


async def test_a_clerk_cannot_evaluate_a_family_of_another_region(client, token):
    response = await client.post("/v1/evaluate", json=EXAMPLE, headers=bearer(token(role="clerk", region="420102")))
    assert response.status_code == 403
    assert "outside your region" in response.json()["detail"]


async def test_jiading_on_shanghai_on_the_nation(client, token):
    response = await client.get("/v1/policies/310114", params={"as_of": "2023-09-01"},
                                headers=bearer(token(role="clerk", region="310114")))
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
    # Before the district document only the national rules apply.
    before = await client.get("/v1/policies/310114", params={"as_of": "2023-07-01"},
                              headers=bearer(token(role="clerk", region="310114")))
    assert [rule["code"] for rule in before.json()["rules"]] == ["special_assistance"]


async def test_the_catalogue_lists_every_document(client, token):
    response = await client.get("/v1/policies", headers=bearer(token(role="auditor", region="420000")))
    assert response.status_code == 200
    regions = {doc["region_code"] for doc in response.json()["documents"]}
    assert regions == {"000000", "310000", "310114", "370306", "420000", "430000", "440600"}


async def test_policies_of_an_unknown_region_or_too_early_a_date(client, token):
    response = await client.get("/v1/policies/999999", params={"as_of": "1949-01-01"},
                                headers=bearer(token(role="clerk", region="370306")))
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"region_code", "as_of"}


async def test_entitlements_request_errors_name_the_field(client, token):
    response = await client.post("/v1/entitlements", json={"region": "370306", "month": "2020-13", "benefits": ["x"]},
                                 headers=bearer(token(role="clerk", region="370306")))
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"month", "benefits[0]"}
    response = await client.post("/v1/entitlements", json={"region": "370306", "month": "2020-06", "benefits": ["x"]},
                                 headers=bearer(token(role="clerk", region="370306")))
    assert [e["field"] for e in response.json()["errors"]] == ["benefits[0]"]
    response = await client.post("/v1/entitlements", json={"region": "420102", "month": "2020-06"},
                                 headers=bearer(token(role="clerk", region="370306")))
    assert response.status_code == 403


@pytest.fixture
async def unreachable_registry_client(settings, service_under_test):
    from tefu_common.testing import app_client

    # Port 9 (discard) on localhost: nothing listens, the connection is refused at once.
    moved = settings.model_copy(update={"registry_url": "http://127.0.0.1:9", "http_retries": 0})
    async with app_client(service_under_test.create_app(moved, configure_logs=False)) as http:
        yield http


async def test_registry_down_is_a_clean_503(unreachable_registry_client, token):
    headers = bearer(token(role="clerk", region="370306"))
    response = await unreachable_registry_client.get("/v1/families/1/evaluation", headers=headers)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"] == "5"
    response = await unreachable_registry_client.post("/v1/entitlements", json={"region": "370306", "month": "2020-06"},
                                                      headers=headers)
    assert response.status_code == 503 and "registry" in response.json()["detail"]
