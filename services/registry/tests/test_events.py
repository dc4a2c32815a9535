"""Each kind of life event, and how it changes the special-family status over time."""

from __future__ import annotations

import pytest

from tefu_common.testing import bearer

from .builders import family_body


async def register(client, token, **kwargs):
    response = await client.post("/v1/families", json=family_body(**kwargs), headers=bearer(token(role="clerk")))
    assert response.status_code == 201, response.text
    return response.json()


async def record(client, token, family_id, event, expect=201):
    response = await client.post(f"/v1/families/{family_id}/events", json=event, headers=bearer(token(role="clerk")))
    assert response.status_code == expect, response.text
    return response.json()


async def status(client, token, family_id, as_of):
    response = await client.get(f"/v1/families/{family_id}/status", params={"as_of": as_of}, headers=bearer(token(role="clerk")))
    assert response.status_code == 200, response.text
    return response.json()


async def special_on(client, token, family_id, *days):
    return [(await status(client, token, family_id, day))["special_family"] for day in days]


async def facts(client, token, family_id, as_of):
    response = await client.get(f"/v1/families/{family_id}/facts", params={"as_of": as_of}, headers=bearer(token(role="clerk")))
    assert response.status_code == 200, response.text
    return response.json()


async def test_child_died(client, token):
    family = await register(client, token)
    await record(client, token, family["id"], {"kind": "child_died", "occurred_on": "2019-03-10"})
    assert await special_on(client, token, family["id"], "2019-03-09", "2019-03-10", "2024-01-01") == [False, True, True]
    body = await facts(client, token, family["id"], "2020-06-15")
    assert body["family"]["child"]["status"] == "deceased" and body["family"]["child"]["event_date"] == "2019-03-10"


@pytest.mark.parametrize(("level", "special"), [(1, True), (3, True), (4, False)])
async def test_disability_level_three_counts_and_four_does_not(client, token, level, special):
    family = await register(client, token)
    child = next(m for m in family["members"] if m["role"] == "child")
    await record(client, token, family["id"], {
        "kind": "disability_certified", "occurred_on": "2015-06-01", "category": "4", "level": level,
        "certificate_no": f"{child['id_number']}4{level}",
    })
    result = await status(client, token, family["id"], "2016-01-01")
    assert result["special_family"] is special
    if not special:
        assert result["reasons"][0]["code"] == "disability_level_4"
    assert (await facts(client, token, family["id"], "2016-01-01"))["family"]["child"]["disability_level"] == level


async def test_level_change_and_recovery_stop_qualification(client, token):
    family = await register(client, token)
    child = next(m for m in family["members"] if m["role"] == "child")
    certificate = {"kind": "disability_certified", "occurred_on": "2015-06-01", "category": "5", "level": 2,
                   "certificate_no": f"{child['id_number']}52"}
    await record(client, token, family["id"], certificate)
    await record(client, token, family["id"], {"kind": "disability_level_changed", "occurred_on": "2018-01-01", "level": 4})
    await record(client, token, family["id"], {"kind": "disability_level_changed", "occurred_on": "2019-01-01", "level": 3})
    await record(client, token, family["id"], {"kind": "child_recovered", "occurred_on": "2021-07-01"})
    assert await special_on(client, token, family["id"], "2015-05-31", "2015-06-01", "2018-06-01", "2019-06-01", "2021-07-01") == [
        False, True, False, True, False,
    ]
    assert (await facts(client, token, family["id"], "2022-01-01"))["family"]["child"]["recovered_on"] == "2021-07-01"


async def test_the_childs_history_keeps_the_disability_before_the_death(client, token):
    # A child certified disabled and later dead: the facts say when it was disabled (at which
    # level) and when it died, not only that it died.
    family = await register(client, token)
    child = next(m for m in family["members"] if m["role"] == "child")
    await record(client, token, family["id"], {"kind": "disability_certified", "occurred_on": "2015-06-01",
                                               "category": "4", "level": 2, "certificate_no": f"{child['id_number']}42"})
    await record(client, token, family["id"], {"kind": "disability_level_changed", "occurred_on": "2017-03-01", "level": 4})
    await record(client, token, family["id"], {"kind": "disability_level_changed", "occurred_on": "2018-03-01", "level": 1})
    await record(client, token, family["id"], {"kind": "child_died", "occurred_on": "2020-08-08"})
    body = (await facts(client, token, family["id"], "2021-01-01"))["family"]["child"]
    assert body["history"] == [
        {"kind": "disabled", "on": "2015-06-01", "level": 2, "certificate": "4"},
        {"kind": "level_changed", "on": "2017-03-01", "level": 4, "certificate": None},
        {"kind": "level_changed", "on": "2018-03-01", "level": 1, "certificate": None},
        {"kind": "died", "on": "2020-08-08", "level": None, "certificate": None},
    ]
    assert (body["status"], body["event_date"], body["disability_level"]) == ("deceased", "2020-08-08", 1)  # as before
    earlier = (await facts(client, token, family["id"], "2017-12-31"))["family"]["child"]
    assert [entry["kind"] for entry in earlier["history"]] == ["disabled", "level_changed"]
    assert earlier["status"] == "disabled"


async def test_a_death_recorded_late_ends_the_history_on_its_day(client, token):
    # The death is recorded after a certification dated later (entered in the wrong order): the
    # history stops at the death; a level change with no certificate held is not part of it.
    family = await register(client, token)
    child = next(m for m in family["members"] if m["role"] == "child")
    await record(client, token, family["id"], {"kind": "disability_certified", "occurred_on": "2015-06-01",
                                               "category": "1", "level": 3, "certificate_no": f"{child['id_number']}13"})
    await record(client, token, family["id"], {"kind": "child_recovered", "occurred_on": "2016-06-01"})
    await record(client, token, family["id"], {"kind": "disability_level_changed", "occurred_on": "2017-01-01", "level": 2})
    await record(client, token, family["id"], {"kind": "disability_certified", "occurred_on": "2019-06-01",
                                               "category": "1", "level": 3, "certificate_no": f"{child['id_number']}13"})
    await record(client, token, family["id"], {"kind": "child_died", "occurred_on": "2018-01-01"})
    history = (await facts(client, token, family["id"], "2024-01-01"))["family"]["child"]["history"]
    assert [(entry["kind"], entry["on"]) for entry in history] == [
        ("disabled", "2015-06-01"), ("recovered", "2016-06-01"), ("died", "2018-01-01")]


async def test_divorce_and_remarriage_reach_the_facts(client, token):
    family = await register(client, token, events=[{"kind": "child_died", "occurred_on": "2012-01-01"}])
    early = await record(client, token, family["id"], {"kind": "remarried", "occurred_on": "2013-01-01", "member": "mother"},
                         expect=422)
    assert (early["code"], early["field"]) == ("parent-not-single", "body.occurred_on")
    assert "既未离婚也未丧偶" in early["errors"][0]["detail"]
    await record(client, token, family["id"], {"kind": "divorced", "occurred_on": "2014-01-01"})
    await record(client, token, family["id"], {"kind": "remarried", "occurred_on": "2016-05-20", "member": "father"})
    await record(client, token, family["id"], {"kind": "later_child_born", "occurred_on": "2018-09-01", "member": "father"})
    body = (await facts(client, token, family["id"], "2020-01-01"))["family"]
    assert body["marriage"] == [{"kind": "divorced", "on": "2014-01-01", "member": None},
                                {"kind": "remarried", "on": "2016-05-20", "member": "father"}]
    assert body["later_children"] == [{"kind": "birth", "date": "2018-09-01", "assisted_reproduction": False,
                                       "parent": "father"}]
    assert (await facts(client, token, family["id"], "2015-01-01"))["family"]["marriage"] == [
        {"kind": "divorced", "on": "2014-01-01", "member": None}]
    missing = await register(client, token, father=False, events=[{"kind": "child_died", "occurred_on": "2012-01-01"}])
    error = await record(client, token, missing["id"], {"kind": "later_child_adopted", "occurred_on": "2015-01-01",
                                                        "member": "father"}, expect=422)
    assert (error["code"], error["field"]) == ("member-not-in-family", "body.member")
    # A widowed parent remarries without a divorce.
    await record(client, token, family["id"], {"kind": "parent_died", "occurred_on": "2019-01-01", "member": "mother"})
    widowed = await register(client, token, events=[{"kind": "child_died", "occurred_on": "2012-01-01"},
                                                    {"kind": "parent_died", "occurred_on": "2015-01-01", "member": "father"}])
    await record(client, token, widowed["id"], {"kind": "remarried", "occurred_on": "2017-01-01", "member": "mother"})


async def test_certificate_number_must_be_the_childs_id_category_and_level(client, token):
    family = await register(client, token)
    child = next(m for m in family["members"] if m["role"] == "child")
    error = await record(client, token, family["id"], {
        "kind": "disability_certified", "occurred_on": "2015-06-01", "category": "4", "level": 2,
        "certificate_no": f"{child['id_number']}43",
    }, expect=422)
    assert (error["code"], error["field"]) == ("certificate-number-mismatch", "body.certificate_no")
    no_certificate = await record(client, token, family["id"], {"kind": "child_recovered", "occurred_on": "2016-01-01"}, expect=422)
    assert (no_certificate["code"], no_certificate["detail"]) == ("no-disability-certificate", "body.kind：独生子女没有登记残疾人证")
    bad_level = await record(client, token, family["id"], {"kind": "disability_level_changed", "occurred_on": "2016-01-01", "level": 7}, expect=422)
    assert bad_level["errors"][0]["field"].endswith("level")


@pytest.mark.parametrize("kind", ["later_child_born", "later_child_adopted"])
async def test_a_later_child_ends_qualification_from_its_date(client, token, kind):
    family = await register(client, token)
    await record(client, token, family["id"], {"kind": "child_died", "occurred_on": "2019-03-10"})
    event = {"kind": kind, "occurred_on": "2021-05-01"}
    if kind == "later_child_born":
        event["assisted_reproduction"] = True
    await record(client, token, family["id"], event)
    assert await special_on(client, token, family["id"], "2021-04-30", "2021-05-01") == [True, False]
    later = (await facts(client, token, family["id"], "2021-06-01"))["family"]["later_children"]
    assert later == [{"kind": "birth" if kind == "later_child_born" else "adoption", "date": "2021-05-01",
                      "assisted_reproduction": kind == "later_child_born", "parent": None}]
    assert (await facts(client, token, family["id"], "2021-04-30"))["family"]["later_children"] == []


async def test_later_child_before_the_only_child_is_refused(client, token):
    family = await register(client, token)
    error = await record(client, token, family["id"], {"kind": "later_child_born", "occurred_on": "1989-01-01"}, expect=422)
    assert (error["code"], error["field"]) == ("before-child-joined", "body.occurred_on")
    assert "早于独生子女出生" in error["errors"][0]["detail"]


async def test_parents_dying(client, token):
    family = await register(client, token, events=[{"kind": "child_died", "occurred_on": "2010-01-01"}])
    await record(client, token, family["id"], {"kind": "parent_died", "occurred_on": "2020-02-02", "member": "father"})
    assert await special_on(client, token, family["id"], "2021-01-01") == [True]
    again = await record(client, token, family["id"], {"kind": "parent_died", "occurred_on": "2020-03-03", "member": "father"}, expect=422)
    assert (again["code"], again["field"]) == ("death-already-recorded", "body.member")
    await record(client, token, family["id"], {"kind": "parent_died", "occurred_on": "2022-02-02", "member": "mother"})
    result = await status(client, token, family["id"], "2023-01-01")
    assert result["special_family"] is False and "no_living_parent" in {r["code"] for r in result["reasons"]}
    parents = {p["role"]: p for p in (await facts(client, token, family["id"], "2021-01-01"))["family"]["parents"]}
    assert parents["father"]["death_date"] == "2020-02-02" and parents["mother"]["death_date"] is None
    detail = (await client.get(f"/v1/families/{family['id']}", headers=bearer(token(role="clerk")))).json()
    assert {m["role"]: m["death_date"] for m in detail["members"]}["mother"] == "2022-02-02"


async def test_single_parent_missing_father(client, token):
    family = await register(client, token, father=False, events=[{"kind": "child_died", "occurred_on": "2012-01-01"}])
    await record(client, token, family["id"], {"kind": "divorced", "occurred_on": "2013-01-01"})
    assert await special_on(client, token, family["id"], "2014-01-01") == [True]
    error = await record(client, token, family["id"], {"kind": "parent_died", "occurred_on": "2020-01-01", "member": "father"}, expect=422)
    assert (error["code"], error["errors"][0]["detail"]) == ("member-not-in-family", "这户家庭没有登记父亲")


async def test_hukou_move_changes_the_region_from_its_date(client, token):
    family = await register(client, token)
    await record(client, token, family["id"], {"kind": "hukou_moved", "occurred_on": "2020-07-01", "to_region": "370303"})
    zibo = bearer(token(role="clerk", region="370300"))
    before = await client.get(f"/v1/families/{family['id']}/facts", params={"as_of": "2020-06-30"}, headers=zibo)
    assert before.json()["family"]["region_code"] == "370306"
    after = await client.get(f"/v1/families/{family['id']}/facts", params={"as_of": "2020-07-01"}, headers=zibo)
    assert after.json()["family"]["region_code"] == "370303"
    # The family now belongs to 370303: Zhoucun's clerks no longer see it.
    gone = await client.get(f"/v1/families/{family['id']}", headers=bearer(token(role="clerk", region="370306")))
    assert gone.status_code == 404


async def test_low_income_and_extreme_poverty_periods(client, token):
    family = await register(client, token)
    for kind, day in (("low_income_began", "2018-01-01"), ("low_income_ended", "2020-01-01"),
                      ("extreme_poverty_began", "2021-01-01")):
        await record(client, token, family["id"], {"kind": kind, "occurred_on": day})
    flags = []
    for day in ("2017-12-31", "2019-06-01", "2020-06-01", "2022-01-01"):
        body = (await facts(client, token, family["id"], day))["family"]
        flags.append((body["low_income"], body["extreme_poverty"]))
    assert flags == [(False, False), (True, False), (False, False), (False, True)]


async def test_corrections_replace_or_void_and_keep_the_original(client, token):
    family = await register(client, token)
    wrong = await record(client, token, family["id"], {"kind": "child_died", "occurred_on": "2019-03-10"})
    await record(client, token, family["id"], {
        "kind": "correction", "corrects_event_id": wrong["id"], "reason": "date copied wrongly from the certificate",
        "replacement": {"kind": "child_died", "occurred_on": "2019-04-10"},
    })
    assert await special_on(client, token, family["id"], "2019-03-20", "2019-04-10") == [False, True]
    events = (await client.get(f"/v1/families/{family['id']}/events", headers=bearer(token(role="clerk")))).json()["items"]
    assert [e["kind"] for e in events] == ["child_died", "correction"]
    assert events[0]["occurred_on"] == "2019-03-10"  # never edited in place
    assert events[1]["corrects_event_id"] == wrong["id"]

    void = await record(client, token, family["id"], {"kind": "correction", "corrects_event_id": wrong["id"],
                                                     "reason": "entered on the wrong family"})
    assert void["kind"] == "correction"
    assert await special_on(client, token, family["id"], "2020-01-01") == [False]
    again = await record(client, token, family["id"], {"kind": "correction", "corrects_event_id": wrong["id"],
                                                      "reason": "again"}, expect=422)
    assert again["code"] == "event-already-voided"
    other_kind = await record(client, token, family["id"], {
        "kind": "correction", "corrects_event_id": 10**9, "reason": "nope"}, expect=422)
    assert (other_kind["code"], other_kind["field"]) == ("event-not-in-family", "body.corrects_event_id")


async def test_future_and_unknown_events_are_refused(client, token):
    family = await register(client, token)
    future = await record(client, token, family["id"], {"kind": "child_died", "occurred_on": "2999-01-01"}, expect=422)
    assert (future["code"], future["field"]) == ("date-in-future", "body.occurred_on")
    unknown = await record(client, token, family["id"], {"kind": "child_married", "occurred_on": "2019-01-01"}, expect=422)
    assert (unknown["code"], unknown["field"]) == ("union-tag-invalid", "body")


async def test_events_at_registration_are_recorded_and_checked(client, token):
    body = family_body(events=[{"kind": "child_died", "occurred_on": "1985-01-01"}])
    response = await client.post("/v1/families", json=body, headers=bearer(token(role="clerk")))
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("before-child-joined", "body.events.0.occurred_on")
    death = family_body()
    death["father"]["death_date"] = "2999-01-01"
    response = await client.post("/v1/families", json=death, headers=bearer(token(role="clerk")))
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("date-in-future", "body.father.death_date")


async def test_history_reads_as_a_timeline(client, token):
    family = await register(client, token)
    await record(client, token, family["id"], {"kind": "child_died", "occurred_on": "2019-03-10"})
    history = (await client.get(f"/v1/families/{family['id']}/history", headers=bearer(token(role="clerk")))).json()["items"]
    assert [h["kind"] for h in history] == ["family_registered", "event_recorded"]
    assert history[1]["changes"][0]["new"]["kind"] == "child_died"
    assert history[0]["occurred_at"] <= history[1]["occurred_at"]
