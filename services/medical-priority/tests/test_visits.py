"""Visits: recorded by the hospital in the token, idempotent, only for cards valid at the time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tefu_medical_priority.cards.numbers import check_character


CHINA = timezone(timedelta(hours=8))


def visit(card_no: str, **change) -> dict:
    body = {"card_no": card_no, "department": "内科门诊", "services": ["registration", "consultation", "pharmacy"],
            "waivers": [{"fee": "outpatient_registration", "amount": "4.50"}],
            "visited_at": datetime.now(CHINA).replace(microsecond=0).isoformat()}
    body.update(change)
    return body


async def test_a_visit_is_recorded_once_whatever_the_retries(client, issue_card, hospital, desk):
    await hospital()
    card_no = await issue_card(privileges=["fee_waiver"])
    body = visit(card_no)
    headers = {**desk(), "Idempotency-Key": "his-visit-1"}
    first = await client.post("/v1/visits", json=body, headers=headers)
    assert first.status_code == 201, first.text
    recorded = first.json()
    assert recorded["hospital_code"] == "H420106001" and recorded["waived_total"] == "4.50"
    again = await client.post("/v1/visits", json=body, headers=headers)
    assert again.status_code == 200 and again.json()["id"] == recorded["id"]
    other = await client.post("/v1/visits", json=visit(card_no, department="外科门诊"), headers=headers)
    assert other.status_code == 422
    assert other.json()["field"] == "header.Idempotency-Key" and other.json()["code"] == "idempotency-key-reused"
    mine = (await client.get("/v1/visits", params={"card_no": card_no}, headers=desk())).json()
    assert [v["id"] for v in mine["items"]] == [recorded["id"]] and mine["next_cursor"] is None


async def test_waivers_must_apply_at_this_hospital_and_to_this_holder(client, issue_card, hospital, desk):
    await hospital("H420106001", designated=True, fee_waivers=["outpatient_registration"])
    await hospital("H420106002", designated=False)
    holder = await issue_card(privileges=["fee_waiver"])
    no_waiver_holder = await issue_card(privileges=[])
    wrong_fee = await client.post("/v1/visits", json=visit(holder, waivers=[{"fee": "emergency_infusion", "amount": "20"}]),
                                  headers=desk())
    assert wrong_fee.status_code == 422
    assert wrong_fee.json()["field"] == "body.waivers.0.fee" and wrong_fee.json()["code"] == "fee-not-waived-here"
    assert wrong_fee.json()["errors"][0]["detail"] == "本院（H420106001）不减免急诊输液治疗费；本院减免：普通门诊挂号费"
    not_designated = await client.post("/v1/visits", json=visit(holder), headers=desk("H420106002"))
    assert not_designated.status_code == 422
    assert not_designated.json()["code"] == "fee-not-waived-here"
    not_entitled = await client.post("/v1/visits", json=visit(no_waiver_holder), headers=desk())
    assert not_entitled.status_code == 422
    assert not_entitled.json()["code"] == "fee-waiver-not-entitled"
    floaty = await client.post("/v1/visits", json=visit(holder, waivers=[{"fee": "outpatient_registration", "amount": 4.5}]),
                               headers=desk())
    assert floaty.status_code == 422
    negative = await client.post("/v1/visits", json=visit(holder, waivers=[{"fee": "outpatient_registration",
                                                                            "amount": "-4.50"}]), headers=desk())
    assert negative.status_code == 422
    assert (negative.json()["field"], negative.json()["code"]) == ("body.waivers.0.amount", "money-negative")
    ambulance = await client.post("/v1/visits", json=visit(no_waiver_holder, services=["ambulance"], waivers=[]),
                                  headers=desk())
    assert ambulance.status_code == 422
    assert ambulance.json()["field"] == "body.services" and ambulance.json()["code"] == "ambulance-not-entitled"
    plain = await client.post("/v1/visits", json=visit(no_waiver_holder, waivers=[]), headers=desk())
    assert plain.status_code == 201


async def test_a_visit_counts_only_while_the_card_was_valid(client, issue_card, hospital, desk, auth):
    await hospital()
    card_no = await issue_card()
    before = datetime.now(CHINA) - timedelta(seconds=20)
    clerk = auth(role="clerk", region="420102")
    await client.post(f"/v1/cards/{card_no}/revoke", json={"reason": "clerk_decision", "note": "核查"}, headers=clerk)
    after = (datetime.now(CHINA) + timedelta(seconds=2)).isoformat()
    late = await client.post("/v1/visits", json=visit(card_no, waivers=[], visited_at=after), headers=desk())
    assert late.status_code == 409
    assert late.json()["code"] == "card-not-valid-at-visit" and "不是有效卡" in late.json()["detail"]
    # Served before the revocation, recorded after it: still a green-channel visit... unless it was
    # before the card existed at all.
    earlier = await client.post("/v1/visits", json=visit(card_no, waivers=[], visited_at=before.isoformat()),
                                headers=desk())
    assert earlier.status_code == 201, earlier.text
    future = await client.post("/v1/visits", json=visit(card_no, waivers=[],
                                                        visited_at=(datetime.now(CHINA) + timedelta(hours=2)).isoformat()),
                               headers=desk())
    assert future.status_code == 422
    assert future.json()["field"] == "body.visited_at" and future.json()["code"] == "visit-in-future"


async def test_hospitals_see_their_own_visits_and_clerks_their_region(client, issue_card, hospital, desk, auth):
    await hospital("H420106001")
    await hospital("H420106002")
    card_no = await issue_card("420102")
    await client.post("/v1/visits", json=visit(card_no, waivers=[]), headers=desk("H420106001"))
    await client.post("/v1/visits", json=visit(card_no, waivers=[], department="眼科"), headers=desk("H420106002"))
    seen = (await client.get("/v1/visits", params={"card_no": card_no}, headers=desk("H420106002"))).json()
    assert {v["hospital_code"] for v in seen["items"]} == {"H420106002"}
    clerk = (await client.get("/v1/visits", params={"card_no": card_no},
                              headers=auth(role="clerk", region="420102"))).json()
    assert len(clerk["items"]) == 2
    other = (await client.get("/v1/visits", params={"card_no": card_no},
                              headers=auth(role="clerk", region="370306"))).json()
    assert other == {"items": [], "next_cursor": None}
    unknown_no = card_no[:6] + ("0000000001" if card_no[6:16] != "0000000001" else "0000000002")
    unknown_no += check_character(unknown_no)
    unknown = await client.post("/v1/visits", json=visit(unknown_no, waivers=[]), headers=desk())
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "card-not-found"
    wrong = "0" if unknown_no[-1] != "0" else "1"  # any check character but the right one
    mistyped = await client.post("/v1/visits", json=visit(unknown_no[:-1] + wrong, waivers=[]), headers=desk())
    assert mistyped.status_code == 422
    assert mistyped.json()["field"] == "body.card_no"
