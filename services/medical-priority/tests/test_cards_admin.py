"""Clerks manage cards by hand: every change has a reason, an actor and a place in the history."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from tefu_common.db import Database
from tefu_medical_priority.cards.models import Card



async def test_suspend_reinstate_and_revoke_with_history(client, issue_card, auth):
    card_no = await issue_card("420102", name="李秀英")
    clerk = auth(role="clerk", region="420102", subject="clerk-wang")
    suspended = await client.post(f"/v1/cards/{card_no}/suspend", json={"note": "持卡人申请暂停"}, headers=clerk)
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    again = await client.post(f"/v1/cards/{card_no}/suspend", json={"note": "x"}, headers=clerk)
    assert again.status_code == 409
    assert again.json()["code"] == "card-suspended" and "只有有效的卡才能暂停" in again.json()["detail"]
    reinstated = await client.post(f"/v1/cards/{card_no}/reinstate", headers=clerk)
    assert reinstated.status_code == 200 and reinstated.json()["status"] == "active"
    no_reason = await client.post(f"/v1/cards/{card_no}/revoke", json={"reason": "because"}, headers=clerk)
    assert no_reason.status_code == 422 and {e["field"] for e in no_reason.json()["errors"]} == {"body.reason", "body.note"}
    revoked = await client.post(f"/v1/cards/{card_no}/revoke", json={"reason": "clerk_decision", "note": "重复登记"},
                                headers=clerk)
    assert revoked.json()["status"] == "revoked" and revoked.json()["status_reason"] == "clerk_decision"
    assert (await client.post(f"/v1/cards/{card_no}/reinstate", headers=clerk)).status_code == 409
    history = (await client.get(f"/v1/cards/{card_no}/history", headers=clerk)).json()
    assert history["next_cursor"] is None
    assert [(e["from_status"], e["to_status"], e["actor"]) for e in history["items"]] == [
        (None, "active", "sync"), ("active", "suspended", "clerk-wang"), ("suspended", "active", "clerk-wang"),
        ("active", "revoked", "clerk-wang")]


async def test_a_reissue_revokes_the_old_number_and_links_the_new_one(client, issue_card, hospital, desk, auth):
    await hospital()
    card_no = await issue_card("420102")
    clerk = auth(role="clerk", region="420102")
    new = await client.post(f"/v1/cards/{card_no}/reissue", json={"reason": "lost", "note": "卡片遗失"}, headers=clerk)
    assert new.status_code == 201, new.text
    replacement = new.json()
    assert replacement["card_no"] != card_no and replacement["replaces"] == card_no and replacement["status"] == "active"
    old = (await client.get(f"/v1/cards/{card_no}", headers=desk())).json()
    assert old["valid"] is False and old["reason"] == "replaced"
    assert (await client.get(f"/v1/cards/{replacement['card_no']}", headers=desk())).json()["valid"] is True
    assert (await client.post(f"/v1/cards/{card_no}/reissue", json={"reason": "lost"}, headers=clerk)).status_code == 409


async def test_one_live_card_per_member_is_kept_by_the_database(client, issue_card, database_url):
    card_no = await issue_card("420102", member_id=424242)
    database = Database(database_url)
    try:
        async with database.sessionmaker() as session:
            original = (await session.execute(Card.__table__.select().where(Card.card_no == card_no))).mappings().one()
            # Another number (so that only the one-live-card-per-member index can refuse it).
            second = {**original, "id": None, "card_no": card_no[:-1] + ("0" if card_no[-1] != "0" else "1")}
            second.pop("id")
            try:
                await session.execute(Card.__table__.insert().values(**second))
                await session.commit()
            except IntegrityError:
                await session.rollback()
            else:
                raise AssertionError("a second live card for the same member was accepted")
    finally:
        await database.dispose()


async def test_clerks_see_names_in_full_inspectors_masked_other_regions_nothing(client, issue_card, auth):
    card_no = await issue_card("420102", name="李秀英")
    clerk = auth(role="clerk", region="420102")
    auditor = auth(role="auditor", region="420102")
    assert (await client.get(f"/v1/cards/{card_no}/record", headers=clerk)).json()["holder"]["name"] == "李秀英"
    assert (await client.get(f"/v1/cards/{card_no}/record", headers=auditor)).json()["holder"]["name"] == "李*英"
    listed = (await client.get("/v1/cards", params={"status": "active"}, headers=clerk)).json()["items"]
    assert card_no in {c["card_no"] for c in listed} and all("*" in c["holder"]["name"] for c in listed)
    elsewhere = auth(role="clerk", region="370306")
    hidden = await client.get(f"/v1/cards/{card_no}/record", headers=elsewhere)
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "card-not-found"
    assert (await client.post(f"/v1/cards/{card_no}/suspend", json={"note": "x"}, headers=elsewhere)).status_code == 404
    assert (await client.post(f"/v1/cards/{card_no}/suspend", json={"note": "x"}, headers=auditor)).status_code == 403
    log = (await client.get("/v1/access-log", params={"card_no": card_no}, headers=auditor)).json()["items"]
    assert {e["subject"] for e in log if e["how"] == "record"} == {"test-clerk", "test-auditor"}
    assert {e["subject"] for e in log if e["how"] == "list"} == {"test-clerk"}  # a list shows holders too


async def test_lists_come_in_pages_of_the_one_shape(client, issue_card, auth):
    numbers = [await issue_card("420102") for _ in range(3)]
    clerk = auth(role="clerk", region="420102")
    first = (await client.get("/v1/cards", params={"limit": 2}, headers=clerk)).json()
    assert [c["card_no"] for c in first["items"]] == numbers[:2] and first["next_cursor"]
    rest = (await client.get("/v1/cards", params={"limit": 2, "cursor": first["next_cursor"]}, headers=clerk)).json()
    assert [c["card_no"] for c in rest["items"]] == numbers[2:] and rest["next_cursor"] is None
    bad = await client.get("/v1/cards", params={"cursor": "not-a-cursor"}, headers=clerk)
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid-cursor"
    auditor = auth(role="auditor", region="420102")
    log = (await client.get("/v1/access-log", params={"limit": 2}, headers=auditor)).json()
    assert [e["how"] for e in log["items"]] == ["list", "list"] and log["next_cursor"]
    more = (await client.get("/v1/access-log", params={"limit": 2, "cursor": log["next_cursor"]}, headers=auditor)).json()
    assert [(e["card_no"], e["subject"]) for e in more["items"]] == [(numbers[2], "test-clerk")]
    assert more["next_cursor"] is None
