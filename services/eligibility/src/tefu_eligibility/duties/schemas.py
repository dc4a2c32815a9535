"""Responses of the duties and festivals endpoints."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

_SOURCE = {"document": "鄂卫生计生通〔2016〕89号", "title": "强化全省计划生育特殊家庭扶助工作专项行动实施方案",
           "issuer": "湖北省卫生和计划生育委员会", "clause": "附件2（帮扶关怀·走访慰问）",
           "quote": "春节、端午、中秋传统节日未走访慰问的，1例扣2分，本项分数扣完为止。", "region_code": "420000",
           "file": "420000-hubei.yaml", "draft": False}

DUTIES_EXAMPLE = {
    "region": "420102", "region_name": "湖北省武汉市江岸区", "on": "2026-09-01", "catalogue_version": "1a6b575a8f864868",
    "duties": [
        {"id": "contact.phone_call", "duty_id": "420000/420000-hubei/contact.phone_call", "kind": "contact",
         "name": "每周电话联系联系对象至少1次", "applies_to": "all", "applies_to_name": "全部计划生育特殊家庭",
         "values": {"contact_kinds": ["phone_call"], "min_count": 1, "per": "week"}, "defaults": [],
         "source": _SOURCE | {"clause": "附件3（帮扶关怀·联系人帮扶）", "quote": "每周要电话联系联系对象至少1次，每月要登门走访联系对象至少2次"},
         "effective_from": "2016-08-26", "effective_to": None, "replaces": [], "festivals": None, "note": None},
        {"id": "festival.mid_autumn", "duty_id": "420000/420000-hubei/festival.mid_autumn", "kind": "festival_visit",
         "name": "中秋节走访慰问", "applies_to": "all", "applies_to_name": "全部计划生育特殊家庭",
         "values": {"festival": "mid_autumn", "festival_name": "中秋节", "window": {"before": 7, "after": 7}},
         "defaults": [{"value": "window", "note": "文件未规定走访的时间窗口：默认节前7天至节后7天"}],
         "source": _SOURCE, "effective_from": "2016-08-26", "effective_to": None, "replaces": [],
         "festivals": [
             {"festival": "mid_autumn", "year": 2026, "date": "2026-09-25", "window_from": "2026-09-18",
              "window_to": "2026-10-02",
              "outside_reason": "2026年中秋节为2026-09-25，节日走访须在2026-09-18至2026-10-02之间（节前7天至节后7天）。"
                                "依据：鄂卫生计生通〔2016〕89号 附件2（帮扶关怀·走访慰问）；时间窗口文件未规定，为默认值"},
             {"festival": "mid_autumn", "year": 2027, "date": "2027-09-15", "window_from": "2027-09-08",
              "window_to": "2027-09-22", "outside_reason": "2027年中秋节为2027-09-15，……"}],
         "note": None},
    ],
    "overridden": [],
    "drafts": [],
}


class OccurrenceOut(BaseModel):
    festival: str = Field(description="spring (春节), dragon_boat (端午) or mid_autumn (中秋).")
    year: int
    date: dt.date = Field(description="The festival's Gregorian date, from the lunar calendar.")
    window_from: dt.date = Field(description="First day a visit counts for it.")
    window_to: dt.date = Field(description="Last day a visit counts for it.")
    outside_reason: str = Field(description="In Chinese: why a visit outside the window does not count, for the refusal.")


class DutyOut(BaseModel):
    id: str = Field(description="The duty's name across levels: a lower level's duty of the same id replaces this one.")
    duty_id: str = Field(description="region/file/id: which document's version this is.")
    kind: str = Field(description="contact, festival_visit, event_visit or liaisons.")
    name: str = Field(description="What is to be done, in Chinese.")
    applies_to: str = Field(description="all, special_difficulty (湖北 三（四）) or family_doctor_signed (嘉定 三（一）2).")
    applies_to_name: str
    values: dict[str, Any] = Field(description=(
        "By kind. contact: contact_kinds (home_visit, phone_call, online, festival_visit, family_doctor), min_count, "
        "per (week, month, quarter, year). festival_visit: festival, festival_name, window {before, after} in days. "
        "event_visit: triggers [{event, name, registry_event}] (registry_event: the registry's life event kind, or "
        "null where the registry records no such event), deadline_days, contact_kinds. liaisons: posts (township, "
        "village, county_leader), leader_posts (to be held by a leading cadre), contact_group, fixed_contact."))
    defaults: list[dict[str, str]] = Field(
        description="The values the document does not give, chosen by the catalogue: [{value, note}].")
    source: dict[str, Any] = Field(description="document, title, issuer, clause, quote, region_code, file, draft.")
    effective_from: dt.date | None
    effective_to: dt.date | None
    replaces: list[str] = Field(description="duty_ids of upper levels' versions this one replaces on the day.")
    festivals: list[OccurrenceOut] | None = Field(
        description="For a festival visit: this year's and next year's festival with the window around each.")
    note: str | None


class DutiesOut(BaseModel):
    model_config = {"json_schema_extra": {"examples": [DUTIES_EXAMPLE]}}

    region: str
    region_name: str | None
    on: dt.date
    catalogue_version: str = Field(description="Content hash of the catalogue files (and overlays) answered from.")
    duties: list[DutyOut]
    overridden: list[dict[str, str]] = Field(description="[{duty_id, by}]: upper versions replaced on the day.")
    drafts: list[str] = Field(description="Draft documents (征求意见稿) a duty comes from.")


FESTIVALS_EXAMPLE = {"year": 2026, "calendar": "lunar-python", "festivals": [
    {"festival": "spring", "name": "春节", "lunar_date": "正月初一", "date": "2026-02-17"},
    {"festival": "dragon_boat", "name": "端午节", "lunar_date": "五月初五", "date": "2026-06-19"},
    {"festival": "mid_autumn", "name": "中秋节", "lunar_date": "八月十五", "date": "2026-09-25"}]}


class FestivalOut(BaseModel):
    festival: str
    name: str
    lunar_date: str
    date: dt.date


class FestivalsOut(BaseModel):
    model_config = {"json_schema_extra": {"examples": [FESTIVALS_EXAMPLE]}}

    year: int
    calendar: str = Field(description="The lunar-calendar library the dates come from.")
    festivals: list[FestivalOut]


VISIT_CHECK_EXAMPLE = {
    "region": "420102", "festival": "mid_autumn", "visited_on": "2026-10-05", "admitted": False,
    "duty_id": "420000/420000-hubei/festival.mid_autumn", "festival_date": "2026-09-25",
    "window_from": "2026-09-18", "window_to": "2026-10-02",
    "reason": "2026-10-05的走访不计入：2026年中秋节为2026-09-25，节日走访须在2026-09-18至2026-10-02之间（节前7天至节后7天）。"
              "依据：鄂卫生计生通〔2016〕89号 附件2（帮扶关怀·走访慰问）；时间窗口文件未规定，为默认值"}


class FestivalVisitOut(BaseModel):
    model_config = {"json_schema_extra": {"examples": [VISIT_CHECK_EXAMPLE]}}

    region: str
    festival: str
    visited_on: dt.date
    admitted: bool = Field(description="Whether the visit falls in the window of the region's duty for the festival "
                                       "(true too when the region has no such duty).")
    duty_id: str | None = Field(description="The duty checked against; null when the region has none for the festival.")
    festival_date: dt.date | None = Field(description="The festival the visit belongs to (the nearest one).")
    window_from: dt.date | None
    window_to: dt.date | None
    reason: str | None = Field(description="In Chinese: why the visit is outside the window (null when admitted), "
                                           "or that no duty restricts it.")
