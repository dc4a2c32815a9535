"""Local parameter overlays over HTTP: propose, approve (maker-checker), reject, withdraw, what is in
force on a day, history, and the store the catalogue reads."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tefu_common.db import Database
from tefu_eligibility.overlays.store import approved_overlays, overlay_stamp

CONDOLENCE = "hunan.one_time_condolence"
BASE = f"/v1/regions/430100/parameters/{CONDOLENCE}"
PROPOSAL = {"value": "3000", "valid_from": "2024-01-01", "document": "长政办发〔2024〕12号", "clause": "三（二）"}


@pytest.fixture
def admin_a(auth):
    return auth(role="admin", region="430000", subject="admin-a")


@pytest.fixture
def admin_b(auth):
    return auth(role="admin", region="430000", subject="admin-b")


async def propose(client, headers, path=BASE, **changes):
    response = await client.put(path, json=PROPOSAL | changes, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def approve(client, headers, proposal, path=BASE):
    response = await client.post(f"{path}/approve", json={"proposal_id": proposal["id"], "note": "已核对"},
                                 headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def in_force(client, headers, on, region="430100"):
    response = await client.get(f"/v1/regions/{region}/parameters", params={"on": on}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_propose_then_another_admin_approves(client, admin_a, admin_b):
    response = await client.put(BASE, json=PROPOSAL, headers=admin_a)
    assert response.status_code == 201, response.text
    proposal = response.json()
    assert response.headers["Location"] == f"{BASE}/history/{proposal['id']}"
    assert proposal["status"] == "proposed" and proposal["value"] == "3000.00" and proposal["unit"] == "yuan"
    assert proposal["proposed_by"] == "admin-a" and proposal["decided_by"] is None
    assert proposal["region_name"] == "湖南省长沙市" and proposal["description"]
    assert (await client.get(response.headers["Location"], headers=admin_b)).json() == proposal

    # Pending: listed as waiting, not in force.
    listed = await in_force(client, admin_b, "2024-06-01")
    assert listed["in_force"] == [] and [p["id"] for p in listed["pending"]] == [proposal["id"]]

    approval = await approve(client, admin_b, proposal)
    assert approval["overlay"]["status"] == "approved" and approval["overlay"]["decided_by"] == "admin-b"
    assert approval["overlay"]["decision_note"] == "已核对" and approval["closed"] == approval["superseded"] == []

    listed = await in_force(client, admin_b, "2024-06-01")
    assert [o["id"] for o in listed["in_force"]] == [proposal["id"]] and listed["pending"] == []
    assert (await in_force(client, admin_b, "2023-12-31"))["in_force"] == []


async def test_the_proposer_never_approves_nor_rejects(client, admin_a):
    proposal = await propose(client, admin_a)
    for action, body in (("approve", {"proposal_id": proposal["id"]}),
                         ("reject", {"proposal_id": proposal["id"], "note": "不对"})):
        response = await client.post(f"{BASE}/{action}", json=body, headers=admin_a)
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "maker-checker"
    assert (await in_force(client, admin_a, "2024-06-01"))["in_force"] == []


async def test_clerks_and_approvers_cannot_propose(client, auth):
    for role in ("clerk", "approver"):
        response = await client.put(BASE, json=PROPOSAL, headers=auth(role=role, region="430000"))
        assert response.status_code == 403, response.text


async def test_an_admin_of_another_province_cannot_propose_or_decide(client, auth, admin_a):
    shandong = auth(role="admin", region="370000", subject="admin-sd")
    response = await client.put(BASE, json=PROPOSAL, headers=shandong)
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("region-outside-scope", "path.region")
    proposal = await propose(client, admin_a)
    response = await client.post(f"{BASE}/approve", json={"proposal_id": proposal["id"]}, headers=shandong)
    assert (response.status_code, response.json()["code"]) == (422, "region-outside-scope")
    # A county's admin cannot set its city's value either.
    county = auth(role="admin", region="430102", subject="admin-county")
    assert (await client.put(BASE, json=PROPOSAL, headers=county)).status_code == 422


@pytest.mark.parametrize("parameter", ["hunan.no_such_amount", "zhoucun.one_time_condolence"])
async def test_a_parameter_outside_the_regions_rule_files_is_refused(client, admin_a, parameter):
    response = await client.put(f"/v1/regions/430100/parameters/{parameter}", json=PROPOSAL, headers=admin_a)
    assert response.status_code == 422, response.text
    assert (response.json()["code"], response.json()["field"]) == ("parameter-unknown", "path.parameter")


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"value": 3000.5}, "body.value", "money-not-a-string"),
        ({"value": "0"}, "body.value", "value-not-positive"),
        ({"value": "-5"}, "body.value", "value-not-positive"),
        ({"value": "1.234"}, "body.value", "money-decimal-places"),
        ({"valid_from": "1949-12-31"}, "body.valid_from", "date-before-1950"),
        ({"valid_to": "2023-12-31"}, "body.valid_to", "valid-to-before-valid-from"),
        ({"document": "  "}, "body.document", "document-required"),
    ],
)
async def test_proposals_are_validated(client, admin_a, changes, field, code):
    response = await client.put(BASE, json=PROPOSAL | changes, headers=admin_a)
    assert response.status_code == 422, response.text
    assert (response.json()["field"], response.json()["code"]) == (field, code)


async def test_unknown_region_codes_are_refused(client, auth):
    national = auth(role="admin", region="000000", subject="admin-cn")
    response = await client.put(f"/v1/regions/439999/parameters/{CONDOLENCE}", json=PROPOSAL, headers=national)
    assert (response.status_code, response.json()["field"]) == (422, "path.region")
    assert response.json()["code"] == "region-code-unknown"


async def test_a_new_proposal_supersedes_one_still_waiting(client, admin_a, admin_b):
    first = await propose(client, admin_a)
    second = await propose(client, admin_b, value="3500.00")
    history = (await client.get(f"{BASE}/history", headers=admin_a)).json()["items"]
    assert [(r["id"], r["status"]) for r in history] == [(second["id"], "proposed"), (first["id"], "superseded")]
    assert history[1]["replaced_by"] == second["id"] and history[1]["replaced_at"]
    response = await client.post(f"{BASE}/approve", json={"proposal_id": first["id"]}, headers=admin_b)
    assert (response.status_code, response.json()["code"]) == (409, "proposal-not-pending")
    listed = await in_force(client, admin_a, "2024-06-01")
    assert [p["id"] for p in listed["pending"]] == [second["id"]]


async def test_approving_closes_an_earlier_value_and_supersedes_later_ones(client, admin_a, admin_b):
    early = await approve(client, admin_b, await propose(client, admin_a, value="2000", valid_from="2020-01-01"))
    later = await approve(client, admin_b, await propose(client, admin_a, value="3000", valid_from="2024-01-01"))
    assert [(c["id"], c["valid_to"], c["proposed_valid_to"], c["replaced_by"]) for c in later["closed"]] == [
        (early["overlay"]["id"], "2023-12-31", None, later["overlay"]["id"])]
    on_2023 = (await in_force(client, admin_a, "2023-06-01"))["in_force"]
    on_2024 = (await in_force(client, admin_a, "2024-06-01"))["in_force"]
    assert [(o["value"], o["status"]) for o in on_2023] == [("2000.00", "approved")]
    assert [o["value"] for o in on_2024] == ["3000.00"]

    # From 2022 on, everything approved before that starts on or after it is replaced.
    correction = await approve(client, admin_a, await propose(client, admin_b, value="2500", valid_from="2022-01-01",
                                                              valid_to="2030-12-31"))
    assert [c["id"] for c in correction["closed"]] == [early["overlay"]["id"]]
    assert [s["id"] for s in correction["superseded"]] == [later["overlay"]["id"]]
    history = {r["id"]: r for r in (await client.get(f"{BASE}/history", headers=admin_a)).json()["items"]}
    assert history[early["overlay"]["id"]]["valid_to"] == "2021-12-31"
    assert history[later["overlay"]["id"]]["status"] == "superseded"
    assert history[later["overlay"]["id"]]["decided_by"] == "admin-b"  # who approved it stays on the row
    assert [o["value"] for o in (await in_force(client, admin_a, "2024-06-01"))["in_force"]] == ["2500.00"]
    assert [o["value"] for o in (await in_force(client, admin_a, "2021-06-01"))["in_force"]] == ["2000.00"]
    assert (await in_force(client, admin_a, "2031-01-01"))["in_force"] == []


async def test_history_lists_every_row_newest_first_in_pages(client, auth, admin_a, admin_b):
    first = await propose(client, admin_a, valid_from="2020-01-01")
    await approve(client, admin_b, first)
    second = await propose(client, admin_a, valid_from="2022-01-01")
    rejected = await client.post(f"{BASE}/reject", json={"proposal_id": second["id"], "note": "文号有误"}, headers=admin_b)
    assert rejected.json()["status"] == "rejected" and rejected.json()["decision_note"] == "文号有误"
    third = await propose(client, admin_a, valid_from="2023-01-01")
    withdrawn = await client.post(f"{BASE}/withdraw", json={"proposal_id": third["id"]}, headers=admin_a)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"

    clerk = auth(role="clerk", region="430100")  # rules:read is enough to read it
    page = (await client.get(f"{BASE}/history", params={"limit": 2}, headers=clerk)).json()
    assert [r["id"] for r in page["items"]] == [third["id"], second["id"]] and page["next_cursor"]
    rest = (await client.get(f"{BASE}/history", params={"limit": 2, "cursor": page["next_cursor"]},
                             headers=clerk)).json()
    assert [r["id"] for r in rest["items"]] == [first["id"]] and rest["next_cursor"] is None
    assert [r["status"] for r in page["items"] + rest["items"]] == ["withdrawn", "rejected", "approved"]


async def test_reject_needs_a_reason_and_only_the_proposer_withdraws(client, admin_a, admin_b):
    proposal = await propose(client, admin_a)
    response = await client.post(f"{BASE}/reject", json={"proposal_id": proposal["id"]}, headers=admin_b)
    assert (response.status_code, response.json()["field"]) == (422, "body.note")
    response = await client.post(f"{BASE}/withdraw", json={"proposal_id": proposal["id"]}, headers=admin_b)
    assert (response.status_code, response.json()["code"]) == (403, "not-proposer")
    response = await client.post(f"{BASE}/approve", json={"proposal_id": 999}, headers=admin_b)
    assert (response.status_code, response.json()["code"]) == (404, "proposal-not-found")
    # The id of another parameter's row is not found under this one.
    other = await propose(client, admin_a, path="/v1/regions/430100/parameters/hunan.elderly_care_subsidy")
    response = await client.post(f"{BASE}/approve", json={"proposal_id": other["id"]}, headers=admin_b)
    assert response.status_code == 404


async def test_a_region_sees_its_own_and_the_values_above_it_deepest_first(client, auth, admin_a, admin_b):
    province = "/v1/regions/430000/parameters/" + CONDOLENCE
    await approve(client, admin_b, await propose(client, admin_a, path=province, value="1000"), path=province)
    await approve(client, admin_b, await propose(client, admin_a, value="3000"))
    clerk = auth(role="clerk", region="430102")
    listed = await in_force(client, clerk, "2024-06-01", region="430102")
    assert [(o["region_code"], o["value"]) for o in listed["in_force"]] == [("430100", "3000.00"), ("430000", "1000.00")]
    # A caller sees only regions within its own.
    response = await client.get("/v1/regions/430100/parameters", headers=clerk)
    assert (response.status_code, response.json()["code"]) == (422, "region-outside-scope")
    response = await client.get("/v1/regions/430100/parameters", params={"on": "1949-01-01"}, headers=admin_a)
    assert (response.status_code, response.json()["field"]) == (422, "query.on")


@pytest.mark.parametrize("parameter", ["zhoucun.pension_supplement.death", "shanghai.hourly_minimum_wage"])
async def test_only_amounts_in_yuan_can_be_set(client, auth, parameter):
    region = parameter.startswith("zhoucun") and "370306" or "310000"
    admin = auth(role="admin", region=region, subject="admin-x")
    response = await client.put(f"/v1/regions/{region}/parameters/{parameter}", json=PROPOSAL, headers=admin)
    assert response.status_code == 422, response.text
    assert (response.json()["code"], response.json()["field"]) == ("parameter-unit-unsupported", "path.parameter")


async def test_the_store_changes_its_stamp_with_every_approval(client, settings, admin_a, admin_b):
    database = Database(settings.database_url)
    try:
        async with database.sessionmaker() as session:
            assert await overlay_stamp(session) == "0"
            assert await approved_overlays(session) == ("0", [])
        proposal = await propose(client, admin_a)
        async with database.sessionmaker() as session:
            assert await overlay_stamp(session) == "0"  # a proposal changes nothing in force
        await approve(client, admin_b, proposal)
        async with database.sessionmaker() as session:
            stamp, values = await approved_overlays(session)
        assert stamp != "0" and [(v.id, v.region, v.parameter, v.value, v.approved_by) for v in values] == [
            (proposal["id"], "430100", CONDOLENCE, Decimal("3000.00"), "admin-b")]
        assert str(values[0].valid_from) == "2024-01-01" and values[0].valid_to is None
        assert values[0].document == "长政办发〔2024〕12号" and values[0].approved_at.tzinfo is not None
        await approve(client, admin_a, await propose(client, admin_b, valid_from="2025-01-01", value="3200"))
        async with database.sessionmaker() as session:
            newer, values = await approved_overlays(session)
            assert await overlay_stamp(session) == newer
        assert newer != stamp and [(str(v.valid_from), str(v.valid_to)) for v in values] == [
            ("2024-01-01", "2024-12-31"), ("2025-01-01", "None")]
    finally:
        await database.dispose()


async def test_every_route_is_described_in_the_openapi_document(client):
    document = (await client.get("/openapi.json")).json()
    paths = {p: ops for p, ops in document["paths"].items() if p.startswith("/v1/regions/")}
    assert len(paths) == 7
    for operations in paths.values():
        for operation in operations.values():
            assert operation["summary"] and operation["description"]
            assert "403" in operation["responses"] and "422" in operation["responses"]


async def test_two_approvals_at_once_apply_once(client, admin_a, admin_b, auth):
    proposal = await propose(client, admin_a)
    admin_c = auth(role="admin", region="430100", subject="admin-c")
    body = {"proposal_id": proposal["id"]}
    answers = await asyncio.gather(*(client.post(f"{BASE}/approve", json=body, headers=h) for h in (admin_b, admin_c)))
    assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
    history = (await client.get(f"{BASE}/history", headers=admin_a)).json()["items"]
    assert [r["status"] for r in history] == ["approved"]


# --- Overlays reach evaluations and entitlements --------------------------------------------------

CHANGSHA_FAMILY = {
    "region_code": "430102", "hukou_type": "urban", "honor_certificate": True,
    "parents": [{"id": 1, "role": "mother", "birth_date": "1965-03-02"},
                {"id": 2, "role": "father", "birth_date": "1963-07-09"}],
    "child": {"id": 3, "birth_date": "1990-05-01", "status": "deceased", "event_date": "2024-03-05"},
}


async def evaluated(client, headers, as_of="2024-03-31"):
    response = await client.post("/v1/evaluate", json={"as_of": as_of, "family": CHANGSHA_FAMILY}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def condolence_of(result):
    return next((b for b in result["benefits"] if b["code"] == "one_time_condolence"), None)


async def test_an_approved_amount_makes_the_optional_condolence_due_in_changsha(client, admin_a, admin_b, auth):
    # 湘政办发〔2023〕36号 二（一）1 "有条件的地区可向独生子女死亡家庭发放一次性抚慰金…发放标准…由各地根据实际情况
    # 自行确定": Changsha sets 3000; until a second admin approves, it is not in force.
    clerk = auth(role="clerk", region="430102")
    before = await evaluated(client, clerk)
    assert condolence_of(before) is None
    proposal = await propose(client, admin_a)
    pending = await evaluated(client, clerk)
    assert condolence_of(pending) is None and pending["catalogue_version"] == before["catalogue_version"]
    await approve(client, admin_b, proposal)

    after = await evaluated(client, clerk)
    condolence = condolence_of(after)
    assert condolence["amount"] == "3000.00" and condolence["amount_status"] == "local"
    assert condolence["amount_source"]["document"] == "长政办发〔2024〕12号"
    assert condolence["amount_source"]["clause"] == "三（二）" and condolence["amount_source"]["region_code"] == "430100"
    assert condolence["citation"]["document"] == "湘政办发〔2023〕36号"
    assert after["catalogue_version"] != before["catalogue_version"]
    # The value is in force from its first day only, and only within Changsha.
    assert condolence_of(await evaluated(client, clerk, as_of="2023-12-31")) is None
    other = {**CHANGSHA_FAMILY, "region_code": "430202"}
    response = await client.post("/v1/evaluate", json={"as_of": "2024-03-31", "family": other},
                                 headers=auth(role="clerk", region="430000"))
    assert condolence_of(response.json()) is None

    # What is in force and why, as the region's parameters answer it.
    listed = await in_force(client, admin_b, "2024-06-01")
    resolved = {p["parameter"]: p for p in listed["parameters"]}
    assert resolved[CONDOLENCE]["value"] == "3000.00" and resolved[CONDOLENCE]["amount_status"] == "local"
    assert resolved[CONDOLENCE]["overlay"] is True
    assert resolved["special_assistance.death.urban"]["amount_status"] == "national_minimum"
