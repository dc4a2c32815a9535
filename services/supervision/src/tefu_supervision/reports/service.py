"""Producing a supervision report: check the query, gather, score, compare, keep.

Every report produced is kept as it was shown (figures with their sources, the score sheet, a
SHA-256 of both), so a later inspection of the same region and period sees what changed since
(``compared_with``) and can fetch the earlier report itself.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from tefu_common.calendar import today
from tefu_common.errors import Invalid, ValidationFailed
from tefu_common.periods import Period, parse_period
from tefu_common.regions import region_table, validate_region_code
from tefu_common.scoping import require_within
from tefu_supervision.figures.gather import gather
from tefu_supervision.reports.models import SupervisionReport
from tefu_supervision.reports.repository import ReportRepository
from tefu_supervision.scoresheet.scoring import score
from tefu_supervision.upstreams import Sources

# The numbers a report is summed up by, in lists and in comparisons with an earlier report.
HEADLINE_LABELS = {
    "special_families": "计划生育特殊家庭（户）",
    "special_assistance_rate": "特别扶助金发放到位率（%）",
    "condolence_rate": "一次性抚慰金发放到位率（%）",
    "card_coverage": "发卡覆盖率（%）",
    "without_card": "符合条件未持卡（人）",
    "green_channel_visits": "优先就诊人次",
    "festival_visits_missed": "节日未走访（户次）",
    "families_without_contact": "本期无联系记录（户）",
    "computed_deducted": "检查表已计算扣分",
}


def checked_query(caller: Any, region: str, period_text: str) -> Period:
    errors = []
    period = parse_period(period_text)
    if period is None:
        errors.append(Invalid("period-format", f"“{period_text}”不是月份（2026-06）、季度（2026-Q2）、半年（2026-H1）或年份（2026）",
                              f"{period_text!r} is not a month (2026-06), a quarter (2026-Q2), a half-year (2026-H1) "
                              "or a year (2026)")
                      .error("period", location="query"))
    elif period.first > today():
        errors.append(Invalid("period-in-future", f"{period.label_zh}尚未开始，没有可检查的数据",
                              f"{period.label} has not begun: there is nothing to inspect yet").error("period", location="query"))
    elif period.first.year < 1950:
        errors.append(Invalid("date-before-1950", f"{period.label_zh}早于1950年", f"{period.label} is before 1950")
                      .error("period", location="query"))
    try:
        validate_region_code(region)
    except Invalid as exc:
        errors.append(exc.error("region", location="query"))
    if errors:
        raise ValidationFailed(errors)
    require_within(caller, region, field="region", location="query")
    assert period is not None
    return period


def _rate(figures: dict[str, Any], benefit: str) -> str | None:
    rows = figures["disbursement"].get("benefits", []) if figures["disbursement"]["available"] else []
    return next((row["rate_percent"] for row in rows if row["benefit"] == benefit), None)


def headline(figures: dict[str, Any], scoresheet: dict[str, Any] | None) -> dict[str, Any]:
    cards, visits, compliance = figures["cards"], figures["green_channel"], figures["liaison_compliance"]
    festivals = [d for d in compliance.get("duties", []) if d["kind"] == "festival_visit"] if compliance["available"] else []
    return {
        "special_families": figures["families"].get("special") if figures["families"]["available"] else None,
        "special_assistance_rate": _rate(figures, "special_assistance"),
        "condolence_rate": _rate(figures, "one_time_condolence"),
        "card_coverage": cards.get("coverage_percent") if cards["available"] else None,
        "without_card": cards.get("without_card") if cards["available"] else None,
        "green_channel_visits": visits.get("visits") if visits["available"] else None,
        "festival_visits_missed": sum(d["missed"] for d in festivals) if compliance["available"] else None,
        "families_without_contact": (compliance["families"] - compliance["contacts"]["families_with_contact"]
                                     if compliance["available"] else None),
        "computed_deducted": scoresheet["computed_deducted"] if scoresheet else None,
    }


def compare(now: dict[str, Any], before: SupervisionReport | None) -> dict[str, Any] | None:
    """Each headline number beside the earlier report's, with the change where both are numbers."""
    if before is None:
        return None
    changes = []
    for key, label in HEADLINE_LABELS.items():
        old, new = before.headline.get(key), now.get(key)
        change = None
        if old is not None and new is not None:
            change = str(Decimal(str(new)) - Decimal(str(old)))
        changes.append({"figure": key, "label": label, "before": old, "now": new, "change": change})
    return {"report_id": before.id, "produced_at": before.produced_at.isoformat(timespec="seconds"),
            "changes": changes}


def content_hash(region: str, period: str, figures: dict[str, Any], scoresheet: dict[str, Any] | None) -> str:
    canonical = json.dumps({"region": region, "period": period, "figures": figures, "scoresheet": scoresheet},
                           sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def produce(reports: ReportRepository, sources: Sources, *, region: str, period_text: str,
                  today: date) -> dict[str, Any]:
    period = checked_query(reports.caller, region, period_text)
    figures = await gather(sources, region=region, period=period, today=today)
    scoresheet = score(region, figures)
    top = headline(figures, scoresheet)
    before = await reports.previous(region, period.label)
    report = await reports.add(SupervisionReport(
        region_code=region, period=period.label, produced_at=datetime.now(timezone.utc),
        produced_by=reports.caller.subject, headline=top, figures=figures, scoresheet=scoresheet,
        content_sha256=content_hash(region, period.label, figures, scoresheet)))
    return report_view(report, compared_with=compare(top, before))


async def stored(reports: ReportRepository, report_id: int) -> dict[str, Any]:
    """A kept report as it was produced, compared with the one kept before it."""
    report = await reports.get(report_id)
    before = await reports.previous(report.region_code, report.period, before=report.id)
    return report_view(report, compared_with=compare(report.headline, before))


def report_view(report: SupervisionReport, *, compared_with: dict[str, Any] | None = None) -> dict[str, Any]:
    period = parse_period(report.period)
    assert period is not None
    intact = content_hash(report.region_code, report.period, report.figures, report.scoresheet) == report.content_sha256
    return {
        "report_id": report.id, "region": report.region_code, "region_name": region_table().full_name(report.region_code),
        "period": report.period, "period_name": period.label_zh, "from": period.first.isoformat(),
        "to": period.last.isoformat(), "produced_at": report.produced_at.isoformat(timespec="seconds"),
        "produced_by": report.produced_by, "content_sha256": report.content_sha256, "intact": intact,
        "headline": report.headline, "figures": report.figures, "scoresheet": report.scoresheet,
        "compared_with": compared_with,
    }
