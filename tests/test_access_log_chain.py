"""The access logs' hash chains across real processes: the reads of registry, payments and
medical-priority are sealed in the background, ``GET /v1/access-log/verify`` finds each chain
whole, and names the row an UPDATE or a DELETE in the database changed; rows written after a
check are sealed later and keep the chain whole.

Each service's rows are put back as they were at the end, so the suite's chains stay whole for
whatever runs next."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tefu_common.db import Database
from tefu_common.testing import bearer, mint_token
from tefu_medical_priority.cards.numbers import new_card_number

from .families import bereaved_family, id_number, register

pytestmark = pytest.mark.processes

REGION = "420115"  # 江夏区: no other test registers families here
HOSPITAL = "H420115001"


def sql(url: str, statement: str, **params: Any) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        database = Database(url)
        try:
            async with database.engine.begin() as connection:
                result = await connection.execute(text(statement), params)
                return [dict(row) for row in result.mappings()] if result.returns_rows else []
        finally:
            await database.dispose()

    return asyncio.run(run())


def sealed(url: str, auditor: dict[str, str]) -> dict[str, Any]:
    """The check, once the sealer (every second) has sealed what was written: a bounded wait, no timing."""
    for _ in range(300):
        answer = httpx.get(f"{url}/v1/access-log/verify", headers=auditor)
        assert answer.status_code == 200, answer.text
        if answer.json()["unsealed"] == 0:
            return answer.json()
        time.sleep(0.1)
    raise AssertionError(f"{url}: rows still unsealed: {answer.json()}")


def tampered(url: str, database_url: str, table: str, auditor: dict[str, str], read: Any) -> None:
    """Read (``read()``), see the chain whole, read again after the check, then edit and delete one
    row in the database and see the check name it; put the row back."""
    read()
    first = sealed(url, auditor)
    assert first["whole"] is True and first["first_broken"] is None, first
    assert first["algorithm"] in ("sha256", "sm3")
    read()  # written after a check, sealed later: the chain goes on whole
    later = sealed(url, auditor)
    assert later["whole"] is True and later["sealed_through"] > first["sealed_through"], later
    assert later["rows_checked"] == later["sealed_through"]

    row = sql(database_url, f"SELECT * FROM {table} WHERE chain_seq = :seq", seq=first["sealed_through"])[0]
    sql(database_url, f"UPDATE {table} SET endpoint = 'GET /v1/forged' WHERE id = :id", id=row["id"])
    broken = sealed(url, auditor)
    assert broken["whole"] is False
    assert {key: broken["first_broken"][key] for key in ("seq", "id", "reason_code")} == {
        "seq": row["chain_seq"], "id": row["id"], "reason_code": "row-altered"}
    assert broken["first_broken"]["reason"] == "内容被改动"
    sql(database_url, f"UPDATE {table} SET endpoint = :endpoint WHERE id = :id", id=row["id"], endpoint=row["endpoint"])
    assert sealed(url, auditor)["whole"] is True  # the same bytes again: the same link

    sql(database_url, f"DELETE FROM {table} WHERE id = :id", id=row["id"])
    missing = sealed(url, auditor)["first_broken"]
    assert (missing["seq"], missing["id"], missing["reason_code"], missing["reason"]) == (
        row["chain_seq"], None, "row-missing", "缺少记录")
    columns = ", ".join(row)
    sql(database_url, f"INSERT INTO {table} ({columns}) VALUES ({', '.join(f':{c}' for c in row)})", **row)
    assert sealed(url, auditor)["whole"] is True


def test_each_access_log_is_a_chain_that_names_a_row_edited_or_deleted(suite):
    def headers(**claims) -> dict[str, str]:
        return bearer(mint_token(suite.signing_key, **claims))

    clerk = headers(role="clerk", region=REGION, subject="clerk-jx")
    # Any auditor gets the answer of the whole log: a county's auditor here, the nation's below.
    auditor = headers(role="auditor", region=REGION, subject="auditor-jx")
    national = headers(role="auditor", region="000000", subject="auditor-cn")
    assert httpx.get(f"{suite.url('registry')}/v1/access-log/verify", headers=clerk).status_code == 403

    # The registry: a family's record read by a clerk.
    registry = suite.url("registry")
    family = register(registry, clerk["Authorization"].split()[1],
                      bereaved_family(REGION, "秦桂兰", "戴志强", bank="中国工商银行江夏支行", account="6222020000000000115"))
    tampered(registry, suite.database_urls["registry"], "access_log", auditor,
             lambda: httpx.get(f"{registry}/v1/families/{family['id']}", headers=clerk).raise_for_status())

    # A page of the register shows two families: one entry, its families in access_log_family, each
    # with its region, all in the entry's link.
    second = bereaved_family(REGION, "沈玉梅", "邱建国", bank="中国工商银行江夏支行", account="6222020000000000123")
    second["mother"]["id_number"] = id_number(REGION, "1962-05-11", 8)
    second["father"]["id_number"] = id_number(REGION, "1960-03-07", 7)
    register(registry, clerk["Authorization"].split()[1], second)
    listed = httpx.get(f"{registry}/v1/families", headers=clerk, params={"limit": 2})
    assert listed.status_code == 200 and len(listed.json()["items"]) == 2, listed.text
    url = suite.database_urls["registry"]
    [entry] = sql(url, "SELECT e.id, e.family_id, e.region_code FROM access_log e WHERE e.endpoint = 'GET /v1/families' "
                  "AND e.subject = 'clerk-jx' ORDER BY e.id DESC LIMIT 1")
    families = sql(url, "SELECT family_id, region_code FROM access_log_family WHERE entry_id = :id ORDER BY family_id",
                   id=entry["id"])
    assert (entry["family_id"], entry["region_code"], len(families)) == (None, REGION, 2)
    assert sealed(registry, auditor)["whole"] is True
    first = families[0]
    sql(url, "UPDATE access_log_family SET region_code = '420116' WHERE entry_id = :id AND family_id = :f",
        id=entry["id"], f=first["family_id"])
    broken = sealed(registry, auditor)["first_broken"]
    assert (broken["id"], broken["reason_code"]) == (entry["id"], "row-altered")  # a family's region, changed
    sql(url, "UPDATE access_log_family SET region_code = :r WHERE entry_id = :id AND family_id = :f",
        id=entry["id"], f=first["family_id"], r=first["region_code"])
    assert sealed(registry, auditor)["whole"] is True
    sql(url, "DELETE FROM access_log_family WHERE entry_id = :id", id=entry["id"])
    broken = sealed(registry, auditor)["first_broken"]
    assert (broken["id"], broken["reason_code"]) == (entry["id"], "row-altered")  # every family it showed, removed
    for family_row in families:
        sql(url, "INSERT INTO access_log_family (entry_id, family_id, region_code) VALUES (:id, :f, :r)",
            id=entry["id"], f=family_row["family_id"], r=family_row["region_code"])
    assert sealed(registry, auditor)["whole"] is True

    # Payments: a page of a batch's lines, whose entry names the people shown (access_log_member).
    payments = suite.url("payments")
    admin = headers(role="admin", region="420000")
    assert httpx.post(f"{payments}/v1/agencies", headers=admin,
                      json={"id": "ICBC-JX", "name": "中国工商银行江夏支行", "region_code": REGION}).status_code == 201
    built = httpx.post(f"{payments}/v1/batches", headers=clerk, timeout=60, json={
        "region_code": REGION, "benefits": ["special_assistance"], "period": "2020-06", "agency_id": "ICBC-JX"})
    assert built.status_code == 201, built.text
    lines = f"{payments}/v1/batches/{built.json()['id']}/lines"
    tampered(payments, suite.database_urls["payments"], "access_log", national,
             lambda: httpx.get(lines, headers=clerk).raise_for_status())
    entry = sql(suite.database_urls["payments"], "SELECT e.id FROM access_log e JOIN access_log_member m "
                "ON m.entry_id = e.id WHERE e.action = 'batch_lines' ORDER BY e.id DESC LIMIT 1")[0]["id"]
    member = sql(suite.database_urls["payments"], "SELECT member_id FROM access_log_member WHERE entry_id = :id",
                 id=entry)[0]["member_id"]
    sql(suite.database_urls["payments"], "DELETE FROM access_log_member WHERE entry_id = :id AND member_id = :m",
        id=entry, m=member)
    broken = sealed(payments, national)["first_broken"]
    assert (broken["id"], broken["reason_code"]) == (entry, "row-altered")  # a person the read named, removed
    sql(suite.database_urls["payments"], "INSERT INTO access_log_member (entry_id, member_id) VALUES (:id, :m)",
        id=entry, m=member)
    assert sealed(payments, national)["whole"] is True

    # Medical priority: a hospital desk's lookup of a number that matches no card.
    cards = suite.url("medical-priority")
    assert httpx.put(f"{cards}/v1/hospitals/{HOSPITAL}", headers=admin, json={
        "name": "江夏区第一人民医院", "region_code": REGION, "level": "二级甲等", "designated": True,
        "fee_waivers": ["outpatient_registration"]}).status_code == 201
    desk = headers(role="hospital", region=REGION, hospital=HOSPITAL, subject="his-jx")
    unknown = new_card_number(REGION)
    tampered(cards, suite.database_urls["medical-priority"], "lookup_log", auditor,
             lambda: httpx.get(f"{cards}/v1/cards/{unknown}", headers=desk).status_code == 404 or pytest.fail("lookup"))
