"""What the search box means to the registry: a whole ID number, its last 4 or 6 characters, or
part of a name.

One box for all three: on the telephone a family reads out the last digits of an ID number
(后四位/后六位) or a surname as often as a whole number. Digits (and a final X) are an ID number:
15 or 18 characters a whole one, 4 or 6 its tail, any other count a typing slip the box explains
instead of searching names for digits. Anything else is part of a name: a surname, a given name, a
whole name (the registry finds it in any member's name, the child's too).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlencode

ID_NUMBER = re.compile(r"^([0-9]{17}[0-9X]|[0-9]{15})$")
ID_NUMBER_TAIL = re.compile(r"^([0-9]{3}|[0-9]{5})[0-9X]$")
DIGITS = re.compile(r"^[0-9]+X?$")
STATUSES = {"special": "true", "not_special": "false"}
WRONG_LENGTH = "请输入身份证号的后4位或后6位，或完整的身份证号（18位或15位）；按姓名查找请输入姓名中的字。"


@dataclass(frozen=True)
class Search:
    q: str = ""
    region: str = ""
    status: str = ""

    def params(self) -> tuple[dict[str, str], str | None]:
        """The registry's query, and a note when the box holds what the registry cannot search by."""
        params: dict[str, str] = {}
        note = None
        # Full-width digits and x, as some input methods type them, are the same characters.
        q = unicodedata.normalize("NFKC", self.q).strip()
        number = q.upper()
        if ID_NUMBER.match(number):
            params["id_number"] = number
        elif ID_NUMBER_TAIL.match(number):
            params["id_number_tail"] = number
        elif DIGITS.match(number):
            note = WRONG_LENGTH
        elif q:
            params["name_contains"] = q
        if self.region:
            params["region"] = self.region
        if self.status in STATUSES:
            params["special_family"] = STATUSES[self.status]
        return params, note

    def url(self, cursor: str | None = None) -> str:
        query = {k: v for k, v in {"q": self.q, "region": self.region, "status": self.status, "cursor": cursor}.items() if v}
        return "/families" + (f"?{urlencode(query)}" if query else "")
