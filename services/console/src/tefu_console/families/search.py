"""What the search box means to the registry: a name, or a whole ID number."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

ID_NUMBER = re.compile(r"^(\d{17}[\dXx]|\d{15})$")
STATUSES = {"special": "true", "not_special": "false"}


@dataclass(frozen=True)
class Search:
    q: str = ""
    region: str = ""
    status: str = ""

    def params(self) -> tuple[dict[str, str], str | None]:
        """The registry's query, and a note when the box holds what the registry cannot search by."""
        params: dict[str, str] = {}
        note = None
        q = self.q.strip()
        if ID_NUMBER.match(q):
            params["id_number"] = q.upper()
        elif q.isdigit() or (q[:-1].isdigit() and q[-1:] in "Xx" and q):
            note = "登记服务按完整的身份证号查找（18位或15位），不支持按尾号查找；请输入完整号码，或按姓名查找。"
        elif q:
            params["name"] = q
        if self.region:
            params["region"] = self.region
        if self.status in STATUSES:
            params["special_family"] = STATUSES[self.status]
        return params, note

    def url(self, cursor: str | None = None) -> str:
        query = {k: v for k, v in {"q": self.q, "region": self.region, "status": self.status, "cursor": cursor}.items() if v}
        return "/families" + (f"?{urlencode(query)}" if query else "")
