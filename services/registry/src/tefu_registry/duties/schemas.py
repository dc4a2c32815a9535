"""Answers of the work lists (``/v1/liaison-duties``) and compliance (``/v1/liaison-compliance``)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_SOURCE = {"document": "鄂卫生计生通〔2016〕89号", "clause": "附件3（帮扶关怀·联系人帮扶）"}
_OVERDUE = {
    "id": "contact.phone_call", "duty_id": "420000/420000-hubei/contact.phone_call", "kind": "contact",
    "name": "每周电话联系联系对象至少1次", "status": "overdue", "since": "2026-09-09", "due_by": "2026-09-08",
    "last_contact_on": "2026-09-01", "festival": None, "event": None, "missing_posts": None,
    "reason": "上次电话联系为2026-09-01；按“每周至少1次电话联系”，应在2026-09-08前联系，已逾期3天", "source": _SOURCE}
_MISSING = {
    "id": "liaisons", "duty_id": "420000/420000-hubei/liaisons", "kind": "liaisons",
    "name": "每户确定一名乡镇（街道）领导干部和一名村（居）委会干部作为“双岗”联系人", "status": "missing_liaison",
    "since": None, "due_by": None, "last_contact_on": None, "festival": None, "event": None,
    "missing_posts": ["village"], "reason": "缺少村（居）联系人", "source": {**_SOURCE, "clause": "三（四）"}}


class WorkStatus(StrEnum):
    overdue = "overdue"
    due = "due"
    outstanding = "outstanding"
    missing_liaison = "missing_liaison"


class DutyItem(BaseModel):
    id: str = Field(description="The duty's id in the catalogue (contact.phone_call, festival.mid_autumn …).")
    duty_id: str = Field(description="region/file/id: which document's version applies.")
    kind: str = Field(description="contact, festival_visit, event_visit, liaisons, or review_task (a bank's return "
                                   "opened a review task for a member: `reason` says what to do).")
    name: str = Field(description="The duty, in Chinese.")
    status: str = Field(description=(
        "met; due (falls due within 7 days, or a festival window about to open); overdue (since the day in "
        "`since`); outstanding (a festival window open, or an event visit within its deadline, not yet made); "
        "missed (a festival window closed without a visit); missing_liaison (posts in `missing_posts`); "
        "not_computable (the register cannot tell which families it applies to)."))
    since: date | None = Field(description="First day overdue.")
    due_by: date | None = Field(description="Last day to meet the duty (window end, deadline, next contact due).")
    last_contact_on: date | None = Field(description="The latest qualifying contact.")
    festival: dict[str, Any] | None = Field(description="festival, name, date, window_from, window_to.")
    event: dict[str, Any] | None = Field(description="The triggering event: kind, name, occurred_on.")
    missing_posts: list[str] | None = Field(description="township, village, county_leader (or any: one fixed contact).")
    reason: str = Field(description="Why, in Chinese, with the dates.")
    source: dict[str, Any] = Field(description="document and clause the duty comes from.")


class LiaisonShort(BaseModel):
    id: int
    post: str
    name: str


class WorkListFamily(BaseModel):
    family_id: int
    region_code: str
    head_name: str = Field(description="The parents' names, masked.")
    liaisons: list[LiaisonShort] = Field(description="Current liaisons (officials: names in full).")
    open: list[DutyItem] = Field(description="The family's open items, overdue first.")


class WorkList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "region": "420116", "as_of": "2026-09-11", "catalogue_version": "2cd7572dea51c012",
        "counts": {"families": 1, "overdue": 1, "due": 0, "outstanding": 0, "missing_liaison": 1},
        "items": [{"family_id": 12, "region_code": "420116", "head_name": "张*、李*英",
                   "liaisons": [{"id": 3, "post": "township", "name": "赵敏"}], "open": [_OVERDUE, _MISSING]}],
        "next_cursor": None}]})

    region: str
    as_of: date
    catalogue_version: str | None = Field(description="The duty catalogue version checked against (null: no family).")
    counts: dict[str, int] = Field(description="Over the whole region (all pages): families with an open item, and "
                                               "open items by status.")
    items: list[WorkListFamily]
    next_cursor: str | None


class FamilyDuties(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "family_id": 12, "region_code": "420116", "as_of": "2026-09-11", "catalogue_version": "2cd7572dea51c012",
        "duties": [_OVERDUE, _MISSING]}]})

    family_id: int
    region_code: str
    as_of: date
    catalogue_version: str
    duties: list[DutyItem]


class MissedFamily(BaseModel):
    family_id: int
    head_name: str
    reason: str


class DutyFigure(BaseModel):
    duty_id: str
    id: str
    kind: str
    name: str
    festival: dict[str, Any] | None = Field(description="For a festival visit: festival, name, date, window_from, "
                                                        "window_to (each festival of the period is its own row).")
    source: dict[str, Any] = Field(description="document, clause, quote.")
    computable: bool = Field(description="False when the register cannot tell which families the duty applies to.")
    note: str | None
    families_due: int = Field(description="Families (for event visits: family-events) the duty applied to.")
    families_met: int
    missed: int
    pending: int = Field(description="Still within the window or deadline on `as_of`.")
    share_percent: str | None = Field(description="families_met / families_due, one decimal; null when none due.")
    missed_families: list[MissedFamily] = Field(description="At most 100, with the reason.")
    missed_more: int = Field(description="Missed families beyond those listed.")


class Compliance(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "region": "420116", "period": "2026-09", "as_of": "2026-09-30", "families": 3,
        "catalogue_version": "2cd7572dea51c012",
        "liaisons": {"families_with_liaison": 2, "families_without": 1},
        "contacts": {"contacts": 5, "families_with_contact": 2,
                     "by_kind": {"phone_call": {"contacts": 4, "families": 2}, "home_visit": {"contacts": 1, "families": 1}}},
        "duties": [{"duty_id": "420000/420000-hubei/festival.mid_autumn", "id": "festival.mid_autumn",
                    "kind": "festival_visit", "name": "中秋节走访慰问",
                    "festival": {"festival": "mid_autumn", "name": "中秋节", "date": "2026-09-25",
                                 "window_from": "2026-09-18", "window_to": "2026-10-02"},
                    "source": {"document": "鄂卫生计生通〔2016〕89号", "clause": "附件2（帮扶关怀·走访慰问）",
                               "quote": "春节、端午、中秋传统节日未走访慰问的，1例扣2分，本项分数扣完为止。"},
                    "computable": True, "note": None, "families_due": 3, "families_met": 2, "missed": 0, "pending": 1,
                    "share_percent": "66.7", "missed_families": [], "missed_more": 0}]}]})

    region: str
    period: str
    as_of: date = Field(description="The period's last day, or today while the period runs.")
    families: int = Field(description="Special families of the region in the register's care by `as_of`.")
    catalogue_version: str | None
    liaisons: dict[str, int] = Field(description="families_with_liaison (at least one current liaison), families_without.")
    contacts: dict[str, Any] = Field(description=(
        "contacts recorded in the period, families_with_contact, and by_kind {kind: {contacts, families}} — "
        "by_kind.family_doctor.families is the families a family doctor followed up (嘉定 应签尽签)."))
    duties: list[DutyFigure]
