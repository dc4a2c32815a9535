"""督导检查: the supervision service's report of a region and period, read and drawn for inspectors.

The service gathers the figures and keeps every report it produces; the console shows one (a new
one, or a kept one), draws its figures as SVG, and lists the score-sheet items Tefu computed apart
from those the inspection team must check itself.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from markupsafe import Markup

from tefu_console.charts import Bar, bar_chart, share_chart
from tefu_console.duties.worklist import compliance_chart
from tefu_console.services import Apis

HEADLINE = [
    ("special_families", "计划生育特殊家庭（户）"), ("special_assistance_rate", "特别扶助金发放到位率"),
    ("condolence_rate", "一次性抚慰金发放到位率"), ("card_coverage", "发卡覆盖率"),
    ("without_card", "符合条件未持卡（人）"), ("green_channel_visits", "优先就诊人次"),
    ("festival_visits_missed", "节日未走访（户次）"), ("families_without_contact", "本期无联系记录（户）"),
    ("computed_deducted", "检查表已计算扣分"),
]
PERCENT = frozenset({"special_assistance_rate", "condolence_rate", "card_coverage"})
COMPUTED = frozenset({"scored", "partly_scored"})


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def _tone(rate: Decimal | None) -> str:
    return "muted" if rate is None else "good" if rate >= 95 else "warn" if rate >= 80 else "bad"


def _percent_bar(label: str, value: Any) -> Bar:
    rate = _number(value)
    return Bar(label, rate or 0, shown=f"{rate}%" if rate is not None else "无数据", tone=_tone(rate))


def headline_rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    top = report.get("headline") or {}
    rows = []
    for key, text in HEADLINE:
        value = top.get(key)
        shown = "无数据" if value is None else f"{value}%" if key in PERCENT else str(value)
        rows.append((text, shown))
    return rows


def charts(report: dict[str, Any]) -> dict[str, Markup]:
    figures, top, drawn = report.get("figures") or {}, report.get("headline") or {}, {}
    drawn["rates"] = bar_chart(f"{report.get('period_name', '')}主要比率", [
        _percent_bar("特别扶助金发放到位率", top.get("special_assistance_rate")),
        _percent_bar("一次性抚慰金发放到位率", top.get("condolence_rate")),
        _percent_bar("发卡覆盖率", top.get("card_coverage"))], width=520, label_width=200)
    disbursement = figures.get("disbursement") or {}
    if disbursement.get("available"):
        drawn["disbursement"] = bar_chart("各项目发放到位率", [
            _percent_bar(str(b.get("benefit_name") or b.get("benefit")), b.get("rate_percent"))
            for b in disbursement.get("benefits", [])], width=520, label_width=200)
    visits = figures.get("green_channel") or {}
    if visits.get("available") and visits.get("by_month"):
        drawn["green_channel"] = bar_chart("每月优先就诊人次", [
            Bar(str(m["month"]), int(m.get("visits") or 0), tone="primary") for m in visits["by_month"]],
            width=520, label_width=100)
    compliance = figures.get("liaison_compliance") or {}
    if compliance.get("available"):
        drawn["liaison_compliance"] = compliance_chart(compliance)
    sheet = report.get("scoresheet")
    if sheet:
        deducted, computed_of = _number(sheet.get("computed_deducted")) or 0, _number(sheet.get("computed_of")) or 0
        drawn["scoresheet"] = share_chart(f"{sheet.get('title', '检查表')}（{sheet.get('total', '100')}分）", [
            Bar("已计算扣分", deducted, shown=f"{deducted}分", tone="bad"),
            Bar("已计算未扣分", computed_of - deducted, shown=f"{computed_of - deducted}分", tone="good"),
            Bar("须检查组核查", _number(sheet.get("open_points")) or 0, shown=f"{sheet.get('open_points')}分",
                tone="muted")], width=520)
    return drawn


def unavailable(report: dict[str, Any]) -> list[tuple[str, str]]:
    """The figures whose service did not answer, with the service's reason."""
    names = {"families": "家庭", "disbursement": "发放到位率", "cards": "优待证", "green_channel": "优先就诊",
             "entitled": "应享受人数", "liaison_compliance": "联系人履职"}
    figures = report.get("figures") or {}
    return [(names.get(key, key), str(value.get("reason") or "")) for key, value in figures.items()
            if isinstance(value, dict) and value.get("available") is False]


def report_view(report: dict[str, Any]) -> dict[str, Any]:
    sheet = report.get("scoresheet") or {}
    items = sheet.get("items") or []
    return {"report": report, "headline": headline_rows(report), "charts": charts(report),
            "unavailable": unavailable(report),
            "computed_items": [i for i in items if i.get("status") in COMPUTED],
            "inspector_items": [i for i in items if i.get("status") not in COMPUTED]}


async def produce(apis: Apis, region: str, period: str) -> dict[str, Any]:
    return report_view(await apis.supervision.get("/v1/supervision", region=region, period=period))


async def stored(apis: Apis, report_id: int) -> dict[str, Any]:
    return report_view(await apis.supervision.get(f"/v1/supervision/reports/{report_id}"))


async def kept(apis: Apis, region: str, cursor: str | None, limit: int) -> Any:
    return await apis.supervision.get("/v1/supervision/reports", region=region, cursor=cursor, limit=limit)
