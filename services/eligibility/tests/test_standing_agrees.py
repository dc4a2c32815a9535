"""Standing on the day in bulk (``POST /v1/standing``) equals the one-family evaluation on the day.

Random registers across every jurisdiction of the catalogue (the families of
test_evaluators_agree.py: deaths, disabilities with level changes and recoveries, later children,
divorces), evaluated on random days both ways: for each family and each non-cash benefit, the
same recipients, rule, citation and services as ``evaluate(..., on_the_day=True)`` answers (what
``GET /v1/families/{id}/evaluation?on_the_day=true`` returns).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import httpx
import orjson
import pytest

from tefu_common.testing import app_client
from tefu_eligibility.catalogue.catalogue import default_catalogue
from tefu_eligibility.entitlements.standing import StandingCounts, batch_standing, standing_codes
from tefu_eligibility.evaluation.facts import EvaluateRequest
from tefu_eligibility.evaluation.service import evaluate

from .test_evaluators_agree import random_family

FAMILIES = 300


def explained(document: dict, on: date) -> dict[int, dict[str, list]]:
    catalogue = default_catalogue()
    result = evaluate(catalogue, EvaluateRequest.model_validate({**document, "as_of": on.isoformat(), "on_the_day": True}))
    codes = standing_codes(catalogue.rule_set(result["region_code"]))
    held = {}
    for benefit in result["benefits"]:
        if benefit["code"] in codes:
            held[benefit["code"]] = [(r["member_id"], r["role"], benefit["rule_id"], benefit["citation"]["document"],
                                      benefit["citation"].get("clause"), tuple(benefit["services"]))
                                     for r in benefit["recipient_details"]]
    return held


def in_bulk(documents: list[dict], on: date) -> dict[int, dict[str, list]]:
    counts = StandingCounts()
    found = {}
    for line in batch_standing(default_catalogue(), documents, on.toordinal(), None, counts).splitlines():
        item = orjson.loads(line)
        found[item["family_id"]] = {code: [(h["member_id"], h["role"], h["rule_id"], h["citation"]["document"],
                                            h["citation"].get("clause"), tuple(h["services"])) for h in holders]
                                    for code, holders in item["benefits"].items()}
        parents = {p["role"]: p["death_date"] for p in item["parents"]}
        document = next(d for d in documents if d["family_id"] == item["family_id"])
        assert parents == {p["role"]: p.get("death_date") for p in document["family"]["parents"]}
    assert counts.families == len(documents)
    return found


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_standing_in_bulk_equals_the_evaluation_on_the_day(seed):
    rng = random.Random(seed)
    documents = [random_family(rng, i) for i in range(1, FAMILIES + 1)]
    days = [date(2012, 1, 1) + timedelta(days=rng.randint(0, 5000)) for _ in range(4)] + [date(2019, 2, 1), date(2023, 7, 1)]
    holders = 0
    for on in days:
        bulk = in_bulk(documents, on)
        for document in documents:
            expected = explained(document, on)
            assert bulk[document["family_id"]] == expected, (document["family_id"], on)
            holders += sum(len(v) for v in expected.values())
    assert holders > 300  # varied enough that many hold something


def test_a_family_holding_nothing_still_has_its_line():
    document = random_family(random.Random(5), 1)
    document["family"]["parents"] = []
    document["family"]["child"] = None
    found = in_bulk([document], date(2024, 1, 1))
    assert found == {1: {}}


# --- the route, over a registry answering the facts stream ---------------------------------------------


@pytest.fixture
async def registry_streaming(settings, service_under_test):
    rng = random.Random(21)
    documents = [random_family(rng, i) for i in range(1, 201)]

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/facts" and request.url.params["region"] == "000000":
            lines = b"".join(orjson.dumps({**d, "as_of": request.url.params["as_of"]}) + b"\n" for d in documents)
            return httpx.Response(200, content=lines, headers={"content-type": "application/x-ndjson"})
        return httpx.Response(404, json={"code": "family-not-found"})

    app = service_under_test.create_app(settings, configure_logs=False)
    app.state.upstreams["registry"].transport = httpx.MockTransport(answer)
    async with app_client(app) as http:
        yield http, documents


async def test_the_route_streams_one_line_per_family(registry_streaming, auth):
    http, documents = registry_streaming
    headers = auth(role="service", region="000000")
    response = await http.post("/v1/standing", json={"region": "000000", "on": "2023-07-01",
                                                     "benefits": ["medical_priority", "fee_waiver"]}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [orjson.loads(line) for line in response.content.splitlines()]
    assert [line["family_id"] for line in lines] == [d["family_id"] for d in documents]
    expected = {d["family_id"]: {code: [r[:2] for r in holders] for code, holders in explained(d, date(2023, 7, 1)).items()
                                 if code in ("medical_priority", "fee_waiver")} for d in documents}
    assert {line["family_id"]: {code: [(h["member_id"], h["role"]) for h in holders]
                                for code, holders in line["benefits"].items()} for line in lines} == expected
    assert any(line["benefits"] for line in lines)


async def test_the_route_names_bad_fields_and_refuses_other_regions(registry_streaming, auth):
    http, _ = registry_streaming
    headers = auth(role="clerk", region="370306")
    response = await http.post("/v1/standing", json={"region": "370306", "on": "1949-01-01", "benefits": ["special_assistance"]},
                               headers=headers)
    assert response.status_code == 422
    assert {(e["field"], e["code"]) for e in response.json()["errors"]} == {
        ("body.on", "date-before-1950"), ("body.benefits.0", "benefit-unknown")}
    response = await http.post("/v1/standing", json={"region": "420102"}, headers=headers)
    assert response.status_code == 403
    assert response.json()["code"] == "region-outside-scope"
