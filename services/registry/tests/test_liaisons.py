"""Liaisons with history, and the contact log."""

from __future__ import annotations

from tefu_common.testing import bearer

from .builders import family_body


async def test_assign_replace_and_history(client, token):
    clerk = bearer(token(role="clerk", subject="clerk-1"))
    family = (await client.post("/v1/families", json=family_body(), headers=clerk)).json()
    path = f"/v1/families/{family['id']}/liaisons"
    first = await client.put(path, json={"liaisons": [
        {"post": "township", "name": "赵敏", "phone": "13700000001", "unit": "南郊镇卫健办", "assigned_on": "2023-01-01"},
        {"post": "village", "name": "钱进", "phone": "13700000002", "unit": "某村村委会", "assigned_on": "2023-01-01"},
    ]}, headers=clerk)
    assert first.status_code == 200, first.text
    replaced = await client.put(path, json={"liaisons": [
        {"post": "village", "name": "孙丽", "phone": "13700000003", "unit": "某村村委会", "assigned_on": "2024-03-01"},
    ]}, headers=clerk)
    rows = replaced.json()["liaisons"]
    village = [r for r in rows if r["post"] == "village"]
    assert [(r["name"], r["ended_on"]) for r in village] == [("钱进", "2024-02-29"), ("孙丽", None)]
    early = await client.put(path, json={"liaisons": [
        {"post": "village", "name": "周八", "phone": "13700000004", "unit": "某村", "assigned_on": "2024-01-01"},
    ]}, headers=clerk)
    assert early.status_code == 422
    assert (early.json()["code"], early.json()["field"]) == ("before-current-liaison", "body.liaisons.0.assigned_on")
    auditor = (await client.get(path, headers=bearer(token(role="auditor")))).json()
    assert [(l["name"], l["phone"]) for l in auditor["items"]] == [
        ("赵*", "137****0001"), ("钱*", "137****0002"), ("孙*", "137****0003")]
    assert auditor["next_cursor"] is None
    first_page = (await client.get(path, params={"limit": 2}, headers=clerk)).json()
    second_page = (await client.get(path, params={"cursor": first_page["next_cursor"]}, headers=clerk)).json()
    assert [l["name"] for l in first_page["items"] + second_page["items"]] == ["赵敏", "钱进", "孙丽"]
    history = (await client.get(f"/v1/families/{family['id']}/history", headers=clerk)).json()["items"]
    assert [h["kind"] for h in history].count("liaison_assigned") == 2


async def test_contacts(client, token):
    clerk = bearer(token(role="clerk"))
    family = (await client.post("/v1/families", json=family_body(), headers=clerk)).json()
    path = f"/v1/families/{family['id']}/contacts"
    visit = await client.post(path, json={
        "kind": "festival_visit", "festival": "mid_autumn", "contacted_on": "2024-09-17", "contacted_by": "赵敏",
        "findings": "身体尚可，独居", "help_given": "送月饼，协助预约体检",
    }, headers=clerk)
    assert visit.status_code == 201, visit.text
    missing_festival = await client.post(path, json={
        "kind": "festival_visit", "contacted_on": "2024-09-17", "contacted_by": "赵敏", "findings": "x",
    }, headers=clerk)
    assert missing_festival.status_code == 422
    assert missing_festival.json()["code"] == "festival-mismatch"
    wrong_liaison = await client.post(path, json={
        "kind": "phone_call", "contacted_on": "2024-09-18", "contacted_by": "赵敏", "findings": "x", "liaison_id": 10**8,
    }, headers=clerk)
    assert wrong_liaison.status_code == 422
    assert (wrong_liaison.json()["code"], wrong_liaison.json()["field"]) == ("liaison-not-of-family", "body.liaison_id")
    log = (await client.get(path, headers=clerk)).json()
    assert [(c["kind"], c["festival"]) for c in log["items"]] == [("festival_visit", "mid_autumn")]
    other_region = await client.get(path, headers=bearer(token(role="clerk", region="420102")))
    assert other_region.status_code == 404
