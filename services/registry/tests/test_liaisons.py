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
        "kind": "home_visit", "contacted_on": "2024-09-17", "contacted_by": "赵敏",
        "findings": "身体尚可，独居", "help_given": "协助预约体检",
    }, headers=clerk)
    assert visit.status_code == 201, visit.text
    doctor = await client.post(path, json={
        "kind": "family_doctor", "contacted_on": "2024-09-20", "contacted_by": "王医生", "findings": "血压偏高",
    }, headers=clerk)
    assert doctor.status_code == 201, doctor.text
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
    assert [(c["kind"], c["festival"]) for c in log["items"]] == [("home_visit", None), ("family_doctor", None)]
    other_region = await client.get(path, headers=bearer(token(role="clerk", region="420102")))
    assert other_region.status_code == 404


async def test_a_contact_names_the_liaison_who_made_it(client, token):
    clerk = bearer(token(role="clerk"))
    family = (await client.post("/v1/families", json=family_body(), headers=clerk)).json()
    await client.put(f"/v1/families/{family['id']}/liaisons", json={"liaisons": [
        {"post": "township", "name": "赵敏", "phone": "13700000001", "unit": "南郊镇卫健办", "assigned_on": "2023-01-01"},
        {"post": "village", "name": "钱进", "phone": "13700000002", "unit": "某村村委会", "assigned_on": "2023-01-01"},
        {"post": "county_leader", "name": "周正", "phone": "13700000005", "unit": "区卫健局", "assigned_on": "2023-01-01"},
    ]}, headers=clerk)
    handed = await client.put(f"/v1/families/{family['id']}/liaisons", json={"liaisons": [
        {"post": "village", "name": "孙丽", "phone": "13700000003", "unit": "某村村委会", "assigned_on": "2024-03-01"},
    ]}, headers=clerk)
    ids = {l["name"]: l["id"] for l in handed.json()["liaisons"]}
    assert set(ids) == {"赵敏", "钱进", "周正", "孙丽"}
    path = f"/v1/families/{family['id']}/contacts"
    by_name = await client.post(path, json={"kind": "phone_call", "contacted_on": "2024-03-05", "contacted_by": "赵敏",
                                            "findings": "x"}, headers=clerk)
    assert by_name.json()["liaison_id"] == ids["赵敏"]
    # 钱进 handed the post over on 2024-03-01: a contact of his afterwards links to no liaison.
    after_handover = await client.post(path, json={"kind": "phone_call", "contacted_on": "2024-03-05",
                                                   "contacted_by": "钱进", "findings": "x"}, headers=clerk)
    assert after_handover.json()["liaison_id"] is None
    not_serving = await client.post(path, json={"kind": "phone_call", "contacted_on": "2024-03-05", "contacted_by": "钱进",
                                                "findings": "x", "liaison_id": ids["钱进"]}, headers=clerk)
    assert not_serving.status_code == 422
    problem = not_serving.json()
    assert (problem["code"], problem["field"]) == ("liaison-not-serving", "body.liaison_id")
    assert "2023-01-01至2024-02-29" in problem["detail"]
    someone_else = await client.post(path, json={"kind": "phone_call", "contacted_on": "2024-03-05",
                                                 "contacted_by": "社工小刘", "findings": "x"}, headers=clerk)
    assert someone_else.json()["liaison_id"] is None


async def test_a_festival_visit_waits_for_the_rules_and_keeps_nothing_meanwhile(client, token):
    """The festival's window is the eligibility service's: while it cannot be reached the visit is
    refused with 503 (retry), and nothing is written."""
    clerk = bearer(token(role="clerk"))
    family = (await client.post("/v1/families", json=family_body(), headers=clerk)).json()
    path = f"/v1/families/{family['id']}/contacts"
    refused = await client.post(path, json={"kind": "festival_visit", "festival": "mid_autumn",
                                            "contacted_on": "2024-09-17", "contacted_by": "赵敏", "findings": "x"},
                                headers=clerk)
    assert refused.status_code == 503
    assert refused.json()["code"] == "upstream-unavailable"
    assert (await client.get(path, headers=clerk)).json()["items"] == []


async def test_a_service_reads_the_liaisons_work_phones_in_full(client, token):
    clerk = bearer(token(role="clerk"))
    family = (await client.post("/v1/families", json=family_body(), headers=clerk)).json()
    await client.put(f"/v1/families/{family['id']}/liaisons", json={"liaisons": [
        {"post": "township", "name": "赵敏", "phone": "13700000001", "unit": "南郊镇卫健办", "assigned_on": "2023-01-01"}]},
        headers=clerk)
    shown = (await client.get(f"/v1/families/{family['id']}/liaisons",
                              headers=bearer(token(role="service", region="000000")))).json()["items"]
    assert [(l["name"], l["phone"]) for l in shown] == [("赵敏", "13700000001")]
