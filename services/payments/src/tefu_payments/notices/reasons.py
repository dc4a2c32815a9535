"""Which bank failures the register must act on, and how.

A bank that says the payee died (ISO 20022 MD07), or that the account is closed or wrong (AC04,
AC01, AC03, AC06, BE01, RC01), tells the programme something the register must settle before the
member is paid again: a ``confirm_death`` or a ``bank_details`` review task in the registry. A
CSV or XLSX return file gives no code, only words; the usual words of Chinese banks' return files
are recognised too (销户, 身故 …), so a county whose bank sends spreadsheets is covered the same way.
Any other failure (insufficient funds on the paying account, a bank's own error) only carries the
line into the next batch, as before.
"""

from __future__ import annotations

import re

DEATH_CODES = frozenset({"MD07"})
ACCOUNT_CODES = frozenset({"AC01", "AC03", "AC04", "AC06", "AC13", "BE01", "RC01"})
CODE = re.compile(r"（([A-Z0-9]{4})）")  # as returns.iso20022.reason_text writes it: 账户已销户（AC04）
DEATH_WORDS = ("身故", "死亡", "去世", "已故", "deceased")
ACCOUNT_WORDS = ("销户", "账号有误", "账号错误", "账户不存在", "户名不符", "户名与账号不符", "冻结", "closed account")


def code_of(reason: str) -> str | None:
    found = CODE.search(reason)
    return found.group(1) if found else None


def task_kind(reason: str) -> str | None:
    """``confirm_death``, ``bank_details`` or None, for a failed line's reason."""
    code = code_of(reason)
    if code in DEATH_CODES or (code is None and any(w in reason.lower() for w in DEATH_WORDS)):
        return "confirm_death"
    if code in ACCOUNT_CODES or (code is None and any(w in reason.lower() for w in ACCOUNT_WORDS)):
        return "bank_details"
    return None
