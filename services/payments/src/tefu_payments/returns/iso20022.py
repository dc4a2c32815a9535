"""Return files in ISO 20022: a ``pain.002`` payment status report or a ``camt.054`` debit/credit
notification, read into the same rows as a CSV or XLSX return file, with the same all-or-nothing
checks after (returns.service).

- ``pain.002`` (``CstmrPmtStsRpt``, any version ``pain.002.001.*``): one row per ``TxInfAndSts``,
  the line named by ``OrgnlEndToEndId`` (the reference the pain.001 file gave as EndToEndId).
  ``TxSts`` ACSC or ACCC (settled, credited) is paid, on ``AccptncDtTm`` (or the settlement date,
  or the report's own date); RJCT is failed, with ``StsRsnInf/Rsn/Cd``; any other status (ACTC,
  ACCP, ACSP, PDNG …) is not final and leaves the line pending. A group status RJCT with no
  transaction statuses rejects the whole file: there is nothing to apply line by line.
- ``camt.054`` (``BkToCstmrDbtCdtNtfctn``, any version ``camt.054.001.*``): booked entries only
  (``Sts`` BOOK); a transaction of a debit entry (DBIT) is paid on the booking date; a transaction
  with return information (``RtrInf``, the money came back) is failed with its reason, and wins
  over the debit of the same line in the same notification.

Reason codes are ISO 20022's external status and return reasons (AC04 account closed, AC01 wrong
account number, MD07 end customer deceased …), written into the line's failure reason in Chinese
with the code, so the clerk sees what the bank said and the code stays machine-readable.

The XML is read as a stream (iterparse, each transaction dropped once read: memory stays flat for
a million lines) with DTDs, entities and external references refused (defusedxml): a "billion
laughs" return file is a 422, not a stalled service.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from tefu_common.calendar import CHINA
from tefu_common.i18n import Text
from tefu_payments.returns.parsing import ReturnFileError, ReturnRow, RowProblem

PAIN002, CAMT054 = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.", "urn:iso:std:iso:20022:tech:xsd:camt.054.001."
PAID_STATUSES = {"ACSC", "ACCC"}
FAILED_STATUSES = {"RJCT"}
# ISO 20022 external reason codes a bank returns for a credit transfer, in the clerk's words.
REASONS = {
    "AC01": "账号有误", "AC03": "收款账号无效", "AC04": "账户已销户", "AC06": "账户已冻结", "AC13": "账户类型不符",
    "AG01": "该账户不允许此类交易", "AG02": "业务代码无效", "AM04": "付款账户余额不足", "AM05": "重复付款",
    "AM09": "金额有误", "BE01": "户名与账号不符", "BE04": "收款人地址缺失", "BE05": "发起方无法识别",
    "CUST": "应客户要求退回", "DT01": "日期无效", "FF01": "文件格式无效", "MD07": "收款人已身故",
    "MS02": "收款人方面原因（未说明）", "MS03": "银行方面原因（未说明）", "NARR": "见附加说明", "RC01": "银行代码有误",
    "RR01": "缺少付款人账户或身份信息（监管要求）", "RR02": "缺少付款人名称或地址（监管要求）",
    "RR03": "缺少收款人名称或地址（监管要求）", "RR04": "监管原因",
}


def looks_like_xml(content: bytes, filename: str) -> bool:
    start = content[:256].lstrip(b"\xef\xbb\xbf \t\r\n")
    return filename.lower().endswith(".xml") or start.startswith((b"<?xml", b"<Document"))


def reason_text(code: str, extra: str = "") -> str:
    """``账户已销户（AC04）``: the bank's reason in words, then its code; an unknown code as it is."""
    words = REASONS.get(code, f"银行原因代码 {code}") if code else "银行未给出原因代码"
    return f"{words}（{code}）{'：' + extra if extra else ''}" if code else words + (f"：{extra}" if extra else "")


def read_rows(content: bytes) -> list[ReturnRow]:
    try:
        events = iterparse(io.BytesIO(content), events=("start", "end"), forbid_dtd=True, forbid_entities=True,
                           forbid_external=True)
        _, root = next(events)
        namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
        if namespace.startswith(PAIN002):
            return _pain002(events, namespace)
        if namespace.startswith(CAMT054):
            return _camt054(events, namespace)
    except DefusedXmlException:
        raise ReturnFileError("xml-entities", "XML 文件含有 DTD 或实体声明，出于安全原因不予读取",
                              "the XML declares a DTD or entities, which are refused") from None
    except (ParseError, StopIteration) as exc:
        raise ReturnFileError("return-file-xml", f"不是有效的 XML：{exc}", f"not well-formed XML: {exc}") from None
    raise ReturnFileError("return-file-xml-type", f"XML 回盘文件应为 ISO 20022 pain.002 或 camt.054（收到：{namespace or root.tag}）",
                          f"an XML return file is an ISO 20022 pain.002 or camt.054 (got {namespace or root.tag})")


class _Names:
    def __init__(self, namespace: str) -> None:
        self.prefix = "{" + namespace + "}"

    def path(self, path: str) -> str:
        return "/".join(self.prefix + part for part in path.split("/"))

    def text(self, element: Element, path: str) -> str:
        found = element.find(self.path(path))
        return (found.text or "").strip() if found is not None else ""


def _pain002(events: Any, namespace: str) -> list[ReturnRow]:
    names = _Names(namespace)
    rows: list[ReturnRow] = []
    reported_on: date | None = None
    group_status, group_reason = "", ""
    for event, element in events:
        if event != "end":
            continue
        tag = element.tag
        if tag == names.path("GrpHdr"):
            reported_on = _day(names.text(element, "CreDtTm"))
        elif tag == names.path("OrgnlGrpInfAndSts"):
            group_status = names.text(element, "GrpSts")
            group_reason = names.text(element, "StsRsnInf/Rsn/Cd")
        elif tag == names.path("TxInfAndSts"):
            number = len(rows) + 1
            status = names.text(element, "TxSts")
            code = names.text(element, "StsRsnInf/Rsn/Cd") or names.text(element, "StsRsnInf/Rsn/Prtry")
            paid_on = (_day(names.text(element, "AccptncDtTm")) or _day(names.text(element, "EfctvIntrBkSttlmDt/Dt"))
                       or reported_on)
            row = _row(number, names.text(element, "OrgnlEndToEndId"), status, code,
                       names.text(element, "StsRsnInf/AddtlInf"), paid_on,
                       names.text(element, "OrgnlTxRef/Amt/InstdAmt"), "TxSts")
            if row is not None:
                rows.append(row)
            element.clear()
    if group_status == "RJCT" and not rows:
        raise ReturnFileError("return-file-rejected", f"银行拒收了整个文件：{reason_text(group_reason)}；没有逐笔结果，未作处理",
                              f"the bank rejected the whole file ({group_reason or 'no reason code'}); "
                              "there are no line results to apply")
    return rows


def _camt054(events: Any, namespace: str) -> list[ReturnRow]:
    names = _Names(namespace)
    found: dict[str, ReturnRow] = {}
    number = 0
    for event, element in events:
        if event != "end" or element.tag != names.path("Ntry"):
            continue
        status = names.text(element, "Sts/Cd") or names.text(element, "Sts")
        if status == "BOOK":
            booked = _day(names.text(element, "BookgDt/Dt")) or _day(names.text(element, "BookgDt/DtTm"))
            debit = names.text(element, "CdtDbtInd") == "DBIT"
            for details in element.iterfind(names.path("NtryDtls/TxDtls")):
                number += 1
                returned = details.find(names.path("RtrInf"))
                amount = names.text(details, "Amt") or names.text(details, "AmtDtls/InstdAmt/Amt")
                reference = names.text(details, "Refs/EndToEndId")
                if returned is not None:
                    code = names.text(returned, "Rsn/Cd") or names.text(returned, "Rsn/Prtry")
                    row = _row(number, reference, "RJCT", code, names.text(returned, "AddtlInf"), booked, amount, "RtrInf")
                elif debit:
                    row = _row(number, reference, "ACSC", "", "", booked, amount, "Sts")
                else:
                    row = None  # money that came in for another reason: not about a line of ours
                if row is not None and (row.result == "failed" or reference not in found):
                    found[reference] = row  # a return wins over the debit it returns
        element.clear()
    return list(found.values())


def _row(number: int, reference: str, status: str, code: str, extra: str, paid_on: date | None, raw_amount: str,
         status_element: str) -> ReturnRow | None:
    problems: list[RowProblem] = []
    if not reference:
        problems.append(RowProblem("EndToEndId", "reference-empty", Text("缺少 EndToEndId（流水号）", "no EndToEndId")))
    if status in PAID_STATUSES:
        result = "paid"
        if paid_on is None:
            problems.append(RowProblem(status_element, "paid-on-missing",
                                       Text("已入账的明细缺少入账日期", "a settled line has no date")))
    elif status in FAILED_STATUSES:
        result = "failed"
    else:
        return None  # not final yet: the line stays pending
    amount = None
    if raw_amount:
        try:
            amount = Decimal(raw_amount)
        except InvalidOperation:
            problems.append(RowProblem("InstdAmt", "amount-format", Text(f"“{raw_amount}”不是金额", f"{raw_amount!r} is not an amount")))
    reason = reason_text(code, " ".join(extra.split())) if result == "failed" else ""
    return ReturnRow(number, reference, result, reason, paid_on if result == "paid" else None, amount, problems)


def _day(text: str) -> date | None:
    """The day in China of an ISO date or date-time (a bank's time zone may be any)."""
    if not text:
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return (moment.astimezone(CHINA) if moment.tzinfo else moment).date()
    except ValueError:
        return None
