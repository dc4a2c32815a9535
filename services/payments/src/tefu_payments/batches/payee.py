"""The payee of a ledger line as the registry had it when the batch was built.

Name, ID number, account and holder are sealed together as one encrypted value: a line is written
with one encryption and read into the bank's file with one decryption, instead of four of each,
which is most of what a million-line batch costs. The bank's name is not personal data and stays
in a column of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import orjson

from tefu_common.field_crypto import EncryptedString, get_field_cipher


class PayeeSnapshot(NamedTuple):
    name: str
    id_number: str
    account: str
    holder: str


class EncryptedPayee(EncryptedString):
    """A ``PayeeSnapshot`` stored as one AES-GCM token of its JSON array."""

    cache_ok = True

    def plaintext(self, value: PayeeSnapshot) -> str:
        return orjson.dumps(list(value)).decode()

    def process_result_value(self, value: str | None, dialect: Any) -> PayeeSnapshot | None:
        if value is None:
            return None
        return PayeeSnapshot._make(orjson.loads(get_field_cipher().decrypt_bytes(value, context=self.context)))

    def opener(self) -> Callable[[str], list[str]]:
        """Opens tokens of this column with the process's cipher as it is now: name, ID number,
        account, holder. For a reader of many (a bank's file), without the lookups of the cipher and
        the calls through the type a token each."""
        cipher, context, loads = get_field_cipher(), self.context, orjson.loads

        def open_token(token: str) -> list[str]:
            return loads(cipher.decrypt_bytes(token, context=context))  # type: ignore[no-any-return]

        return open_token


def snapshot(payee: dict[str, Any]) -> PayeeSnapshot:
    """From an answer of the registry's ``POST /v1/payees``."""
    return PayeeSnapshot(payee["name"] or "", payee["id_number"] or "", payee["account_number"] or "",
                         payee["holder"] or "")
