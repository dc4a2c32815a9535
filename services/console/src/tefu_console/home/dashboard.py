"""The figures of the home page, each from the service that owns it, each drawn as an SVG chart.

A figure the services have no API for is not estimated: the page says it is not available.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tefu_console.auth.sessions import Person
from tefu_console.charts import Bar, bar_chart, share_chart
from tefu_console.formats import money
from tefu_console.periods import period_zh, this_month
from tefu_console.reports.figures import current_period
from tefu_console.services import Apis, Part, parts

OPEN_BATCHES = ("draft", "submitted", "approved")


async def _families(apis: Apis, region: str) -> dict[str, int]:
    special = await apis.registry.get("/v1/families", region=region, special_family="true", limit=1)
    other = await apis.registry.get("/v1/families", region=region, special_family="false", limit=1)
    return {"special": int(special["total"]), "other": int(other["total"])}


async def _disbursement(apis: Apis, region: str) -> dict[str, Any]:
    period = await current_period(apis, region)
    rows = await apis.payments.get("/v1/reports/disbursement-rate", region=region, period=period)
    return {"period": period, "rows": rows if isinstance(rows, list) else rows.get("items", [])}


async def _batches(apis: Apis) -> dict[str, tuple[int, bool]]:
    counts: dict[str, tuple[int, bool]] = {}
    for status in OPEN_BATCHES:
        page = await apis.payments.get("/v1/batches", status=status, limit=100)
        counts[status] = (len(page["items"]), page.get("next_cursor") is not None)
    return counts


async def _cards(apis: Apis, region: str) -> dict[str, Any]:
    report = await apis.cards.get("/v1/reports/cards", region=region, month=this_month())
    regions = report.get("regions", [])
    return {"month": report.get("month", this_month()),
            "issued": sum(int(r.get("issued", 0)) for r in regions),
            "revoked": sum(int(r.get("revoked", 0)) for r in regions),
            "active": sum(int(r.get("active_at_end", 0)) for r in regions)}


async def _imports(apis: Apis) -> list[dict[str, Any]]:
    # The registry's own list (the person's region): imports made by colleagues or through the API too.
    page = await apis.registry.get("/v1/imports", status=["queued", "running"], limit=10)
    return list(page["items"])


def _charts(figures: dict[str, Part]) -> dict[str, Any]:
    charts: dict[str, Any] = {}
    if figures["families"].ok:
        f = figures["families"].value
        charts["families"] = share_chart("家庭按状态", [Bar("特殊家庭", f["special"], tone="primary"),
                                                      Bar("目前不属于特殊家庭", f["other"], tone="muted")])
    if figures["disbursement"].ok:
        d = figures["disbursement"].value
        title = f"{period_zh(d['period'])}应发与已发（人次）"
        bars = []
        for row in d["rows"]:
            bars.append(Bar(f"{row['benefit_name']} 应发", int(row["due"]), tone="primary"))
            bars.append(Bar(f"{row['benefit_name']} 已发", int(row["paid"]),
                            shown=f"{row['paid']}（{row.get('rate_percent', '—')}%）", tone="good"))
        charts["disbursement"] = bar_chart(title, bars)
        charts["disbursement_total"] = money(sum(Decimal(str(r.get("due_amount") or 0)) for r in d["rows"]))
        charts["paid_total"] = money(sum(Decimal(str(r.get("paid_amount") or 0)) for r in d["rows"]))
    if figures["batches"].ok:
        b = figures["batches"].value
        charts["batches"] = bar_chart("待处理的发放批次", [
            Bar("草稿（待提交）", b["draft"][0], shown=f"{b['draft'][0]}{'+' if b['draft'][1] else ''}", tone="warn"),
            Bar("待审批", b["submitted"][0], shown=f"{b['submitted'][0]}{'+' if b['submitted'][1] else ''}", tone="bad"),
            Bar("已批准（待银行取数）", b["approved"][0],
                shown=f"{b['approved'][0]}{'+' if b['approved'][1] else ''}", tone="good")])
    if figures["cards"].ok:
        c = figures["cards"].value
        charts["cards"] = bar_chart(f"{period_zh(c['month'])}优待证", [
            Bar("新发", c["issued"], tone="good"), Bar("注销", c["revoked"], tone="bad"),
            Bar("月末有效", c["active"], tone="primary")])
    return charts


async def dashboard(apis: Apis, db: AsyncSession, person: Person) -> dict[str, Any]:
    region = person.region
    figures = await parts(families=_families(apis, region), disbursement=_disbursement(apis, region),
                          batches=_batches(apis), cards=_cards(apis, region), imports=_imports(apis))
    return {"figures": figures, "charts": _charts(figures)}
