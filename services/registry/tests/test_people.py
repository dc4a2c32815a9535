"""Identity of members for the medical-priority service: services only, no bank data, every read logged."""

from __future__ import annotations

from tefu_common.testing import bearer

from .builders import family_body


async def test_a_service_gets_identity_without_bank_data_and_the_read_is_logged(client, token):
    clerk = bearer(token(role="clerk", region="370306"))
    family = (await client.post("/v1/families", json=family_body(), headers=clerk)).json()
    mother = next(m for m in family["members"] if m["role"] == "mother")
    child = next(m for m in family["members"] if m["role"] == "child")

    service = bearer(token(role="service", region="000000", subject="medical-priority"))
    response = await client.post("/v1/people", json={"member_ids": [mother["id"], child["id"], 999999]}, headers=service)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["missing"] == [999999]
    people = {p["role"]: p for p in body["people"]}
    assert set(people["mother"]) == {"member_id", "family_id", "role", "region_code", "name", "id_number", "sex",
                                     "birth_date", "death_date"}
    assert people["mother"]["name"] == "李秀英" and people["mother"]["sex"] == "female"
    assert people["mother"]["birth_date"] == "1965-03-02" and people["mother"]["id_number"].startswith("370306")
    assert people["child"]["birth_date"] == "1990-05-01" and people["child"]["family_id"] == family["id"]

    auditor = bearer(token(role="auditor", region="370306"))
    log = (await client.get("/v1/access-log", params={"family_id": family["id"], "subject": "medical-priority"},
                            headers=auditor)).json()
    assert [e["endpoint"] for e in log["items"]] == ["POST /v1/people"]


async def test_only_services_may_ask_and_only_within_their_region(client, token):
    clerk = bearer(token(role="clerk", region="370306"))
    family = (await client.post("/v1/families", json=family_body(), headers=clerk)).json()
    ids = [m["id"] for m in family["members"]]
    assert (await client.post("/v1/people", json={"member_ids": ids}, headers=clerk)).status_code == 403

    elsewhere = bearer(token(role="service", region="420000"))
    body = (await client.post("/v1/people", json={"member_ids": ids}, headers=elsewhere)).json()
    assert body["people"] == [] and body["missing"] == sorted(ids)

    too_many = await client.post("/v1/people", json={"member_ids": list(range(1, 5002))},
                                 headers=bearer(token(role="service", region="000000")))
    assert too_many.status_code == 422
    assert (too_many.json()["code"], too_many.json()["field"]) == ("too-long", "body.member_ids")
