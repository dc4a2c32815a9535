"""The three reports as the services compute them, and their charts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tefu_console.charts import Bar, bar_chart
from tefu_common.calendar import today
from tefu_console.periods import period_of, period_zh
from tefu_console.services import Apis, Part, parts

# Each downloadable report: which service, which path, which query parameters it takes.
REPORTS = {
    "disbursement-rate": ("payments", "/v1/reports/disbursement-rate", ("region", "period")),
    "cards": ("cards", "/v1/reports/cards", ("region", "month")),
    "visits": ("cards", "/v1/reports/visits", ("region", "month")),
}


def _percent(value: Any) -> float:
    try:
        return float(Decimal(str(value)))
    except (ArithmeticError, ValueError):
        return 0.0


def _charts(found: dict[str, Part], period: str, month: str) -> dict[str, Any]:
    charts: dict[str, Any] = {}
    if found["rate"].ok:
        rows = found["rate"].value if isinstance(found["rate"].value, list) else []
        charts["rate"] = bar_chart(f"{period_zh(period)}发放到位率", [
            Bar(f"{r['benefit_name']}（{r['region_code']}）", _percent(r.get("rate_percent")),
                shown=f"{r.get('rate_percent') or '—'}%", tone="good") for r in rows])
    if found["cards"].ok:
        rows = found["cards"].value.get("regions", [])
        charts["cards"] = bar_chart(f"{period_zh(month)}优待证覆盖率", [
            Bar(r.get("region_name") or r["region_code"], _percent(r.get("coverage_percent")),
                shown=f"{r.get('coverage_percent') or '—'}%", tone="primary") for r in rows])
    if found["visits"].ok:
        rows = found["visits"].value.get("hospitals", [])
        charts["visits"] = bar_chart(f"{period_zh(month)}各医院优先就诊人次", [
            Bar(r.get("hospital_name") or r["hospital_code"], int(r.get("visits", 0)), tone="primary") for r in rows])
    return charts


async def current_period(apis: Apis, region: str) -> str:
    """The period paying now in the region, by its payment schedule (monthly when it has none)."""
    schedule = await parts(schedule=apis.payments.get(f"/v1/payment-schedules/{region}"))
    frequency = schedule["schedule"].value.get("frequency") if schedule["schedule"].ok else None
    return period_of(today(), str(frequency or "monthly"))


async def reports(apis: Apis, region: str, period: str | None, month: str) -> dict[str, Any]:
    period = period or await current_period(apis, region)
    found = await parts(
        rate=apis.payments.get("/v1/reports/disbursement-rate", region=region, period=period),
        cards=apis.cards.get("/v1/reports/cards", region=region, month=month),
        visits=apis.cards.get("/v1/reports/visits", region=region, month=month))
    return {**found, "period": period, "charts": _charts(found, period, month)}
