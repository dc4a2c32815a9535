"""Work lists, a family's duties and a region's compliance: the duties of each county (from the
eligibility service) applied to the register's families by :mod:`tefu_registry.duties.engine`.

Families of a region may lie in several counties, each with its own layered duties; each county's
duties are asked for once per request. Compliance adds families up per duty version (``duty_id``),
so a county that tightened a duty is its own row beside the province's.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tefu_common.calendar import CHINA
from tefu_common.errors import Invalid
from tefu_common.paging import PageRequest, page_of
from tefu_common.periods import Period, parse_period
from tefu_common.regions import validate_region_code
from tefu_common.scoping import require_within
from tefu_registry.duties.engine import NOT_COMPUTABLE, FamilyRecord, Item, family_items, period_outcomes, triggers_of
from tefu_registry.duties.repository import DutyRepository
from tefu_registry.families.review_tasks import ReviewTask
from tefu_registry.duties.schemas import (
    Compliance,
    DutyFigure,
    DutyItem,
    FamilyDuties,
    LiaisonShort,
    MissedFamily,
    WorkList,
    WorkListFamily,
)
from tefu_registry.upstreams import EligibilityClient, county_of

EARLIEST = date(1950, 1, 1)
MISSED_SHOWN = 100
STATUS_ORDER = {"overdue": 0, "missing_liaison": 1, "outstanding": 2, "due": 3, "missed": 4, "met": 5,
                "not_computable": 6}


def check_region(caller_repo: DutyRepository, region: str) -> str:
    try:
        validate_region_code(region)
    except Invalid as problem:
        raise problem.at("region", location="query") from None
    require_within(caller_repo.caller, region, field="region", location="query")
    return region


def check_day(day: date, *, field: str, today: date) -> date:
    if day < EARLIEST:
        raise Invalid("date-before-1950", f"{day} 早于1950年", f"{day} is before 1950").at(field, location="query")
    if day > today + timedelta(days=366):
        raise Invalid("date-too-far", f"{day} 超过一年以后", f"{day} is more than a year ahead").at(field, location="query")
    return day


def check_period(text: str, *, today: date) -> Period:
    period = parse_period(text)
    if period is None:
        raise Invalid("period-format", f"“{text}”不是月份（2026-06）、季度（2026-Q2）或年份（2026）",
                      f"{text!r} is not a month (2026-06), a quarter (2026-Q2) or a year (2026)").at(
            "period", location="query")
    if period.first < EARLIEST:
        raise Invalid("date-before-1950", f"{text} 早于1950年", f"{text} is before 1950").at("period", location="query")
    if period.first > today:
        raise Invalid("period-in-future", f"{text} 尚未开始", f"{text} has not begun").at("period", location="query")
    return period


async def _families(repo: DutyRepository, eligibility: EligibilityClient, region: str,
                    on: date) -> AsyncIterator[FamilyRecord]:
    """The region's special families, chunk by chunk, with each county's duties already asked for
    (side by side: a province spans a hundred counties)."""
    after = 0
    while True:
        chunk = await repo.families_chunk(region, after=after)
        if not chunk:
            return
        # A failure is raised again, as a problem, when the first family of that county asks.
        await asyncio.gather(*(eligibility.duties(county, on) for county in {county_of(f.region_code) for f in chunk}),
                             return_exceptions=True)
        for family in chunk:
            yield family
        after = chunk[-1].id


REVIEW_NAMES = {"confirm_death": "核实身故（银行退回款项）", "bank_details": "核实银行账户（银行退回款项）"}
REVIEW_TODO = {"confirm_death": "请核实后登记死亡事件，或写明核实情况后驳回；处理前该成员暂停发放",
               "bank_details": "请联系家庭更新银行账户，或写明核实情况后驳回；处理前该成员暂停发放"}


def review_item(task: ReviewTask) -> Item:
    """An open review task as an item of the work list: the liaison is who can check on the family."""
    return Item(duty={"id": f"review.{task.kind}", "duty_id": f"registry/review-task/{task.id}", "kind": "review_task",
                      "name": REVIEW_NAMES[task.kind], "source": {"document": "银行回盘", "clause": task.reason_code}},
                status="outstanding", since=task.opened_at.astimezone(CHINA).date(),
                reason=f"{task.reason}：{REVIEW_TODO[task.kind]}（核查任务 {task.id}）")


def item_out(item: Item) -> DutyItem:
    duty = item.duty
    source = duty.get("source") or {}
    return DutyItem(
        id=duty["id"], duty_id=duty["duty_id"], kind=duty["kind"], name=duty["name"], status=item.status,
        since=item.since, due_by=item.due_by, last_contact_on=item.last_contact_on, festival=item.festival,
        event=item.event, missing_posts=item.missing_posts, reason=item.reason,
        source={"document": source.get("document"), "clause": source.get("clause")})


def _sorted(items: list[Item]) -> list[Item]:
    return sorted(items, key=lambda i: (STATUS_ORDER.get(i.status, 9), i.due_by or date.max))


async def family_duties(repo: DutyRepository, eligibility: EligibilityClient, family_id: int,
                        as_of: date) -> FamilyDuties:
    family = await repo.family_record(family_id)
    answer = await eligibility.duties(county_of(family.region_code), as_of)
    items = _sorted(family_items(answer["duties"], family, as_of))
    await repo.log_shown([family])
    return FamilyDuties(family_id=family.id, region_code=family.region_code, as_of=as_of,
                        catalogue_version=answer["catalogue_version"], duties=[item_out(i) for i in items])


async def work_list(repo: DutyRepository, eligibility: EligibilityClient, region: str, as_of: date, *,
                    status: str | None, liaison_name: str | None, page: PageRequest) -> WorkList:
    """Families with an open duty on ``as_of`` (optionally of one status, or of one liaison)."""
    counts: dict[str, int] = defaultdict(int)
    rows: list[tuple[FamilyRecord, list[Item]]] = []
    version = None
    reviews = await repo.open_review_tasks(region)
    async for family in _families(repo, eligibility, region, as_of):
        if liaison_name and not any(l.name == liaison_name for l in family.current_liaisons(as_of)):
            continue
        answer = await eligibility.duties(county_of(family.region_code), as_of)
        version = answer["catalogue_version"]
        open_items = [i for i in _sorted(family_items(answer["duties"], family, as_of)
                                         + [review_item(t) for t in reviews.get(family.id, [])]) if i.open]
        if status:
            open_items = [i for i in open_items if i.status == status]
        if not open_items:
            continue
        counts["families"] += 1
        for item in open_items:
            counts[item.status] += 1
        rows.append((family, open_items))
    shown, next_cursor = page_of(rows, key=lambda row: [row[0].id], page=page)
    await repo.log_shown([family for family, _ in shown])
    return WorkList(
        region=region, as_of=as_of, catalogue_version=version,
        counts={key: counts[key] for key in ("families", "overdue", "due", "outstanding", "missing_liaison")},
        items=[WorkListFamily(
            family_id=family.id, region_code=family.region_code, head_name=family.head_name,
            liaisons=[LiaisonShort(id=l.id, post=l.post, name=l.name) for l in family.current_liaisons(as_of)],
            open=[item_out(i) for i in items]) for family, items in shown],
        next_cursor=next_cursor)


def _figure(duty: dict[str, Any], festival: dict[str, Any] | None) -> dict[str, Any]:
    computable = duty["applies_to"] not in NOT_COMPUTABLE
    note = None if computable else NOT_COMPUTABLE[duty["applies_to"]]
    if duty["kind"] == "event_visit":
        _, unseen = triggers_of(duty)
        if unseen:  # counted for what the register records; the rest is the inspectors' to check
            note = f"登记系统不记录{'、'.join(unseen)}，这些情形的走访由检查人员核实"
    return {"duty": duty, "festival": festival, "due": 0, "met": 0, "missed": 0, "pending": 0,
            "computable": computable, "note": note}


def _share(met: int, due: int) -> str | None:
    if due == 0:
        return None
    return str((Decimal(met * 100) / Decimal(due)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


async def compliance(repo: DutyRepository, eligibility: EligibilityClient, region: str, period: Period, *,
                     today: date) -> Compliance:
    """For each duty of the period: families due, met, missed (with the first hundred named), pending."""
    as_of = min(period.last, today)
    figures: dict[tuple[str, str | None], dict[str, Any]] = {}
    missed: dict[tuple[str, str | None], list[tuple[MissedFamily, str]]] = defaultdict(list)
    families = with_liaison = with_contact = contacts = 0
    by_kind: dict[str, dict[str, int]] = defaultdict(lambda: {"contacts": 0, "families": 0})
    version = None
    async for family in _families(repo, eligibility, region, as_of):
        if family.start > as_of:
            continue  # not yet in the register's care
        families += 1
        with_liaison += bool(family.current_liaisons(as_of))
        in_period = [c for c in family.contacts if period.first <= c.contacted_on <= as_of]
        contacts += len(in_period)
        with_contact += bool(in_period)
        for kind in {c.kind for c in in_period}:
            by_kind[kind]["families"] += 1
        for contact in in_period:
            by_kind[contact.kind]["contacts"] += 1
        answer = await eligibility.duties(county_of(family.region_code), as_of)
        version = answer["catalogue_version"]
        for duty in answer["duties"]:
            if duty["kind"] != "festival_visit":  # every duty has its row, even with nobody due
                figures.setdefault((duty["duty_id"], None), _figure(duty, None))
        for outcome in period_outcomes(answer["duties"], family, period.first, period.last, as_of):
            figure = figures.setdefault(outcome.key, _figure(outcome.duty, outcome.festival))
            if outcome.state == "not_computable":
                continue
            figure["due"] += 1
            figure[outcome.state] += 1
            if outcome.state == "missed":
                missed[outcome.key].append((MissedFamily(family_id=family.id, head_name=family.head_name,
                                                         reason=outcome.reason), family.region_code))
    shown = [m for key in figures for m in missed[key][:MISSED_SHOWN]]
    await repo.log_reads([{"family_id": m.family_id, "region_code": code} for m, code in shown])
    duties = []
    for key in sorted(figures, key=lambda k: (figures[k]["duty"]["kind"], k[0], k[1] or "")):
        figure = figures[key]
        duty = figure["duty"]
        source = duty.get("source") or {}
        duties.append(DutyFigure(
            duty_id=duty["duty_id"], id=duty["id"], kind=duty["kind"], name=duty["name"], festival=figure["festival"],
            source={"document": source.get("document"), "clause": source.get("clause"), "quote": source.get("quote")},
            computable=figure["computable"], note=figure["note"], families_due=figure["due"],
            families_met=figure["met"], missed=figure["missed"], pending=figure["pending"],
            share_percent=_share(figure["met"], figure["due"]) if figure["computable"] else None,
            missed_families=[m for m, _ in missed[key][:MISSED_SHOWN]], missed_more=max(0, len(missed[key]) - MISSED_SHOWN)))
    return Compliance(
        region=region, period=period.label, as_of=as_of, families=families, catalogue_version=version,
        liaisons={"families_with_liaison": with_liaison, "families_without": families - with_liaison},
        contacts={"contacts": contacts, "families_with_contact": with_contact,
                  "by_kind": {kind: by_kind[kind] for kind in sorted(by_kind)}}, duties=duties)
