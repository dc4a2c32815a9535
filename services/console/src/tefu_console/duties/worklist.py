"""联系人工作清单 and 联系人履职情况: the registry's liaison duties, read for the clerks who act on them.

The registry works out every duty item (from the duties eligibility holds for the region); the
console only asks, pages and draws: which families have something open, and, for a period, how
many families each duty was met for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup

from tefu_common.calendar import today
from tefu_console.charts import Bar, bar_chart
from tefu_console.periods import period_zh, recent_periods
from tefu_console.services import Apis

# The work list's filter (the registry's `status`), as the clerk chooses it.
STATUSES = [("overdue", "已逾期"), ("due", "7天内到期"), ("outstanding", "待走访（节日、事件）"),
            ("missing_liaison", "缺联系人")]
COUNTS = [("families", "有待办事项的家庭"), ("overdue", "已逾期"), ("due", "7天内到期"), ("outstanding", "待走访"),
          ("missing_liaison", "缺联系人")]
PERIOD = re.compile(r"^[0-9]{4}(-(Q[1-4]|0[1-9]|1[0-2]))?$")


@dataclass(frozen=True)
class WorkList:
    """What the clerk asked the work list for; the same words make the next page's address."""

    region: str
    as_of: str
    status: str
    liaison_name: str

    def params(self) -> dict[str, str]:
        return {"region": self.region, "as_of": self.as_of, "status": self.status, "liaison_name": self.liaison_name}

    def url(self, cursor: str | None = None) -> str:
        query = {k: v for k, v in {**self.params(), "cursor": cursor or ""}.items() if v}
        return "/duties" + (f"?{urlencode(query)}" if query else "")


async def work_list(apis: Apis, query: WorkList, cursor: str | None, limit: int) -> dict[str, Any]:
    return await apis.registry.get("/v1/liaison-duties", **query.params(), cursor=cursor, limit=limit)


def compliance_period(period: str) -> str:
    """The period asked for, or this month."""
    return period if PERIOD.match(period or "") else f"{today():%Y-%m}"


def period_options(chosen: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The selector's groups (月, 季度, 年), each period with its Chinese name; the chosen one is kept
    even when it is older than what the selector offers."""
    groups = [(name, [(p, period_zh(p)) for p in periods]) for name, periods in recent_periods(today())]
    if not any(chosen == value for _, options in groups for value, _ in options):
        groups.insert(0, ("所选", [(chosen, period_zh(chosen))]))
    return groups


def _share(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def _tone(share: Decimal | None) -> str:
    if share is None:
        return "muted"
    return "good" if share >= 90 else "warn" if share >= 60 else "bad"


def duty_label(duty: dict[str, Any]) -> str:
    festival = duty.get("festival")
    if isinstance(festival, dict) and festival.get("date"):
        return f"{duty['name']}（{festival.get('date')}）"
    return str(duty["name"])


def compliance_chart(answer: dict[str, Any]) -> Markup:
    """One bar per duty: the share of the families due for which it was met."""
    bars = []
    for duty in answer.get("duties", []):
        share = _share(duty.get("share_percent")) if duty.get("computable", True) else None
        shown = f"{share}%" if share is not None else ("无法计算" if not duty.get("computable", True) else "无应履职家庭")
        bars.append(Bar(duty_label(duty), share or 0, shown=shown, tone=_tone(share)))
    return bar_chart(f"{period_zh(str(answer.get('period', '')))}各项职责履职率", bars, width=720, label_width=320)


async def compliance(apis: Apis, region: str, period: str) -> dict[str, Any]:
    answer = await apis.registry.get("/v1/liaison-compliance", region=region, period=period)
    return {"answer": answer, "chart": compliance_chart(answer)}
