"""Registering, reading, searching and changing families, with masking, scoping and the access log."""

from __future__ import annotations

from datetime import date

from tefu_common.testing import bearer

from .builders import family_body, id_number


async def register(client, token, body=None, region="370306"):
    response = await client.post("/v1/families", json=body or family_body(region), headers=bearer(token(role="clerk", region=region)))
    assert response.status_code == 201, response.text
    return response.json()


async def test_register_a_family_whose_child_died(client, token):
    body = family_body(events=[{"kind": "child_died", "occurred_on": "2019-03-10"}])
    family = await register(client, token, body)
    assert family["region_name"] == "山东省淄博市周村区"
    assert family["created_at"].endswith(("Z", "+00:00"))  # UTC with its offset, on SQLite too
    roles = {m["role"]: m for m in family["members"]}
    assert set(roles) == {"mother", "father", "child"}
    assert roles["mother"]["name"] == "李秀英"  # a clerk of the region sees names and ID numbers
    assert roles["mother"]["id_number"] == body["mother"]["id_number"]
    assert roles["mother"]["sex"] == "female" and roles["mother"]["birth_date"] == "1965-03-02"
    assert roles["mother"]["bank_account"]["account_number"].endswith("8901")
    assert roles["mother"]["bank_account"]["account_number"].startswith("*")
    status = family["status"]
    assert status["special_family"] is True and status["basis"] == "child_died"
    assert status["reasons"][0] == {"code": "child_died", "on": "2019-03-10", "detail": "独生子女死亡"}


async def test_id_number_errors_name_the_field(client, token):
    body = family_body()
    good = body["mother"]["id_number"]
    body["mother"]["id_number"] = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = await client.post("/v1/families", json=body, headers=bearer(token(role="clerk")))
    assert response.status_code == 422
    problem = response.json()
    assert (problem["code"], problem["field"]) == ("resident-id-check-character", "body.mother.id_number")
    [error] = problem["errors"]
    assert error["code"] == "resident-id-check-character" and "校验码" in error["detail"]
    english = await client.post("/v1/families", json=body, headers={**bearer(token(role="clerk")), "Accept-Language": "en"})
    assert "check character" in english.json()["errors"][0]["detail"]


async def test_typed_birth_date_and_sex_are_checked_against_the_id(client, token):
    body = family_body()
    body["mother"]["birth_date"] = "1965-03-03"
    response = await client.post("/v1/families", json=body, headers=bearer(token(role="clerk")))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.mother.birth_date"

    body = family_body()
    body["father"]["id_number"] = id_number("370306", date(1963, 7, 9), "female")
    response = await client.post("/v1/families", json=body, headers=bearer(token(role="clerk")))
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "field": "body.father.id_number", "code": "id-number-wrong-sex", "detail": "这是女性的身份证号，不能是父亲的",
    }


async def test_region_must_be_a_current_county_within_the_callers_region(client, token):
    city = await client.post("/v1/families", json=family_body("370300"), headers=bearer(token(role="clerk", region="370000")))
    assert city.status_code == 422
    assert (city.json()["code"], city.json()["field"]) == ("region-not-county", "body.region_code")
    elsewhere = await client.post("/v1/families", json=family_body("420102"), headers=bearer(token(role="clerk", region="370306")))
    assert elsewhere.status_code == 422
    assert (elsewhere.json()["code"], elsewhere.json()["field"]) == ("region-outside-scope", "body.region_code")


async def test_second_family_with_the_same_parent_is_refused(client, token):
    body = family_body()
    first = await register(client, token, body)
    again = family_body()
    again["mother"] = body["mother"]
    response = await client.post("/v1/families", json=again, headers=bearer(token(role="clerk")))
    assert response.status_code == 409
    assert (response.json()["code"], response.json()["existing_family_id"]) == ("parent-registered", first["id"])
    # A clerk of another region learns only that the parent is registered elsewhere.
    moved = family_body("420102")
    moved["mother"] = dict(body["mother"])
    response = await client.post("/v1/families", json=moved, headers=bearer(token(role="clerk", region="420102")))
    assert response.status_code == 409
    assert (response.json()["code"], response.json()["existing_family_id"]) == ("parent-registered-elsewhere", None)


async def test_other_regions_never_see_the_family(client, token):
    family = await register(client, token)
    hubei = bearer(token(role="clerk", region="420102"))
    hidden = await client.get(f"/v1/families/{family['id']}", headers=hubei)
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "family-not-found"
    for path in ("history", "events", "facts", "status"):
        assert (await client.get(f"/v1/families/{family['id']}/{path}", headers=hubei)).status_code == 404
    patch = await client.patch(f"/v1/families/{family['id']}", json={"address": "x"}, headers=bearer(token(role="clerk", region="420102")))
    assert patch.status_code == 404
    listed = (await client.get("/v1/families", headers=hubei)).json()
    assert (listed["items"], listed["total"]) == ([], 0)
    mother_id = family["members"][0]["id_number"]
    assert (await client.get("/v1/families", params={"id_number": mother_id}, headers=hubei)).json()["items"] == []
    feed = (await client.get("/v1/changes", params={"limit": 1000}, headers=hubei)).json()["items"]
    assert family["id"] not in {c["family_id"] for c in feed}


async def test_search_masks_names_and_id_numbers(client, token):
    body = family_body(events=[{"kind": "child_died", "occurred_on": "2020-01-01"}])
    family = await register(client, token, body)
    clerk = bearer(token(role="clerk"))
    by_id = (await client.get("/v1/families", params={"id_number": body["mother"]["id_number"].lower()}, headers=clerk)).json()
    assert [f["id"] for f in by_id["items"]] == [family["id"]] and by_id["total"] == 1
    mother = next(p for p in by_id["items"][0]["parents"] if p["role"] == "mother")
    assert mother["name"] == "李*英"
    assert mother["id_number"] == "*" * 14 + body["mother"]["id_number"][-4:]
    by_name = (await client.get("/v1/families", params={"name": "李秀英", "special_family": True,
                                                           "event_kind": "child_died"}, headers=clerk)).json()
    assert family["id"] in {f["id"] for f in by_name["items"]}
    bad = await client.get("/v1/families", params={"id_number": "123"}, headers=clerk)
    assert bad.status_code == 422
    assert (bad.json()["code"], bad.json()["field"]) == ("resident-id-length", "query.id_number")


async def test_cursor_pagination_visits_every_family_once(client, token):
    ids = {(await register(client, token, family_body("370306")))["id"] for _ in range(5)}
    clerk = bearer(token(role="clerk"))
    seen, params = [], {"limit": 2}
    while True:
        page = (await client.get("/v1/families", params=params, headers=clerk)).json()
        assert page["total"] == 5
        seen += [f["id"] for f in page["items"]]
        if page["next_cursor"] is None:
            break
        params = {"limit": 2, "cursor": page["next_cursor"]}
    assert seen == sorted(ids)
    bad = await client.get("/v1/families", params={"cursor": "not-a-cursor"}, headers=clerk)
    assert bad.status_code == 422
    assert (bad.json()["code"], bad.json()["field"]) == ("invalid-cursor", "query.cursor")


async def test_roles_see_what_they_need(client, token):
    family = await register(client, token)
    path = f"/v1/families/{family['id']}"
    auditor = (await client.get(path, headers=bearer(token(role="auditor", region="370000")))).json()
    mother = next(m for m in auditor["members"] if m["role"] == "mother")
    assert mother["name"] == "李*英" and mother["id_number"].startswith("**************")
    assert mother["phone"] == "138****5678" and auditor["address"] == "***"
    assert mother["bank_account"]["account_number"].startswith("*")
    payments = (await client.get(path, headers=bearer(token(role="service", region="000000")))).json()
    paid_to = next(m for m in payments["members"] if m["role"] == "mother")["bank_account"]
    assert paid_to == {"bank": "中国农业银行周村支行", "account_number": "6228480012345678901", "holder": "李秀英"}
    for role, extra in (("hospital", {"hospital": "H1"}), ("agency", {"agency": "A1"})):
        response = await client.get(path, headers=bearer(token(role=role, **extra, audiences=("tefu-registry",))))
        assert response.status_code == 403


async def test_every_read_is_in_the_access_log(client, token):
    family = await register(client, token)
    await client.get(f"/v1/families/{family['id']}", headers=bearer(token(role="approver", subject="approver-9")))
    await client.get(f"/v1/families/{family['id']}/history", headers=bearer(token(role="clerk", subject="clerk-3")))
    log = (await client.get("/v1/access-log", params={"family_id": family["id"]},
                            headers=bearer(token(role="auditor", region="370306")))).json()["items"]
    reads = [(e["subject"], e["endpoint"], e["region_code"]) for e in log]
    assert reads == [("test-clerk", "POST /v1/families", "370306"),
                     ("approver-9", "GET /v1/families/{family_id}", "370306"),
                     ("clerk-3", "GET /v1/families/{family_id}/history", "370306")]
    elsewhere = (await client.get("/v1/access-log", params={"family_id": family["id"]},
                                  headers=bearer(token(role="auditor", region="420000")))).json()["items"]
    assert elsewhere == []
    assert (await client.get("/v1/access-log", headers=bearer(token(role="clerk")))).status_code == 403


async def test_a_read_of_several_families_is_one_entry_each_auditor_sees_for_its_own_families(client, token):
    tieshan = await register(client, token, family_body("420205"), region="420205")
    daye = await register(client, token, family_body("420281"), region="420281")
    listed = await client.get("/v1/families", headers=bearer(token(role="clerk", region="420200", subject="clerk-hs")))
    assert {f["id"] for f in listed.json()["items"]} == {tieshan["id"], daye["id"]}

    def reads(region: str, **params):
        async def page(cursor=None):
            answer = await client.get("/v1/access-log", params={"subject": "clerk-hs", **params, **(
                {"cursor": cursor} if cursor else {})}, headers=bearer(token(role="auditor", region=region)))
            assert answer.status_code == 200, answer.text
            return answer.json()
        return page

    city = await reads("420200")()
    [entry_id] = {item["id"] for item in city["items"]}  # one read, listed once per family it showed
    assert [(i["family_id"], i["region_code"], i["endpoint"]) for i in city["items"]] == [
        (tieshan["id"], "420205", "GET /v1/families"), (daye["id"], "420281", "GET /v1/families")]
    county = await reads("420205")()  # a county's auditor sees the read of its own family only
    assert [(i["id"], i["family_id"]) for i in county["items"]] == [(entry_id, tieshan["id"])]
    assert (await reads("420000", family_id=daye["id"])())["items"][0]["id"] == entry_id
    first = await reads("420200", limit=1)()  # pages run through the families of one entry
    second = await reads("420200", limit=1)(first["next_cursor"])
    assert [first["items"][0]["family_id"], second["items"][0]["family_id"]] == [tieshan["id"], daye["id"]]
    assert second["next_cursor"] is None


async def test_patch_changes_plain_fields_and_keeps_history(client, token):
    family = await register(client, token)
    clerk = bearer(token(role="clerk", subject="clerk-7"))
    response = await client.patch(
        f"/v1/families/{family['id']}",
        json={"hukou_type": "urban", "mother": {"phone": "13900001111", "monthly_basic_pension": "180.50"}},
        headers=clerk,
    )
    assert response.status_code == 200, response.text
    mother = next(m for m in response.json()["members"] if m["role"] == "mother")
    assert mother["phone"] == "13900001111" and mother["monthly_basic_pension"] == "180.50"
    assert response.json()["version"] == family["version"] + 1
    history = (await client.get(f"/v1/families/{family['id']}/history", headers=clerk)).json()["items"]
    assert [h["kind"] for h in history] == ["family_registered", "family_updated"]
    update = history[-1]
    assert update["actor"] == "clerk-7"
    changes = {c["field"]: c for c in update["changes"]}
    assert changes["hukou_type"] == {"field": "hukou_type", "old": "rural", "new": "urban"}
    assert changes["mother.phone"] == {"field": "mother.phone", "old": "138****5678", "new": "139****1111"}
    assert changes["mother.monthly_basic_pension"]["old"] == "150.00"
    refused = await client.patch(f"/v1/families/{family['id']}", json={"region_code": "370302"}, headers=clerk)
    assert refused.status_code == 422
    assert (refused.json()["code"], refused.json()["field"]) == ("extra-forbidden", "body.region_code")


async def test_the_documented_registration_example_registers_as_it_stands(client, token):
    """POST /v1/families' example in the OpenAPI document is a valid request (check characters and all)."""
    document = (await client.get("/openapi.json")).json()
    schema = document["components"]["schemas"]["FamilyCreate"]
    [example] = schema["examples"]
    response = await client.post("/v1/families", json=example, headers=bearer(token(role="clerk", region="370306")))
    assert response.status_code == 201, response.text
    family = response.json()
    assert family["status"]["special_family"] is True
    event = document["paths"]["/v1/families/{family_id}/events"]["post"]["requestBody"]["content"]["application/json"]
    certified = event["examples"]["disability_certified"]["value"]
    child = next(m for m in family["members"] if m["role"] == "child")
    assert certified["certificate_no"] == f"{child['id_number']}{certified['category']}{certified['level']}"


async def test_a_negative_pension_is_refused_on_registration_and_on_change(client, token):
    clerk = bearer(token(role="clerk"))
    body = family_body()
    body["mother"]["monthly_basic_pension"] = "-5.00"
    refused = await client.post("/v1/families", json=body, headers=clerk)
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [
        ("body.mother.monthly_basic_pension", "money-negative")]
    family = (await client.post("/v1/families", json=family_body(), headers=clerk)).json()
    patched = await client.patch(f"/v1/families/{family['id']}", headers=clerk,
                                 json={"mother": {"monthly_basic_pension": "-0.01"}})
    assert patched.status_code == 422
    assert patched.json()["code"] == "money-negative"


async def test_a_yes_or_no_field_cannot_be_cleared(client, token):
    clerk = bearer(token(role="clerk"))
    family = (await client.post("/v1/families", json=family_body(), headers=clerk)).json()
    cleared = await client.patch(f"/v1/families/{family['id']}", headers=clerk,
                                 json={"mother": {"in_resident_pension": None}})
    assert cleared.status_code == 422
    assert (cleared.json()["field"], cleared.json()["code"]) == ("body.mother.in_resident_pension", "value-required")
