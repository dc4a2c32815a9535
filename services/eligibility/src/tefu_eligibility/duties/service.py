"""The duties of a region on a day, as the registry reads them to check contacts and build work lists."""

from __future__ import annotations

from datetime import date
from typing import Any

from tefu_common.errors import Invalid, ValidationFailed
from tefu_common.regions import region_table
from tefu_eligibility.catalogue.catalogue import Catalogue
from tefu_eligibility.catalogue.duties import CompiledDuty
from tefu_eligibility.catalogue.schema import (
    ContactDuty,
    DutyEvent,
    DutyFamilies,
    EventDuty,
    Festival,
    FestivalDuty,
    LiaisonDuty,
)
from tefu_eligibility.duties.festivals import (
    LUNAR_NAMES,
    NAMES,
    Occurrence,
    check_year,
    festival_date,
    festivals_of,
    occurrences,
)
from tefu_eligibility.household import to_date
from tefu_eligibility.policies.service import check_region_request

FAMILIES = {
    DutyFamilies.all: "全部计划生育特殊家庭",
    DutyFamilies.special_difficulty: "存在特殊困难的计划生育特殊家庭",
    DutyFamilies.family_doctor_signed: "与家庭医生签约的特殊家庭成员",
}

# What the registry records of each trigger: deaths are its life events; the rest it does not
# record, and a work list learns of them from the liaison who reports them.
TRIGGERS: dict[DutyEvent, tuple[str, str | None]] = {
    DutyEvent.child_died: ("子女亡故", "child_died"),
    DutyEvent.parent_died: ("父母亡故", "parent_died"),
    DutyEvent.accident: ("意外、突发事件", None),
    DutyEvent.serious_illness: ("重病", None),
    DutyEvent.disaster: ("受灾", None),
    DutyEvent.hardship: ("生产生活出现重大困难", None),
    DutyEvent.birthday: ("生日", None),
    DutyEvent.extreme_weather: ("极端恶劣天气", None),
}


def duties_view(catalogue: Catalogue, region: str, on: date) -> dict[str, Any]:
    check_region_request(region, on, field="region", location="query", date_field="on")
    duty_set = catalogue.duty_set(region)
    day_number = on.toordinal()
    duties, overridden = [], []
    for version, replaced in duty_set.on(day_number):
        duties.append(_duty_view(version, on, replaced))
        overridden.extend({"duty_id": r.duty_id, "by": version.duty_id} for r in replaced)
    return {
        "region": region,
        "region_name": region_table().full_name(region),
        "on": on,
        "catalogue_version": catalogue.version,
        "duties": duties,
        "overridden": overridden,
        "drafts": sorted({d["source"]["document"] for d in duties if d["source"]["draft"]}),
    }


def _duty_view(version: CompiledDuty, on: date, replaced: list[CompiledDuty]) -> dict[str, Any]:
    duty, layer = version.duty, version.layer
    document = layer.file.document
    view: dict[str, Any] = {
        "id": duty.id,
        "duty_id": version.duty_id,
        "kind": duty.kind.value,
        "name": duty.name,
        "applies_to": duty.applies_to.value,
        "applies_to_name": FAMILIES[duty.applies_to],
        "values": _values(duty),
        "defaults": [d.model_dump() for d in duty.defaults],
        "source": {"document": document.number, "title": document.title, "issuer": document.issuer,
                   "clause": duty.clause, "quote": duty.quote, "region_code": layer.region,
                   "file": f"{layer.name}.yaml", "draft": layer.draft},
        "effective_from": to_date(version.start),
        "effective_to": to_date(version.end),
        "replaces": [r.duty_id for r in replaced],
        "festivals": None,
        "note": duty.note,
    }
    if isinstance(duty, FestivalDuty):
        view["festivals"] = [_occurrence_view(o, version) for o in occurrences(duty.festival, duty.window, on)]
    return view


def _values(duty: Any) -> dict[str, Any]:
    if isinstance(duty, ContactDuty):
        return {"contact_kinds": [k.value for k in duty.contact_kinds], "min_count": duty.min_count,
                "per": duty.per.value}
    if isinstance(duty, FestivalDuty):
        return {"festival": duty.festival.value, "festival_name": NAMES[duty.festival],
                "window": {"before": duty.window.before, "after": duty.window.after}}
    if isinstance(duty, EventDuty):
        return {"triggers": [{"event": t.value, "name": TRIGGERS[t][0], "registry_event": TRIGGERS[t][1]}
                             for t in duty.triggers],
                "deadline_days": duty.deadline_days, "contact_kinds": [k.value for k in duty.contact_kinds]}
    assert isinstance(duty, LiaisonDuty)
    return {"posts": [p.value for p in duty.posts], "leader_posts": [p.value for p in duty.leader_posts],
            "contact_group": duty.contact_group, "fixed_contact": duty.fixed_contact}


def _occurrence_view(occurrence: Occurrence, version: CompiledDuty) -> dict[str, Any]:
    return {"festival": occurrence.festival.value, "year": occurrence.year, "date": occurrence.day,
            "window_from": occurrence.first, "window_to": occurrence.last,
            "outside_reason": _refusal(occurrence, version)}


def _refusal(occurrence: Occurrence, version: CompiledDuty) -> str:
    document = version.layer.file.document
    chosen = "；时间窗口文件未规定，为默认值" if any(d.value == "window" for d in version.duty.defaults) else ""
    return f"{occurrence.outside_reason()}。依据：{document.number} {version.duty.clause}{chosen}"


def festival_visit_check(catalogue: Catalogue, region: str, festival: Festival, visited_on: date) -> dict[str, Any]:
    """Whether a festival visit on the day counts for the region's duty, and if not, why."""
    check_region_request(region, visited_on, field="region", location="query", date_field="visited_on")
    _check_festival_year(visited_on.year)
    day_number = visited_on.toordinal()
    found = [v for v, _ in catalogue.duty_set(region).on(day_number)
             if isinstance(v.duty, FestivalDuty) and v.duty.festival is festival]
    if not found:
        return {"region": region, "festival": festival.value, "visited_on": visited_on, "admitted": True,
                "duty_id": None, "festival_date": None, "window_from": None, "window_to": None,
                "reason": f"本地区在{visited_on.isoformat()}没有{NAMES[festival]}走访职责，不受时间窗口限制"}
    version = found[0]
    duty = version.duty
    assert isinstance(duty, FestivalDuty)
    # The visit belongs to the nearest festival: a wide window before 春节 can start in December.
    candidates = [Occurrence(festival, year, festival_date(festival, year), duty.window)
                  for year in (visited_on.year - 1, visited_on.year, visited_on.year + 1)]
    nearest = min(candidates, key=lambda o: abs((o.day - visited_on).days))
    admitted = nearest.admits(visited_on)
    return {"region": region, "festival": festival.value, "visited_on": visited_on, "admitted": admitted,
            "duty_id": version.duty_id, "festival_date": nearest.day, "window_from": nearest.first,
            "window_to": nearest.last,
            "reason": None if admitted else f"{visited_on.isoformat()}的走访不计入：{_refusal(nearest, version)}"}


def _check_festival_year(year: int) -> None:
    # The visit's neighbouring years are looked at too, so the range is one year narrower each side.
    try:
        check_year(year - 1)
        check_year(year + 1)
    except Invalid as problem:
        raise ValidationFailed([problem.error("visited_on", location="query")]) from None


def festivals_view(year: int) -> dict[str, Any]:
    try:
        check_year(year)
    except Invalid as problem:
        raise ValidationFailed([problem.error("year", location="query")]) from None
    return {"year": year, "festivals": [
        {"festival": festival.value, "name": NAMES[festival], "lunar_date": LUNAR_NAMES[festival], "date": day}
        for festival, day in festivals_of(year)], "calendar": "lunar-python"}
