"""Inspectors' figures: cards issued, revoked and active per county; visits per hospital; downloads."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

from openpyxl import load_workbook

from tefu_common.db import Database
from tefu_medical_priority.sync.models import MemberStanding


CHINA = timezone(timedelta(hours=8))


async def test_cards_per_county_with_coverage(client, issue_card, auth, database_url):
    month = datetime.now(CHINA).strftime("%Y-%m")
    kept = await issue_card("420984", member_id=910001)
    revoked = await issue_card("420984", member_id=910002)
    await issue_card("420982", member_id=910003)
    clerk = auth(role="clerk", region="420900")
    await client.post(f"/v1/cards/{revoked}/revoke", json={"reason": "clerk_decision", "note": "核查"}, headers=clerk)
    database = Database(database_url)
    try:
        async with database.sessionmaker() as session, session.begin():
            for member, region in ((910001, "420984"), (910002, "420984"), (910004, "420984"), (910003, "420982")):
                session.add(MemberStanding(member_id=member, family_id=member, region_code=region, qualifies=True,
                                           since=date.today(), checked_at=datetime.now(timezone.utc)))
    finally:
        await database.dispose()
    auditor = auth(role="auditor", region="420900")
    report = await client.get("/v1/reports/cards", params={"region": "420900", "month": month}, headers=auditor)
    assert report.status_code == 200, report.text
    rows = {r["region_code"]: r for r in report.json()["regions"]}
    assert set(rows) == {"420982", "420984"}
    assert (rows["420984"]["issued"], rows["420984"]["revoked"], rows["420984"]["active_at_end"]) == (2, 1, 1)
    assert (rows["420984"]["qualifying"], rows["420984"]["with_active_card"]) == (3, 1)
    assert rows["420984"]["coverage_percent"] == "33.3"
    assert rows["420982"]["coverage_percent"] == "100.0"
    assert kept

    xlsx = await client.get("/v1/reports/cards", params={"region": "420900", "month": month, "format": "xlsx"},
                            headers=auditor)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[1]][:3] == ["地区代码", "地区", "本月发卡"]
    earlier = (await client.get("/v1/reports/cards", params={"region": "420900", "month": "2020-01"},
                                headers=auditor)).json()
    assert all(r["issued"] == 0 and r["active_at_end"] == 0 for r in earlier["regions"])


async def test_visits_per_hospital_and_holders_served(client, issue_card, hospital, desk, auth):
    await hospital("H420528001", region="420528", fee_waivers=["outpatient_registration"])
    card_no = await issue_card("420528", privileges=["fee_waiver"])
    other = await issue_card("420528")
    now = datetime.now(CHINA).replace(microsecond=0)
    for number, waived in ((card_no, [{"fee": "outpatient_registration", "amount": "4.50"}]), (card_no, []), (other, [])):
        response = await client.post("/v1/visits", headers=desk("H420528001", "420528"), json={
            "card_no": number, "department": "门诊", "services": ["registration"], "waivers": waived,
            "visited_at": now.isoformat()})
        assert response.status_code == 201, response.text
    auditor = auth(role="auditor", region="420500")
    body = (await client.get("/v1/reports/visits", params={"region": "420500", "month": now.strftime("%Y-%m")},
                             headers=auditor)).json()
    assert body["hospitals"] == [{"hospital_code": "H420528001", "hospital_name": "测试医院H420528001",
                                  "region_code": "420528", "designated": True, "visits": 3, "holders_served": 2,
                                  "waived_total": "4.50"}]
    assert body["holders_served"] == 2
    csv = await client.get("/v1/reports/visits", params={"region": "420500", "month": now.strftime("%Y-%m"),
                                                         "format": "csv"}, headers=auditor)
    assert csv.content.decode("utf-8-sig").startswith("医院编码,医院名称")


async def test_a_bad_report_request_names_the_field_and_regions_are_kept_apart(client, auth):
    auditor = auth(role="auditor", region="420500")
    bad = await client.get("/v1/reports/cards", params={"region": "420500", "month": "2026-13"}, headers=auditor)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.month" and bad.json()["code"] == "month-format"
    outside = await client.get("/v1/reports/cards", params={"region": "370306", "month": "2026-11"}, headers=auditor)
    assert outside.status_code == 422
    assert outside.json()["code"] == "region-outside-scope" and outside.json()["field"] == "query.region"
