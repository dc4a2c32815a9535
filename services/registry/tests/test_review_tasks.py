"""Review tasks from bank returns: opened by the payments service once per returned line, listed
for the family's region only, settled by recording the death or changing the bank account, or
dismissed with a note."""

from __future__ import annotations

from tefu_common.testing import bearer

from .builders import family_body


def _member_id(family: dict, role: str) -> int:
    return next(m["id"] for m in family["members"] if m["role"] == role)


async def test_a_death_task_is_opened_once_and_closed_by_recording_the_death(client, token):
    clerk = bearer(token(role="clerk", subject="clerk-1"))
    family = (await client.post("/v1/families", json=family_body(), headers=clerk)).json()
    service = bearer(token(role="service", region="000000", subject="payments-service"))
    body = {"member_id": _member_id(family, "mother"), "kind": "confirm_death", "source_ref": "B3-000007",
            "reason_code": "MD07", "reason": "收款人已身故（MD07）"}
    opened = await client.post("/v1/review-tasks", json=body, headers=service)
    assert opened.status_code == 201, opened.text
    task = opened.json()
    assert (task["status"], task["member_role"], task["region_code"]) == ("open", "mother", "370306")
    again = await client.post("/v1/review-tasks", json=body, headers=service)
    assert again.status_code == 200 and again.json()["id"] == task["id"]  # one task per returned line
    assert (await client.post("/v1/review-tasks", json=body, headers=clerk)).status_code == 403  # not a clerk's to open

    listed = (await client.get("/v1/review-tasks", params={"status": "open"}, headers=clerk)).json()["items"]
    assert [t["id"] for t in listed] == [task["id"]]
    elsewhere = bearer(token(role="clerk", region="370303"))
    assert (await client.get("/v1/review-tasks", headers=elsewhere)).json()["items"] == []
    assert (await client.get(f"/v1/review-tasks/{task['id']}", headers=elsewhere)).status_code == 404
    outside = await client.get("/v1/review-tasks", params={"region": "370303"}, headers=clerk)
    assert outside.status_code == 422

    early = await client.post(f"/v1/review-tasks/{task['id']}/resolve", json={"outcome": "confirmed"}, headers=clerk)
    assert early.status_code == 422 and early.json()["code"] == "death-not-recorded"
    died = await client.post(f"/v1/families/{family['id']}/events", headers=clerk,
                             json={"kind": "parent_died", "occurred_on": "2026-11-20", "member": "mother"})
    assert died.status_code == 201, died.text
    settled = (await client.get(f"/v1/review-tasks/{task['id']}", headers=clerk)).json()
    assert (settled["status"], settled["resolved_by"]) == ("confirmed", "clerk-1")
    closed = await client.post(f"/v1/review-tasks/{task['id']}/resolve", json={"outcome": "dismissed", "note": "重复"},
                               headers=clerk)
    assert closed.status_code == 409 and closed.json()["code"] == "review-task-closed"


async def test_a_bank_task_closes_when_the_account_changes_and_can_be_dismissed_with_a_note(client, token):
    clerk = bearer(token(role="clerk", subject="clerk-2"))
    family = (await client.post("/v1/families", json=family_body(), headers=clerk)).json()
    service = bearer(token(role="service", region="000000", subject="payments-service"))
    mother = _member_id(family, "mother")
    tasks = []
    for ref, code in (("B4-000001", "AC04"), ("B4-000002", "AC01")):
        opened = await client.post("/v1/review-tasks", headers=service, json={
            "member_id": mother, "kind": "bank_details", "source_ref": ref, "reason_code": code, "reason": code})
        assert opened.status_code == 201, opened.text
        tasks.append(opened.json()["id"])
    no_note = await client.post(f"/v1/review-tasks/{tasks[1]}/resolve", json={"outcome": "dismissed"}, headers=clerk)
    assert no_note.status_code == 422 and no_note.json()["code"] == "note-required"
    wrong = await client.post(f"/v1/review-tasks/{tasks[1]}/resolve", json={"outcome": "confirmed"}, headers=clerk)
    assert wrong.status_code == 422 and wrong.json()["code"] == "outcome-not-for-kind"
    dismissed = await client.post(f"/v1/review-tasks/{tasks[1]}/resolve", headers=clerk,
                                  json={"outcome": "dismissed", "note": "银行核实后账号无误"})
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    changed = await client.patch(f"/v1/families/{family['id']}", headers=clerk, json={"mother": {"bank_account": {
        "bank": "中国工商银行周村支行", "account_number": "6222020012345678901", "holder": "李秀英"}}})
    assert changed.status_code == 200, changed.text
    assert (await client.get(f"/v1/review-tasks/{tasks[0]}", headers=clerk)).json()["status"] == "updated"
    assert (await client.get("/v1/review-tasks", params={"status": "open"}, headers=clerk)).json()["items"] == []
