"""Statistics returns: which are coming due for a region, and producing one for a half-year.

A return is listed for the half-year coming due (the first whose due day is on or after ``on``)
and for those that fell due in the year before ``on``, each with its status: ``produced`` (a
return was produced for exactly that region and half-year), ``overdue`` (past its due day and
never produced), ``due`` (due within :data:`DUE_SOON_DAYS` days) or ``upcoming``.

Producing a return gathers, with the caller's token, only the figures its computed rows read (the
report's gathering, :func:`tefu_supervision.figures.gather.gather`), fills those rows with their
basis and sources, marks the others for the district to fill in, and keeps the result unchanged
with the SHA-256 of its content.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from tefu_common.auth import Principal
from tefu_common.errors import FieldError, Invalid, ValidationFailed
from tefu_common.paging import PageRequest, page_of
from tefu_common.periods import Period, half_year_of, next_half_year, parse_half_year, parse_period
from tefu_common.regions import region_table, validate_region_code
from tefu_common.scoping import require_within
from tefu_supervision.figures.gather import gather
from tefu_supervision.returns.computations import COMPUTATIONS
from tefu_supervision.returns.form import MANUAL_NOTE, Return, Row, form, forms, forms_for
from tefu_supervision.returns.models import SupervisionReturn
from tefu_supervision.returns.repository import ReturnRepository
from tefu_supervision.upstreams import Sources

DUE_SOON_DAYS = 30  # a return due within this many days is `due`; later ones are `upcoming`
LOOKBACK_DAYS = 365  # returns that fell due within the year before `on` are listed too (produced or overdue)


def check_forms() -> None:
    """Raise at start-up if a return names a computation that does not exist."""
    unknown = {name for item in forms() for name in item.computations} - set(COMPUTATIONS)
    if unknown:
        raise ValueError(f"statistics returns name computations that do not exist: {sorted(unknown)}")


def _checked_region(caller: Principal, region: str, *, location: str) -> None:
    try:
        validate_region_code(region)
    except Invalid as exc:
        raise exc.at("region", location=location) from None
    require_within(caller, region, field="region", location=location)


# --- the list of returns coming due ----------------------------------------------------------------


def periods_listed(item: Return, on: date) -> list[Period]:
    """The half-years of ``item`` listed on ``on``: those due in the year before, and the next due."""
    period = half_year_of(date(on.year - 1, 1, 1))
    listed: list[Period] = []
    while True:
        due_on = item.due_on(period)
        if due_on >= on:
            listed.append(period)  # the one coming due
            break
        if due_on > on - timedelta(days=LOOKBACK_DAYS):
            listed.append(period)
        period = next_half_year(period)
    return [p for p in listed if item.in_force(p)]


def _status(due_on: date, on: date, produced_id: int | None) -> str:
    if produced_id is not None:
        return "produced"
    if due_on < on:
        return "overdue"
    return "due" if (due_on - on).days <= DUE_SOON_DAYS else "upcoming"


async def due_list(repository: ReturnRepository, page: PageRequest, *, region: str | None,
                   on: date) -> dict[str, Any]:
    region = region or repository.caller.region
    _checked_region(repository.caller, region, location="query")
    wanted = [(item, period) for item in forms_for(region) for period in periods_listed(item, on)]
    produced = await repository.latest_produced(region, {item.id for item, _ in wanted},
                                                {period.label for _, period in wanted})
    items = []
    for item, period in wanted:
        due_on = item.due_on(period)
        produced_id = produced.get((item.id, period.label))
        items.append({
            "return_id": item.id, "name": item.name, "annex": item.annex, "period": period.label,
            "period_label": period.label_zh, "due_on": due_on.isoformat(), "days_left": (due_on - on).days,
            "status": _status(due_on, on, produced_id), "produced_id": produced_id,
            "source": {"document": item.source.document, "clause": item.source.clause}, "note": item.note,
        })
    shown, next_cursor = page_of(items, key=lambda i: (i["due_on"], i["return_id"], i["period"]), page=page)
    return {"region": region, "region_name": region_table().full_name(region), "on": on.isoformat(),
            "items": shown, "next_cursor": next_cursor}


# --- producing a return ----------------------------------------------------------------------------


def checked_request(caller: Principal, *, return_id: str, region: str, period_text: str,
                    today: date) -> tuple[Return, Period]:
    errors: list[FieldError] = []
    item = form(return_id)
    if item is None:
        known = "、".join(f.id for f in forms())
        errors.append(Invalid("return-unknown", f"没有编号为“{return_id}”的统计报表（现有：{known}）",
                              f"no statistics return {return_id!r} (known: {known})").error("return_id"))
    period = parse_half_year(period_text)
    if period is None:
        errors.append(Invalid("period-not-half-year", f"“{period_text}”不是半年（如 2026-H1 上半年、2026-H2 下半年）",
                              f"{period_text!r} is not a half-year (2026-H1, 2026-H2)").error("period"))
    try:
        validate_region_code(region)
    except Invalid as exc:
        errors.append(exc.error("region"))
    if errors:
        raise ValidationFailed(errors)
    assert item is not None and period is not None
    require_within(caller, region, field="region")
    if not item.applies_to(region):
        raise Invalid("return-not-applicable",
                      f"《{item.name}》只适用于 {region_table().full_name(item.region) or item.region}（{item.region}）"
                      f"及其所辖地区，不适用于 {region}",
                      f"{item.id} applies to {item.region} and the regions under it, not to {region}").at("region")
    if period.first > today:
        raise Invalid("period-in-future", f"{period.label_zh}尚未开始，不能生成该期报表",
                      f"{period.label} has not begun").at("period")
    if not item.in_force(period):
        raise Invalid("period-not-in-force", f"{item.source.document}未要求报送{period.label_zh}的报表"
                      f"（自{_zh_day(item.effective_from)}起施行）",
                      f"{item.source.document} asks for no return of {period.label}").at("period")
    return item, period


def _zh_day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _cell(value: int | Decimal) -> int | str:
    return f"{value:.2f}" if isinstance(value, Decimal) else value


def filled(row: Row, figures: dict[str, Any]) -> dict[str, Any]:
    """One row as produced: the value Tefu computed with its basis and sources, or marked manual."""
    out: dict[str, Any] = {"id": row.id, "clause": row.clause, "name": row.name, "measure": row.measure,
                           "unit": row.unit, "fill": row.fill, "computation": row.computed, "value": None,
                           "available": None, "basis": None, "note": None, "sources": []}
    if row.computed is None:
        return {**out, "note": MANUAL_NOTE}
    computation = COMPUTATIONS[row.computed]
    figure = figures[computation.figure]
    if not figure["available"]:
        return {**out, "available": False, "note": f"数据暂缺：{figure['reason']}；{MANUAL_NOTE}"}
    value = computation.compute(figure)
    return {**out, "available": True, "value": _cell(value.value), "basis": value.basis, "sources": figure["sources"]}


def content_hash(return_id: str, region: str, period: str, content: dict[str, Any]) -> str:
    canonical = json.dumps({"return_id": return_id, "region": region, "period": period, "content": content},
                           sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def produce(repository: ReturnRepository, sources: Sources, *, return_id: str, region: str, period_text: str,
                  today: date) -> dict[str, Any]:
    item, period = checked_request(repository.caller, return_id=return_id, region=region, period_text=period_text,
                                   today=today)
    needed = [COMPUTATIONS[name] for name in sorted(item.computations)]
    benefits = sorted({c.benefit for c in needed if c.benefit})
    figures = await gather(sources, region=region, period=period, today=today, only={c.figure for c in needed},
                           benefits=benefits)
    content = {
        "form": {"id": item.id, "annex": item.annex, "name": item.name, "region": item.region,
                 "submitted_by": item.submitted_by, "submitted_to": item.submitted_to,
                 "source": item.source.model_dump(), "document_status": item.document_status, "note": item.note},
        "due_on": item.due_on(period).isoformat(), "months": figures["months"],
        "header": [filled(row, figures) for row in item.header],
        "rows": [filled(row, figures) for row in item.rows],
    }
    produced = await repository.add(SupervisionReturn(
        return_id=item.id, region_code=region, period=period.label, produced_at=datetime.now(timezone.utc),
        produced_by=repository.caller.subject, content=content,
        content_sha256=content_hash(item.id, region, period.label, content)))
    return view(produced)


# --- produced returns ------------------------------------------------------------------------------


def _period(label: str) -> Period:
    period = parse_period(label)
    assert period is not None
    return period


def summary(produced: SupervisionReturn) -> dict[str, Any]:
    form_ = produced.content["form"]
    return {"id": produced.id, "return_id": produced.return_id, "name": form_["name"], "annex": form_["annex"],
            "region": produced.region_code, "region_name": region_table().full_name(produced.region_code),
            "period": produced.period, "period_label": _period(produced.period).label_zh,
            "due_on": produced.content["due_on"], "produced_at": produced.produced_at.isoformat(timespec="seconds"),
            "produced_by": produced.produced_by, "content_sha256": produced.content_sha256}


def view(produced: SupervisionReturn) -> dict[str, Any]:
    period = _period(produced.period)
    content = produced.content
    intact = content_hash(produced.return_id, produced.region_code, produced.period, content) == produced.content_sha256
    return {**summary(produced), "from": period.first.isoformat(), "to": period.last.isoformat(),
            "months": content["months"], "intact": intact, "submitted_by": content["form"]["submitted_by"],
            "submitted_to": content["form"]["submitted_to"], "source": content["form"]["source"],
            "document_status": content["form"]["document_status"], "note": content["form"]["note"],
            "header": content["header"], "rows": content["rows"]}


async def stored(repository: ReturnRepository, produced_id: int) -> dict[str, Any]:
    return view(await repository.get(produced_id))


async def listed(repository: ReturnRepository, page: PageRequest, *, region: str | None, return_id: str | None,
                 period: str | None) -> dict[str, Any]:
    rows, next_cursor = await repository.page(page, region=region, return_id=return_id, period=period)
    return {"items": [summary(row) for row in rows], "next_cursor": next_cursor}
