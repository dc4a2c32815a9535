"""Gathering a region's figures for a period from the services that own them.

Each figure is asked of one service with the inspector's token and carries its ``sources`` (the
service, the call and when it answered), so a report years later still says where every number
came from. The calls run concurrently; months of a period are asked one by one where a service
reports by month (cards, visits). A month that has not begun is not asked: a report of the
current year covers the months up to this one, and says so (``months``).

A source that cannot answer (down, or refusing) does not sink the report: its figure says
``available: false`` with the reason in Chinese, and the items of the score sheet that need it are
left to the inspector. A 422 of a source (a region it does not know) is the inspector's own error
and is answered as such.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Sequence
from contextlib import aclosing
from datetime import date
from decimal import Decimal
from typing import Any

from tefu_common.errors import ValidationFailed
from tefu_common.i18n import Text
from tefu_common.periods import Period
from tefu_common.upstream import UpstreamFailed, UpstreamRefused, UpstreamUnavailable
from tefu_supervision.upstreams import ELIGIBILITY, MEDICAL_PRIORITY, PAYMENTS, REGISTRY, Sources, source

# The cash benefits whose 发放到位率 inspectors check (Hubei 附件2 经济扶助; 鄂政办发〔2015〕81号 "发放到位率100%"),
# and the premium subsidies the score sheet counts person by person.
RATE_BENEFITS = ["special_assistance", "one_time_condolence", "pension_premium_subsidy",
                 "medical_insurance_premium_subsidy"]
ZERO = Decimal("0.00")


def months_reported(period: Period, today: date) -> list[str]:
    """The months of the period that have begun (China time)."""
    return [month for month in period.months() if month <= f"{today:%Y-%m}"]


async def gather(sources: Sources, *, region: str, period: Period, today: date,
                 only: Collection[str] | None = None, benefits: Sequence[str] = RATE_BENEFITS) -> dict[str, Any]:
    """Every figure of the report, by name (or only those named in ``only``: a statistics return
    needs a few). ``benefits``: the cash benefits whose disbursement is asked for."""
    months = months_reported(period, today)
    tasks: dict[str, Callable[[], Awaitable[dict[str, Any]]]] = {
        "families": lambda: families(sources, region),
        "disbursement": lambda: disbursement(sources, region, period, benefits),
        "cards": lambda: cards(sources, region, months),
        "green_channel": lambda: green_channel(sources, region, months),
        "entitled": lambda: entitled(sources, region, months),
        "liaison_compliance": lambda: liaison_compliance(sources, region, period),
    }
    names = [name for name in tasks if only is None or name in only]
    answers = await asyncio.gather(*(_guarded(tasks[name]) for name in names))
    return {"months": months, **dict(zip(names, answers))}


async def _guarded(figure: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    try:
        return {"available": True, **await figure()}
    except ValidationFailed:
        raise  # the inspector's own query is wrong: say so, do not hide it in the report
    except (UpstreamUnavailable, UpstreamRefused, UpstreamFailed) as exc:
        reason = exc.detail.zh if isinstance(exc.detail, Text) else str(exc.detail or exc)
        return {"available": False, "code": exc.code, "reason": reason}


async def families(sources: Sources, region: str) -> dict[str, Any]:
    """Families on the register: special families and the others (the list's ``total``)."""
    counts = {}
    for key, flag in (("special", "true"), ("not_special", "false")):
        # limit=1: only the count is wanted (the one family listed is logged as read, as any list).
        page = await sources.registry.json("GET", "/v1/families", params={"region": region, "special_family": flag,
                                                                          "limit": 1})
        counts[key] = int(page.get("total", 0))
    return {**counts, "sources": [source(REGISTRY, "GET /v1/families", region=region, special_family="true|false")]}


async def disbursement(sources: Sources, region: str, period: Period,
                       codes: Sequence[str] = RATE_BENEFITS) -> dict[str, Any]:
    """发放到位率 per benefit over the period: lines due, paid, failed, outstanding, amounts."""
    rows = await sources.payments.json("GET", "/v1/reports/disbursement-rate", params=[
        ("region", region), ("period", period.label), *(("benefits", b) for b in codes)],
        timeout=sources.stream_timeout)
    totals: dict[str, dict[str, Any]] = {}
    for row in rows:
        total = totals.setdefault(row["benefit"], {
            "benefit": row["benefit"], "benefit_name": row["benefit_name"], "due": 0, "paid": 0, "in_batch": 0,
            "failed": 0, "outstanding": 0, "due_amount": ZERO, "paid_amount": ZERO})
        for key in ("due", "paid", "in_batch", "failed", "outstanding"):
            total[key] += int(row[key])
        total["due_amount"] += Decimal(row["due_amount"])
        total["paid_amount"] += Decimal(row["paid_amount"])
    benefits = []
    for total in totals.values():
        rate = _percent(total["paid"], total["due"])
        benefits.append({**total, "due_amount": f"{total['due_amount']:.2f}", "paid_amount": f"{total['paid_amount']:.2f}",
                         "rate_percent": rate})
    return {"benefits": benefits, "by_month": rows,
            "sources": [source(PAYMENTS, "GET /v1/reports/disbursement-rate", region=region, period=period.label,
                               benefits=",".join(codes))]}


async def cards(sources: Sources, region: str, months: list[str]) -> dict[str, Any]:
    """Cards issued and revoked in the period; holders who qualify and hold a card at its end."""
    if not months:
        return {"issued": 0, "revoked": 0, "qualifying": None, "with_active_card": None, "coverage_percent": None,
                "sources": []}
    reports = await asyncio.gather(*(sources.medical_priority.json(
        "GET", "/v1/reports/cards", params={"region": region, "month": month}) for month in months))
    issued = sum(r["issued"] for report in reports for r in report["regions"])
    revoked = sum(r["revoked"] for report in reports for r in report["regions"])
    last = reports[-1]["regions"]
    qualifying = sum(r["qualifying"] for r in last)
    holding = sum(r["with_active_card"] for r in last)
    return {"issued": issued, "revoked": revoked, "qualifying": qualifying, "with_active_card": holding,
            "without_card": max(qualifying - holding, 0), "coverage_percent": _percent(holding, qualifying),
            "by_county": last,
            "sources": [source(MEDICAL_PRIORITY, "GET /v1/reports/cards", region=region, month=f"{months[0]}..{months[-1]}")]}


async def green_channel(sources: Sources, region: str, months: list[str]) -> dict[str, Any]:
    """Green-channel visits at the region's hospitals, fees waived, holders served month by month."""
    if not months:
        return {"visits": 0, "waived_total": "0.00", "hospitals_used": 0, "by_month": [], "sources": []}
    reports = await asyncio.gather(*(sources.medical_priority.json(
        "GET", "/v1/reports/visits", params={"region": region, "month": month}) for month in months))
    by_month, used, visits, waived = [], set(), 0, ZERO
    for month, report in zip(months, reports):
        month_visits = sum(h["visits"] for h in report["hospitals"])
        visits += month_visits
        waived += sum((Decimal(h["waived_total"]) for h in report["hospitals"]), ZERO)
        used.update(h["hospital_code"] for h in report["hospitals"] if h["visits"])
        by_month.append({"month": month, "visits": month_visits, "holders_served": report["holders_served"]})
    return {"visits": visits, "waived_total": f"{waived:.2f}", "hospitals_used": len(used), "by_month": by_month,
            "sources": [source(MEDICAL_PRIORITY, "GET /v1/reports/visits", region=region, month=f"{months[0]}..{months[-1]}")]}


async def entitled(sources: Sources, region: str, months: list[str]) -> dict[str, Any]:
    """Who the rules entitle to each cash benefit in the period's last month begun: persons (or
    households), and how many of them have only the national floor or no amount configured."""
    if not months:
        return {"month": None, "benefits": [], "sources": []}
    month = months[-1]
    counts: dict[str, dict[str, Any]] = {}
    payees: dict[str, set[str]] = defaultdict(set)
    lines = sources.entitlement_lines(region=region, month=month)
    async with aclosing(lines):
        async for line in lines:
            row = counts.setdefault(line["benefit"], {"benefit": line["benefit"], "benefit_name": line["benefit_name"],
                                                       "lines": 0, "local": 0, "national_minimum": 0, "unknown": 0})
            row["lines"] += 1
            row[line.get("amount_status") or "local"] += 1
            payees[line["benefit"]].add(f"f{line['family_id']}" if line["role"] == "household" else f"m{line['member_id']}")
    benefits = [{**row, "recipients": len(payees[code])} for code, row in sorted(counts.items())]
    return {"month": month, "benefits": benefits,
            "sources": [source(ELIGIBILITY, "POST /v1/entitlements", region=region, month=month)]}


async def liaison_compliance(sources: Sources, region: str, period: Period) -> dict[str, Any]:
    """Each liaison duty of the period: families due, met, missed (the registry's compliance)."""
    answer = await sources.registry.json("GET", "/v1/liaison-compliance",
                                         params={"region": region, "period": period.label},
                                         timeout=sources.stream_timeout)
    return {**answer, "sources": [source(REGISTRY, "GET /v1/liaison-compliance", region=region, period=period.label)]}


def _percent(part: int, whole: int | None) -> str | None:
    if not whole:
        return None
    return f"{Decimal(part * 100) / Decimal(whole):.2f}"
