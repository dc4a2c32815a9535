"""A bank's return that says a payee died (MD07) or an account is closed (AC04) reaches the register,
across real processes: payments delivers a review task to the registry, the next batch pays that
member nothing, and settling the task in the register (the death recorded, a new account) lets
the batches go on. The bank speaks ISO 20022 throughout: pain.001 out, pain.002 back."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import httpx
import pytest

from tefu_common.calendar import today
from tefu_common.testing import bearer, mint_token

from .families import id_number, register

pytestmark = pytest.mark.processes

REGION = "420203"  # 黄石市西塞山区: no other test registers families here
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
DEBTOR = {"debtor_name": "武汉市某区卫生健康局", "debtor_account": "3202001109200054321"}


def _family(suite, clerk: str, serial: int) -> dict:
    mother = ("陈秀英", "王桂兰", "李凤霞")[serial]
    return register(suite.url("registry"), clerk, {
        "region_code": REGION, "hukou_type": "urban", "address": "某街道 8 号",
        "honor_certificate": {"number": f"GRZ-R{serial}", "issued_on": "1991-01-05"},
        "mother": {"name": mother, "id_number": id_number(REGION, "1962-04-10", serial * 2 + 2),
                   "bank_account": {"bank": "中国建设银行某支行", "account_number": f"62170010{serial:011d}",
                                    "holder": mother}},
        "child": {"name": "刘小明", "birth_date": "1988-02-01"},
        "events": [{"kind": "child_died", "occurred_on": "2019-03-10"}]})


def _approved_batch(suite, clerk: dict, period: str) -> dict:
    payments = suite.url("payments")
    body = {"region_code": REGION, "benefits": ["special_assistance"], "period": period, "agency_id": "CCB-RT"}
    created = httpx.post(f"{payments}/v1/batches", json=body, headers=clerk, timeout=120)
    assert created.status_code == 201, created.text
    batch = created.json()
    assert httpx.post(f"{payments}/v1/batches/{batch['id']}/submit", headers=clerk).status_code == 200
    approver = bearer(mint_token(suite.signing_key, role="approver", region=REGION, subject="chief-rt"))
    assert httpx.post(f"{payments}/v1/batches/{batch['id']}/approve", headers=approver).status_code == 200
    return batch


def _lines(suite, clerk: dict, batch_id: int) -> list[dict]:
    page = httpx.get(f"{suite.url('payments')}/v1/batches/{batch_id}/lines", params={"limit": 1000}, headers=clerk)
    assert page.status_code == 200, page.text
    return page.json()["items"]


def _status_report(statuses: dict[str, tuple[str, str]]) -> bytes:
    now = f"{today().isoformat()}T10:00:00+08:00"
    transactions = "".join(
        f"<TxInfAndSts><OrgnlEndToEndId>{ref}</OrgnlEndToEndId><TxSts>{status}</TxSts>"
        + (f"<StsRsnInf><Rsn><Cd>{code}</Cd></Rsn></StsRsnInf>" if code else f"<AccptncDtTm>{now}</AccptncDtTm>")
        + "</TxInfAndSts>" for ref, (status, code) in statuses.items())
    return ('<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.12">'
            f"<CstmrPmtStsRpt><GrpHdr><MsgId>CCB-RPT</MsgId><CreDtTm>{now}</CreDtTm></GrpHdr>"
            "<OrgnlGrpInfAndSts><OrgnlMsgId>TEFU</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>"
            f"</OrgnlGrpInfAndSts><OrgnlPmtInfAndSts><OrgnlPmtInfId>TEFU-1</OrgnlPmtInfId>{transactions}"
            "</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>").encode()


def _open_tasks(suite, clerk: dict, wanted: int) -> list[dict]:
    """The region's open review tasks, once ``wanted`` of them arrived (delivered in the background)."""
    deadline = time.monotonic() + 60
    while True:
        tasks = httpx.get(f"{suite.url('registry')}/v1/review-tasks", params={"status": "open"}, headers=clerk).json()
        if len(tasks["items"]) >= wanted or time.monotonic() > deadline:
            return tasks["items"]
        time.sleep(0.5)


def test_a_death_and_a_closed_account_reach_the_register_and_hold_the_payments(suite):
    clerk_token = mint_token(suite.signing_key, role="clerk", region=REGION, subject="clerk-rt")
    clerk = bearer(clerk_token)
    families = [_family(suite, clerk_token, serial) for serial in range(3)]
    mothers = [next(m["id"] for m in f["members"] if m["role"] == "mother") for f in families]
    admin = bearer(mint_token(suite.signing_key, role="admin", region="420000"))
    agency = httpx.post(f"{suite.url('payments')}/v1/agencies", headers=admin, json={
        "id": "CCB-RT", "name": "中国建设银行某支行", "region_code": "420000", "file_format": "pain.001",
        "iso20022": DEBTOR})
    assert agency.status_code == 201, agency.text

    june = _approved_batch(suite, clerk, "2020-06")
    bank = bearer(mint_token(suite.signing_key, role="agency", region="420000", agency="CCB-RT"))
    pulled = httpx.get(f"{suite.url('payments')}/v1/batches/{june['id']}/file", headers=bank)
    assert pulled.status_code == 200 and pulled.headers["content-type"].startswith("application/xml")
    in_file = {e.text for e in ET.fromstring(pulled.content).iterfind(".//p:EndToEndId", NS)}
    lines = _lines(suite, clerk, june["id"])
    assert {line["reference"] for line in lines} == in_file
    june_line = {line["member_id"]: line["reference"] for line in lines if line["month"] == "2020-06"}
    # The bank: the first mother has died, the second one's account is closed; everything else paid.
    statuses = {line["reference"]: ("ACSC", "") for line in lines}
    statuses[june_line[mothers[0]]] = ("RJCT", "MD07")
    statuses[june_line[mothers[1]]] = ("RJCT", "AC04")
    posted = httpx.post(f"{suite.url('payments')}/v1/batches/{june['id']}/returns", headers=bank,
                        files={"file": ("pain002.xml", _status_report(statuses))})
    assert posted.status_code == 200, posted.text
    assert (posted.json()["status"], posted.json()["failed"]) == ("reconciled", 2)

    tasks = _open_tasks(suite, clerk, 2)
    assert sorted((t["member_id"], t["kind"], t["reason_code"]) for t in tasks) == sorted(
        [(mothers[0], "confirm_death", "MD07"), (mothers[1], "bank_details", "AC04")])
    assert {t["source_ref"] for t in tasks} == {june_line[mothers[0]], june_line[mothers[1]]}

    # The liaisons' work list shows them too: the liaison is who can check on the family.
    work = httpx.get(f"{suite.url('registry')}/v1/liaison-duties", params={"region": REGION}, headers=clerk, timeout=60)
    assert work.status_code == 200, work.text
    reviews = {(f["family_id"], i["id"]) for f in work.json()["items"] for i in f["open"] if i["kind"] == "review_task"}
    assert reviews == {(families[0]["id"], "review.confirm_death"), (families[1]["id"], "review.bank_details")}

    # July: the two mothers under review are paid nothing (neither July nor the failed June).
    july = httpx.post(f"{suite.url('payments')}/v1/batches", headers=clerk, timeout=120, json={
        "region_code": REGION, "benefits": ["special_assistance"], "period": "2020-07", "agency_id": "CCB-RT"})
    assert july.status_code == 201, july.text
    assert {line["member_id"] for line in _lines(suite, clerk, july.json()["id"])} == {mothers[2]}
    assert july.json()["skipped"]["under_review"] == 4
    skipped = httpx.get(f"{suite.url('payments')}/v1/batches/{july.json()['id']}/skipped",
                        params={"reason": "under_review"}, headers=clerk).json()["items"]
    assert {s["member_id"] for s in skipped} == {mothers[0], mothers[1]} and "核查任务" in skipped[0]["what_to_do"]
    cancelled = httpx.post(f"{suite.url('payments')}/v1/batches/{july.json()['id']}/cancel", headers=clerk,
                           json={"note": "重新生成"})
    assert cancelled.status_code == 200, cancelled.text

    # The register settles both: the death recorded, a new account for the other.
    registry = suite.url("registry")
    died = httpx.post(f"{registry}/v1/families/{families[0]['id']}/events", headers=clerk,
                      json={"kind": "parent_died", "member": "mother", "occurred_on": "2020-06-20"})
    assert died.status_code == 201, died.text
    changed = httpx.patch(f"{registry}/v1/families/{families[1]['id']}", headers=clerk, json={"mother": {
        "bank_account": {"bank": "中国工商银行某支行", "account_number": "6222020000012345678", "holder": "王桂兰"}}})
    assert changed.status_code == 200, changed.text
    settled = {t["id"]: t["status"] for t in httpx.get(f"{registry}/v1/review-tasks", headers=clerk).json()["items"]}
    assert sorted(settled.values()) == ["confirmed", "updated"]

    again = httpx.post(f"{suite.url('payments')}/v1/batches", headers=clerk, timeout=120, json={
        "region_code": REGION, "benefits": ["special_assistance"], "period": "2020-07", "agency_id": "CCB-RT"})
    assert again.status_code == 201, again.text
    paid_again = {(line["member_id"], line["month"]) for line in _lines(suite, clerk, again.json()["id"])}
    assert {(mothers[1], "2020-06"), (mothers[1], "2020-07")} <= paid_again  # the new account: paid, June carried
    assert again.json()["skipped"]["under_review"] == 0
