"""The HIS lookup: an exact allow-list of fields, validity, fee waivers where they apply, errors."""

from __future__ import annotations

from datetime import date

from tefu_medical_priority.cards.numbers import check_character

from .conftest import id_number

CHECK_KEYS = {"card_no", "valid", "status", "reason", "reason_detail", "holder", "region_code", "region_name", "services", "privileges",
              "fee_waivers", "free_ambulance", "valid_until", "liaisons", "liaison_reason"}
HOLDER_KEYS = {"name", "sex", "birth_year", "id_last4"}


async def test_a_valid_card_answers_the_allow_list_and_nothing_more(client, issue_card, hospital, desk):
    await hospital()
    card_no = await issue_card(name="李秀英", birth="1965-03-02", privileges=["fee_waiver", "free_ambulance"])
    response = await client.get(f"/v1/cards/{card_no}", headers=desk())
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == CHECK_KEYS
    assert set(body["holder"]) == HOLDER_KEYS
    assert body["holder"] == {"name": "李*英", "sex": "female", "birth_year": 1965, "id_last4": body["holder"]["id_last4"]}
    assert len(body["holder"]["id_last4"]) == 4
    assert body["valid"] is True and body["status"] == "active" and body["reason"] is None
    assert body["reason_detail"] is None
    assert [s["code"] for s in body["services"]] == ["registration", "payment", "lab"]
    assert [p["code"] for p in body["privileges"]] == ["medical_priority", "fee_waiver", "free_ambulance"]
    assert [w["fee"] for w in body["fee_waivers"]] == ["emergency_registration", "outpatient_registration",
                                                      "outpatient_infusion"]
    assert body["free_ambulance"] is True
    assert body["region_code"] == "420102" and body["region_name"].startswith("湖北省")
    assert body["liaisons"] == [] and body["liaison_reason"] == "尚未核对持卡人的监护情况，暂不提供联系人"
    text = response.text
    assert "李秀英" not in text and "4201021965" not in text  # neither the full name nor the ID number


async def test_fee_waivers_only_at_a_designated_hospital_and_only_for_holders_who_have_them(
        client, issue_card, hospital, desk):
    await hospital("H420106001", designated=True)
    await hospital("H420106002", designated=False)
    with_waiver = await issue_card(privileges=["fee_waiver"])
    without = await issue_card(privileges=[])
    assert (await client.get(f"/v1/cards/{with_waiver}", headers=desk("H420106002"))).json()["fee_waivers"] == []
    assert (await client.get(f"/v1/cards/{without}", headers=desk("H420106001"))).json()["fee_waivers"] == []
    assert len((await client.get(f"/v1/cards/{with_waiver}", headers=desk("H420106001"))).json()["fee_waivers"]) == 3
    assert (await client.get(f"/v1/cards/{without}", headers=desk())).json()["free_ambulance"] is False


async def test_a_revoked_card_is_200_with_valid_false_and_a_reason_that_hides_the_family_fate(
        client, issue_card, hospital, desk, auth):
    await hospital()
    card_no = await issue_card()
    clerk = auth(role="clerk", region="420102")
    revoked = await client.post(f"/v1/cards/{card_no}/revoke", json={"reason": "eligibility_lost", "note": "核查不符"},
                                headers=clerk)
    assert revoked.status_code == 200, revoked.text
    body = (await client.get(f"/v1/cards/{card_no}", headers=desk())).json()
    assert body["valid"] is False and body["status"] == "revoked" and body["reason"] == "no_longer_eligible"
    assert body["reason_detail"] == "此卡已失效，不能享受就医优先"  # the desk reads Chinese; no word of why
    english = (await client.get(f"/v1/cards/{card_no}", headers={**desk(), "Accept-Language": "en"})).json()
    assert english["reason"] == "no_longer_eligible" and english["reason_detail"].startswith("this card is no longer")
    assert body["privileges"] == [] and body["services"] == [] and body["fee_waivers"] == []
    assert set(body) == CHECK_KEYS


async def test_a_card_past_its_last_day_is_expired_at_once(client, issue_card, hospital, desk):
    await hospital()
    card_no = await issue_card(issued_on=date(2019, 1, 10))  # five years: valid until 2024-01-09
    body = (await client.get(f"/v1/cards/{card_no}", headers=desk())).json()
    assert body["valid"] is False and body["status"] == "expired" and body["reason"] == "expired"
    assert body["valid_until"] == "2024-01-09"


async def test_unknown_mistyped_and_foreign_callers(client, issue_card, hospital, desk, auth):
    await hospital()
    card_no = await issue_card()
    unknown = card_no[:6] + ("0000000001" if card_no[6:16] != "0000000001" else "0000000002")
    unknown += check_character(unknown)
    missing = await client.get(f"/v1/cards/{unknown}", headers=desk())
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["code"] == "card-not-found" and missing.json()["detail"] == "没有这张卡"

    # One digit mistyped: the check character always catches it, so no other holder is looked up.
    typo = card_no[:9] + str((int(card_no[9]) + 1) % 10) + card_no[10:]
    mistyped = await client.get(f"/v1/cards/{typo}", headers=desk())
    assert mistyped.status_code == 422
    assert mistyped.json()["code"] == "card-number-check-character" and mistyped.json()["field"] == "path.card_no"
    assert "校验码" in mistyped.json()["errors"][0]["detail"]
    short = await client.get("/v1/cards/12345", headers=desk())
    assert short.status_code == 422
    assert short.json()["errors"][0]["field"] == "path.card_no" and short.json()["code"] == "card-number-format"

    stranger = await client.get(f"/v1/cards/{card_no}", headers=desk("H999999999"))
    assert stranger.status_code == 403
    assert stranger.json()["code"] == "hospital-not-registered" and "医院目录" in stranger.json()["detail"]
    clerk = await client.get(f"/v1/cards/{card_no}", headers=auth(role="clerk", region="420102"))
    assert clerk.status_code == 403
    assert (await client.get(f"/v1/cards/{card_no}")).status_code == 401


async def test_an_inactive_hospital_cannot_look_up(client, issue_card, hospital, desk):
    await hospital("H420106009", active=False)
    card_no = await issue_card()
    assert (await client.get(f"/v1/cards/{card_no}", headers=desk("H420106009"))).status_code == 403


async def test_lookup_by_name_and_id_number_together_only(client, issue_card, hospital, desk):
    await hospital()
    holder_id = id_number("420102", "1966-04-05", 777)
    card_no = await issue_card(name="王建国", birth="1966-04-05", sex="male", id_no=holder_id)
    found = await client.post("/v1/cards/lookup", json={"name": "王建国", "id_number": holder_id}, headers=desk())
    assert found.status_code == 200, found.text
    assert found.json()["card_no"] == card_no and set(found.json()) == CHECK_KEYS
    wrong_name = await client.post("/v1/cards/lookup", json={"name": "王建民", "id_number": holder_id}, headers=desk())
    assert wrong_name.status_code == 404
    assert wrong_name.json()["code"] == "card-not-found"
    no_name = await client.post("/v1/cards/lookup", json={"id_number": holder_id}, headers=desk())
    assert no_name.status_code == 422
    assert no_name.json()["errors"][0]["field"] == "body.name" and no_name.json()["code"] == "missing"
    bad = await client.post("/v1/cards/lookup", json={"name": "王建国", "id_number": holder_id[:-1] + "0"
                                                      if holder_id[-1] != "0" else holder_id[:-1] + "1"}, headers=desk())
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "body.id_number" and bad.json()["code"] == "resident-id-check-character"


async def test_lookups_by_id_number_are_rate_limited_per_hospital(client, issue_card, hospital, desk, settings):
    await hospital("H420106007")
    await hospital("H420106008")
    holder_id = id_number("420102", "1960-01-01", 5)
    await issue_card(name="赵六", id_no=holder_id)
    body = {"name": "赵六", "id_number": holder_id}
    answers = [await client.post("/v1/cards/lookup", json=body, headers=desk("H420106007"))
               for _ in range(settings.id_lookup_per_minute + 1)]
    limited = answers[-1]
    if limited.status_code == 200:  # the minute turned during the run: one more fills the new window
        limited = (await client.post("/v1/cards/lookup", json=body, headers=desk("H420106007")))
    assert [a.status_code for a in answers[:settings.id_lookup_per_minute]].count(200) >= settings.id_lookup_per_minute - 1
    assert limited.status_code == 429, limited.text
    assert limited.json()["code"] == "id-lookup-rate-limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    # Another hospital has its own allowance; a card-number lookup is not limited.
    assert (await client.post("/v1/cards/lookup", json=body, headers=desk("H420106008"))).status_code == 200


async def test_every_lookup_is_in_the_access_log_for_the_region_auditor(client, issue_card, hospital, desk, auth):
    await hospital()
    card_no = await issue_card("420102")
    for _ in range(3):
        assert (await client.get(f"/v1/cards/{card_no}", headers=desk())).status_code == 200
    auditor = auth(role="auditor", region="420102")
    answer = await client.get("/v1/access-log", params={"card_no": card_no}, headers=auditor)
    assert answer.status_code == 200, answer.text
    log = answer.json()
    lookups = [e for e in log["items"] if e["endpoint"] == "GET /v1/cards/{card_no}"]
    assert len(lookups) == 3
    assert {e["institution"] for e in lookups} == {"H420106001"} and {e["outcome"] for e in lookups} == {"valid"}
    elsewhere = auth(role="auditor", region="370306")
    assert (await client.get("/v1/access-log", params={"card_no": card_no}, headers=elsewhere)).json()["items"] == []
