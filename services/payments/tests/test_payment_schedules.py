"""Payment schedules: a region pays monthly, quarterly or yearly as set locally, inherits the nearest
schedule above it, and a batch's period must be one of its frequency."""

from __future__ import annotations

import pytest

ZHOUCUN, ZIBO, ZICHUAN = "370306", "370300", "370302"  # two districts of 淄博市
LIXIA, JINAN = "370102", "370100"  # 历下区 of 济南市


@pytest.fixture
def admin(auth):
    return auth(role="admin", region="370000", subject="admin-sd")


async def test_a_region_follows_the_nearest_schedule_above_it(client, auth, admin):
    clerk = auth(role="clerk", region=ZHOUCUN)
    default = (await client.get(f"/v1/payment-schedules/{ZHOUCUN}", headers=clerk)).json()
    assert (default["frequency"], default["defined_at"], default["benefit_frequencies"]) == ("monthly", None, {})

    city = await client.put(f"/v1/payment-schedules/{ZIBO}", headers=admin,
                            json={"frequency": "quarterly", "basis": "淄政办发〔2019〕3号"})
    assert city.status_code == 200, city.text
    assert city.json()["updated_by"] == "admin-sd"
    for district in (ZHOUCUN, ZICHUAN):
        inherited = (await client.get(f"/v1/payment-schedules/{district}", headers=admin)).json()
        assert (inherited["frequency"], inherited["defined_at"], inherited["basis"]) == ("quarterly", ZIBO, "淄政办发〔2019〕3号")

    own = await client.put(f"/v1/payment-schedules/{ZHOUCUN}", headers=admin, json={
        "frequency": "yearly", "benefit_frequencies": {"one_time_condolence": "monthly", "special_assistance": "yearly"}})
    # Only what differs from the region's own frequency is kept.
    assert own.json()["benefit_frequencies"] == {"one_time_condolence": "monthly"}
    assert (await client.get(f"/v1/payment-schedules/{ZHOUCUN}", headers=clerk)).json()["defined_at"] == ZHOUCUN
    assert (await client.get(f"/v1/payment-schedules/{ZICHUAN}", headers=admin)).json()["frequency"] == "quarterly"
    # A township follows its county.
    assert (await client.get(f"/v1/payment-schedules/{ZHOUCUN}101", headers=clerk)).json()["defined_at"] == ZHOUCUN

    assert (await client.delete(f"/v1/payment-schedules/{ZHOUCUN}", headers=admin)).status_code == 204
    assert (await client.get(f"/v1/payment-schedules/{ZHOUCUN}", headers=clerk)).json()["defined_at"] == ZIBO
    gone = await client.delete(f"/v1/payment-schedules/{ZHOUCUN}", headers=admin)
    assert gone.status_code == 404
    assert gone.json()["code"] == "schedule-not-found"
    listed = (await client.get("/v1/payment-schedules", headers=clerk)).json()
    assert ([s["region_code"] for s in listed["items"]], listed["next_cursor"]) == ([ZIBO], None)


@pytest.mark.parametrize("role", ["clerk", "approver", "auditor"])
async def test_only_admins_set_schedules(client, auth, role):
    refused = await client.put(f"/v1/payment-schedules/{ZHOUCUN}", json={"frequency": "quarterly"},
                               headers=auth(role=role, region=ZHOUCUN))
    assert refused.status_code == 403


async def test_admins_set_schedules_of_their_region_and_others_only_read(client, auth):
    body = {"frequency": "quarterly"}
    other_admin = auth(role="admin", region="420000")
    outside = await client.put(f"/v1/payment-schedules/{ZHOUCUN}", json=body, headers=other_admin)
    assert outside.status_code == 422
    assert (outside.json()["code"], outside.json()["field"]) == ("region-outside-scope", "path.region_code")
    assert (await client.put("/v1/payment-schedules/420100", json=body, headers=other_admin)).status_code == 200
    # A clerk reads the schedules of the region and above it, never another province's.
    clerk = auth(role="clerk", region=ZHOUCUN)
    assert (await client.get("/v1/payment-schedules/370000", headers=clerk)).status_code == 200
    assert (await client.get("/v1/payment-schedules/420100", headers=clerk)).status_code == 404
    listed = (await client.get("/v1/payment-schedules", headers=clerk)).json()["items"]
    assert "420100" not in [s["region_code"] for s in listed]
    wuhan_clerk = auth(role="clerk", region="420111")
    wuhan = (await client.get("/v1/payment-schedules", headers=wuhan_clerk)).json()["items"]
    assert [s["region_code"] for s in wuhan] == ["420100"]


@pytest.mark.parametrize(("region", "body", "field"), [
    ("999999", {"frequency": "monthly"}, "path.region_code"),
    (ZHOUCUN, {"frequency": "weekly"}, "body.frequency"),
    (ZHOUCUN, {"frequency": "monthly", "benefit_frequencies": {"special_assistance": "daily"}},
     "body.benefit_frequencies.special_assistance"),
    (ZHOUCUN, {"frequency": "monthly", "benefit_frequencies": {"Not A Code": "yearly"}}, "body.benefit_frequencies"),
])
async def test_a_bad_schedule_is_refused_naming_the_field(client, admin, region, body, field):
    response = await client.put(f"/v1/payment-schedules/{region}", json=body, headers=admin)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"].startswith(field)


async def test_a_batch_asks_for_a_period_of_the_regions_frequency(cut_off, auth):
    admin = auth(role="admin", region="000000")
    clerk = {**auth(role="clerk", region=LIXIA), "Accept-Language": "en"}
    assert (await cut_off.post("/v1/agencies", headers=admin,
                               json={"id": "ABC-S", "name": "测试银行", "region_code": "370000"})).status_code == 201
    body = {"region_code": LIXIA, "benefits": ["special_assistance"], "period": "2020-Q2", "agency_id": "ABC-S"}

    def refused(response, field: str) -> str:
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in response.json()["errors"]] == [f"body.{field}"]
        return response.json()["errors"][0]["detail"]

    monthly = refused(await cut_off.post("/v1/batches", json=body, headers=clerk), "period")
    assert monthly == "370102 pays monthly (no schedule is set: the default): ask for 2020-04, not 2020-Q2"

    await cut_off.put(f"/v1/payment-schedules/{JINAN}", headers=admin, json={"frequency": "quarterly"})
    quarterly = refused(await cut_off.post("/v1/batches", json={**body, "period": "2020-06"}, headers=clerk), "period")
    assert quarterly == "370102 pays quarterly (the schedule of 370100): ask for 2020-Q2, not 2020-06"
    # The right period passes the schedule and goes on to the entitlements (out of reach here: 503).
    assert (await cut_off.post("/v1/batches", json=body, headers=clerk)).status_code == 503

    await cut_off.put(f"/v1/payment-schedules/{LIXIA}", headers=admin,
                      json={"frequency": "yearly", "benefit_frequencies": {"one_time_condolence": "monthly"}})
    yearly = refused(await cut_off.post("/v1/batches", json=body, headers=clerk), "period")
    assert yearly == "370102 pays yearly: ask for 2020, not 2020-Q2"
    condolence = refused(await cut_off.post("/v1/batches", json={**body, "benefits": ["one_time_condolence"]},
                                            headers=clerk), "period")
    assert condolence == "370102 pays one_time_condolence monthly: ask for 2020-04, not 2020-Q2"
    mixed = refused(await cut_off.post("/v1/batches", headers=clerk, json={
        **body, "period": "2020", "benefits": ["special_assistance", "one_time_condolence"]}), "benefits")
    assert mixed == "370102 pays one_time_condolence monthly, special_assistance yearly: prepare one batch for each frequency"


async def test_the_period_refusal_is_in_chinese_by_default(cut_off, auth):
    admin = auth(role="admin", region="000000")
    assert (await cut_off.post("/v1/agencies", headers=admin,
                               json={"id": "ABC-S", "name": "测试银行", "region_code": "370000"})).status_code == 201
    body = {"region_code": LIXIA, "benefits": ["special_assistance"], "period": "2020-Q2", "agency_id": "ABC-S"}
    response = await cut_off.post("/v1/batches", json=body, headers=auth(role="clerk", region=LIXIA))
    assert response.status_code == 422
    assert response.json()["code"] == "period-frequency"
    assert response.json()["errors"][0]["detail"] == "370102 按月发放（未设发放周期，按默认）：应为 2020-04，而不是 2020-Q2"
