"""The change feed: commit order, completeness under concurrent writers, region scoping."""

from __future__ import annotations

import asyncio
import json

from tefu_common.testing import bearer

from .builders import family_body


async def test_a_polling_consumer_sees_every_change_exactly_once_under_concurrent_writes(client, token):
    clerk = bearer(token(role="clerk", region="370306"))
    reader = bearer(token(role="service", region="000000"))
    empty = (await client.get("/v1/changes", params={"after": 0, "limit": 1000}, headers=reader)).json()
    assert empty == {"items": [], "next_after": 0}  # nothing new: the position stays where it was
    cursor = 0

    families = []
    for _ in range(8):
        response = await client.post("/v1/families", json=family_body(), headers=clerk)
        families.append(response.json()["id"])

    seen: list[dict] = []
    writing = True

    async def consume() -> None:
        nonlocal cursor
        while True:
            # Read the flag before asking: an empty page only proves completeness if every write
            # had already finished when the page was read.
            writes_done = not writing
            page = (await client.get("/v1/changes", params={"after": cursor, "limit": 7}, headers=reader)).json()
            seen.extend(page["items"])
            cursor = page["next_after"]
            if not page["items"]:
                if writes_done:
                    return
                await asyncio.sleep(0.01)

    async def write(family_id: int, n: int) -> int:
        kind = "low_income_began" if n % 2 == 0 else "low_income_ended"
        response = await client.post(
            f"/v1/families/{family_id}/events", json={"kind": kind, "occurred_on": f"2020-01-{n + 1:02d}"}, headers=clerk
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    consumer = asyncio.create_task(consume())
    await asyncio.gather(*(write(f, n) for f in families for n in range(5)))
    writing = False
    await consumer

    cursors = [c["cursor"] for c in seen]
    assert cursors == sorted(cursors) and len(cursors) == len(set(cursors))
    ours = [c for c in seen if c["family_id"] in families]
    assert len(ours) == len(seen) == 8 * 5 + 8  # five events per family, after the eight registrations
    assert sum(1 for c in ours if c["kind"] == "event_recorded") == 40


async def test_feed_items_and_scoping(client, token):
    zhoucun = await client.post("/v1/families", json=family_body("370306"), headers=bearer(token(role="clerk", region="370306")))
    jiangan = await client.post("/v1/families", json=family_body("420102"), headers=bearer(token(role="clerk", region="420102")))
    hubei = (await client.get("/v1/changes", params={"limit": 1000}, headers=bearer(token(role="clerk", region="420000")))).json()
    ids = {c["family_id"] for c in hubei["items"]}
    assert jiangan.json()["id"] in ids and zhoucun.json()["id"] not in ids
    item = next(c for c in hubei["items"] if c["family_id"] == jiangan.json()["id"])
    assert set(item) == {"cursor", "family_id", "kind", "occurred_at", "region_code"}
    assert item["kind"] == "family_registered"


async def test_region_facts_stream(client, token):
    created = []
    for region in ("440604", "440605", "370306"):
        body = family_body(region, events=[{"kind": "child_died", "occurred_on": "2018-08-08"}])
        response = await client.post("/v1/families", json=body, headers=bearer(token(role="clerk", region=region)))
        created.append(response.json()["id"])
    foshan = bearer(token(role="service", region="440600"))
    response = await client.get("/v1/facts", params={"region": "440600", "as_of": "2020-01-01"}, headers=foshan)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    ids = [line["family_id"] for line in lines]
    assert created[0] in ids and created[1] in ids and created[2] not in ids
    assert ids == sorted(ids)
    first = next(line for line in lines if line["family_id"] == created[0])
    assert first["as_of"] == "2020-01-01"
    assert set(first["family"]) == {"region_code", "hukou_type", "honor_certificate", "assistance_certificate",
                                    "low_income", "extreme_poverty", "parents", "child", "later_children", "marriage"}
    assert first["family"]["child"]["status"] == "deceased"
    assert first["family"]["child"]["history"] == [{"kind": "died", "on": "2018-08-08", "level": None, "certificate": None}]
    assert "name" not in json.dumps(first) and "id_number" not in json.dumps(first)
    outside = await client.get("/v1/facts", params={"region": "370306"}, headers=foshan)
    assert outside.status_code == 422
    assert (outside.json()["code"], outside.json()["field"]) == ("region-outside-scope", "query.region")
    log = (await client.get("/v1/access-log", params={"family_id": created[0], "subject": "test-service"},
                            headers=bearer(token(role="auditor", region="440600")))).json()["items"]
    assert [e["endpoint"] for e in log] == ["GET /v1/facts"]


async def test_feed_never_shows_a_change_while_an_earlier_one_is_uncommitted(client, token, settings):
    """Two writers: A takes a cursor number first and commits late; B must not appear before A."""
    from tefu_common.db import Database
    from tefu_registry.changes.repository import changes_after
    from tefu_registry.changes.service import record_change

    family = (await client.post("/v1/families", json=family_body(), headers=bearer(token(role="clerk")))).json()
    database = Database(settings.database_url)
    try:
        async with database.sessionmaker() as probe:
            cursor = max([c.id for c in await changes_after(probe, "000000", after=0, limit=100000)], default=0)
        session_a = database.sessionmaker()
        await record_change(session_a, family_id=family["id"], region_code="370306", kind="test_a", actor="a")

        async def writer_b() -> None:
            async with database.sessionmaker() as session_b:
                await record_change(session_b, family_id=family["id"], region_code="370306", kind="test_b", actor="b")
                await session_b.commit()

        b = asyncio.create_task(writer_b())
        await asyncio.sleep(0.5)  # B has had every chance to commit ahead of A
        async with database.sessionmaker() as probe:
            visible = await changes_after(probe, "000000", after=cursor, limit=100)
        assert visible == []  # showing B now would let a consumer skip A for ever
        await session_a.commit()
        await session_a.close()
        await asyncio.wait_for(b, timeout=10)
        async with database.sessionmaker() as probe:
            visible = await changes_after(probe, "000000", after=cursor, limit=100)
        assert [c.kind for c in visible] == ["test_a", "test_b"]
    finally:
        await database.dispose()


async def test_streamed_facts_equal_the_single_family_facts(client, token):
    """The bulk stream reads rows its own way (aggregated by PostgreSQL); it must say exactly the same."""
    clerk = bearer(token(role="clerk", region="440607"))
    body = family_body("440607")
    child_id = body["child"]["id_number"]
    family = (await client.post("/v1/families", json=body, headers=clerk)).json()
    events = [
        {"kind": "disability_certified", "occurred_on": "2015-06-01", "category": "4", "level": 2,
         "certificate_no": f"{child_id}42"},
        {"kind": "low_income_began", "occurred_on": "2016-01-01"},
        {"kind": "parent_died", "occurred_on": "2019-09-09", "member": "father"},
        {"kind": "later_child_born", "occurred_on": "2023-02-02", "assisted_reproduction": True},
    ]
    ids = []
    for event in events:
        response = await client.post(f"/v1/families/{family['id']}/events", json=event, headers=clerk)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    await client.post(f"/v1/families/{family['id']}/events", headers=clerk, json={
        "kind": "correction", "corrects_event_id": ids[0], "reason": "level misread",
        "replacement": {"kind": "disability_certified", "occurred_on": "2015-06-01", "category": "4", "level": 3,
                        "certificate_no": f"{child_id}43"}})
    for as_of in ("2015-12-31", "2020-01-01", "2024-01-01"):
        single = (await client.get(f"/v1/families/{family['id']}/facts", params={"as_of": as_of}, headers=clerk)).json()
        stream = await client.get("/v1/facts", params={"region": "440607", "as_of": as_of}, headers=clerk)
        streamed = next(json.loads(line) for line in stream.text.splitlines() if json.loads(line)["family_id"] == family["id"])
        assert streamed == single
    assert single["family"]["parents"][0]["monthly_basic_pension"] == "150.00"
    assert single["family"]["child"]["disability_level"] == 3


async def test_streamed_facts_equal_single_facts_through_moves_recoveries_and_voids(client, token):
    clerk = bearer(token(role="clerk", region="440600"))
    body = family_body("440608", father=False)
    body["child"]["adopted"], body["child"]["adopted_on"] = True, "1990-09-01"
    child_id = body["child"]["id_number"]
    family = (await client.post("/v1/families", json=body, headers=clerk)).json()
    ids = []
    for event in (
        {"kind": "disability_certified", "occurred_on": "2012-03-01", "category": "5", "level": 3,
         "certificate_no": f"{child_id}53"},
        {"kind": "disability_level_changed", "occurred_on": "2014-03-01", "level": 4},
        {"kind": "child_recovered", "occurred_on": "2016-05-05"},
        {"kind": "extreme_poverty_began", "occurred_on": "2017-01-01"},
        {"kind": "hukou_moved", "occurred_on": "2018-08-08", "to_region": "440604"},
        {"kind": "extreme_poverty_ended", "occurred_on": "2019-01-01"},
        {"kind": "later_child_adopted", "occurred_on": "2021-01-01"},
    ):
        response = await client.post(f"/v1/families/{family['id']}/events", json=event, headers=clerk)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    await client.post(f"/v1/families/{family['id']}/events", headers=clerk,
                      json={"kind": "correction", "corrects_event_id": ids[-1], "reason": "adoption never completed"})
    for as_of in ("2013-01-01", "2015-01-01", "2017-06-01", "2018-08-08", "2020-01-01", "2022-01-01"):
        single = (await client.get(f"/v1/families/{family['id']}/facts", params={"as_of": as_of}, headers=clerk)).json()
        stream = await client.get("/v1/facts", params={"region": "440600", "as_of": as_of}, headers=clerk)
        streamed = next(json.loads(line) for line in stream.text.splitlines() if json.loads(line)["family_id"] == family["id"])
        assert streamed == single, as_of
    assert single["family"]["region_code"] == "440604" and single["family"]["later_children"] == []
    assert single["family"]["child"]["recovered_on"] == "2016-05-05"
