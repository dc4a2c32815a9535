"""Facts carry an adopted child's adoption date (Foshan counts children adopted by 2015-12-31)."""

from __future__ import annotations

import json

from tefu_common.testing import bearer

from .builders import family_body


async def test_the_adoption_date_is_in_the_family_facts_and_in_the_stream(client, token):
    clerk = bearer(token(role="clerk", region="440604"))
    body = family_body("440604")
    body["child"].update(adopted=True, adopted_on="2016-02-01")
    created = await client.post("/v1/families", json=body, headers=clerk)
    assert created.status_code == 201, created.text
    family_id = created.json()["id"]
    single = (await client.get(f"/v1/families/{family_id}/facts", params={"as_of": "2020-01-01"}, headers=clerk)).json()
    assert single["family"]["child"]["adopted"] is True and single["family"]["child"]["adopted_on"] == "2016-02-01"

    service = bearer(token(role="service", region="440604"))
    stream = await client.get("/v1/facts", params={"region": "440604", "as_of": "2020-01-01"}, headers=service)
    documents = [json.loads(line) for line in stream.text.splitlines() if line]
    mine = next(d for d in documents if d["family_id"] == family_id)
    assert mine == single

    born = family_body("440604")
    created = await client.post("/v1/families", json=born, headers=clerk)
    facts = (await client.get(f"/v1/families/{created.json()['id']}/facts", params={"as_of": "2020-01-01"},
                              headers=clerk)).json()
    assert facts["family"]["child"]["adopted_on"] is None
