"""Bank details for the payments service: full for the service role, nobody else, every read logged."""

from __future__ import annotations

from tefu_common.testing import bearer

from .builders import family_body


async def test_the_payments_service_gets_full_bank_details_and_the_read_is_logged(client, token):
    clerk = bearer(token(role="clerk", region="370306"))
    family = (await client.post("/v1/families", json=family_body(), headers=clerk)).json()
    mother = next(m for m in family["members"] if m["role"] == "mother")
    father = next(m for m in family["members"] if m["role"] == "father")

    service = bearer(token(role="service", region="000000", subject="payments"))
    response = await client.post("/v1/payees", json={"member_ids": [mother["id"], father["id"], 999999]}, headers=service)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["missing"] == [999999]
    paid = {p["role"]: p for p in body["payees"]}
    assert paid["mother"]["account_number"] == "6228480012345678901"
    assert paid["mother"]["holder"] == "李秀英" and paid["mother"]["name"] == "李秀英"
    assert paid["mother"]["id_number"].startswith("370306") and "*" not in paid["mother"]["id_number"]
    assert paid["father"]["account_number"] is None

    auditor = bearer(token(role="auditor", region="370306"))
    log = (await client.get("/v1/access-log", params={"family_id": family["id"], "subject": "payments"},
                            headers=auditor)).json()
    # One row for the family, however many of its members were paid.
    assert [(e["endpoint"], e["region_code"]) for e in log["items"]] == [("POST /v1/payees", "370306")]


async def test_no_other_role_and_no_other_region(client, token):
    clerk = bearer(token(role="clerk", region="370306"))
    family = (await client.post("/v1/families", json=family_body(), headers=clerk)).json()
    ids = {"member_ids": [m["id"] for m in family["members"]]}
    for role in ("clerk", "admin", "auditor", "approver"):
        response = await client.post("/v1/payees", json=ids, headers=bearer(token(role=role, region="370306")))
        assert response.status_code == 403, role
    elsewhere = await client.post("/v1/payees", json=ids, headers=bearer(token(role="service", region="420000")))
    assert elsewhere.json() == {"payees": [], "missing": sorted(ids["member_ids"])}
    too_many = await client.post("/v1/payees", json={"member_ids": list(range(1, 5002))},
                                 headers=bearer(token(role="service", region="000000")))
    assert too_many.status_code == 422
