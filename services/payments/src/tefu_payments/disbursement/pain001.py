"""A batch as an ISO 20022 customer credit transfer initiation, ``pain.001.001.09``.

One message (GrpHdr: MsgId, CreDtTm, NbOfTxs, CtrlSum, InitgPty), one payment information block
(PmtInf: the paying unit's account, one requested execution date), and one credit transfer per
ledger line (CdtTrfTxInf: EndToEndId the line's reference, the amount in CNY, the payee's name,
account and bank, the benefit and period as unstructured remittance information). Like the other
formats it is deterministic: the message id is the batch's, the creation time is the batch's
(China time), the requested execution date the day it was built, lines in reference order; the
same batch renders to the same bytes, so its SHA-256 in the signed manifest holds.

Written as text, chunk by chunk, not through a DOM: a batch may be a million lines. Every value
is XML-escaped and cut to the element's length in the schema (names are Max140Text, ids
Max35Text); a value the schema cannot hold (an account of more than 34 characters) is a
RenderError naming the line, not a file the bank's validator rejects.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from typing import IO, Any
from xml.sax.saxutils import escape

from tefu_common.calendar import CHINA

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
CURRENCY = "CNY"
MAX_ID, MAX_NAME, MAX_ACCOUNT, MAX_REMITTANCE = 35, 140, 34, 140


class Pain001Error(ValueError):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


def _text(value: str, limit: int) -> str:
    return escape(" ".join(value.split())[:limit])  # one line, no control characters, within the schema's length


def _agent(cnaps: str | None) -> str:
    if cnaps:
        return (f"<FinInstnId><ClrSysMmbId><ClrSysId><Cd>CNAPS</Cd></ClrSysId><MmbId>{cnaps}</MmbId></ClrSysMmbId>"
                "</FinInstnId>")
    return "<FinInstnId><Othr><Id>NOTPROVIDED</Id></Othr></FinInstnId>"


def head(debtor: dict[str, Any], message_id: str, created: datetime, count: int, total: Decimal) -> bytes:
    created_at = created.astimezone(CHINA).replace(microsecond=0)
    initiating = debtor.get("initiating_party") or debtor["debtor_name"]
    control = f"<NbOfTxs>{count}</NbOfTxs><CtrlSum>{total:.2f}</CtrlSum>"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="{NAMESPACE}"><CstmrCdtTrfInitn>\n'
        f"<GrpHdr><MsgId>{_text(message_id, MAX_ID)}</MsgId><CreDtTm>{created_at.isoformat()}</CreDtTm>{control}"
        f"<InitgPty><Nm>{_text(initiating, MAX_NAME)}</Nm></InitgPty></GrpHdr>\n"
        f"<PmtInf><PmtInfId>{_text(message_id + '-1', MAX_ID)}</PmtInfId><PmtMtd>TRF</PmtMtd><BtchBookg>false</BtchBookg>"
        f"{control}<ReqdExctnDt><Dt>{created_at.date().isoformat()}</Dt></ReqdExctnDt>"
        f"<Dbtr><Nm>{_text(debtor['debtor_name'], MAX_NAME)}</Nm></Dbtr>"
        f"<DbtrAcct><Id><Othr><Id>{_text(debtor['debtor_account'], MAX_ACCOUNT)}</Id></Othr></Id><Ccy>{CURRENCY}</Ccy>"
        f"</DbtrAcct><DbtrAgt>{_agent(debtor.get('debtor_agent_cnaps'))}</DbtrAgt><ChrgBr>SLEV</ChrgBr>\n"
    ).encode()


def transfer(reference: str, payee: str, account: str, bank: str, amount: str, remittance: str) -> str:
    if not account or len(account) > MAX_ACCOUNT:
        raise Pain001Error(f"明细 {reference}：银行账号应为 1–{MAX_ACCOUNT} 个字符",
                           f"line {reference}: the account must be 1-{MAX_ACCOUNT} characters")
    agent = f"<CdtrAgt><FinInstnId><Nm>{_text(bank, MAX_NAME)}</Nm></FinInstnId></CdtrAgt>" if bank.strip() else ""
    return (f"<CdtTrfTxInf><PmtId><EndToEndId>{_text(reference, MAX_ID)}</EndToEndId></PmtId>"
            f'<Amt><InstdAmt Ccy="{CURRENCY}">{amount}</InstdAmt></Amt>{agent}'
            f"<Cdtr><Nm>{_text(payee, MAX_NAME)}</Nm></Cdtr>"
            f"<CdtrAcct><Id><Othr><Id>{escape(account)}</Id></Othr></Id></CdtrAcct>"
            f"<RmtInf><Ustrd>{_text(remittance, MAX_REMITTANCE)}</Ustrd></RmtInf></CdtTrfTxInf>\n")


TAIL = b"</PmtInf>\n</CstmrCdtTrfInitn></Document>\n"


async def render(layout: Any, lines: AsyncIterator[list[Any]], count: int, total: Decimal, created: datetime,
                 out: IO[bytes]) -> None:
    """Write the message to ``out``; the lines are ``render.FileLine``."""
    out.write(head(layout.iso20022, layout.message_id, created, count, total))
    async for chunk in lines:
        out.write("".join(transfer(line.reference, line.holder or line.name, line.account, line.bank, line.amount,
                                   f"{line.benefit} {line.period}") for line in chunk).encode())
    out.write(TAIL)
