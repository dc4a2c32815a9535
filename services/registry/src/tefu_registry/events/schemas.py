"""The kinds of life event and what each must carry.

Events are the only way the facts that decide eligibility change: a death, a disability
certificate, a later child, a move of hukou. They are append-only; a mistake is fixed by a
``correction`` event that replaces or voids the earlier one, and both stay on record.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tefu_common.regions import RegionCodeStr


class EventKind(StrEnum):
    child_died = "child_died"
    disability_certified = "disability_certified"
    disability_level_changed = "disability_level_changed"
    child_recovered = "child_recovered"
    parent_died = "parent_died"
    later_child_born = "later_child_born"
    later_child_adopted = "later_child_adopted"
    divorced = "divorced"
    remarried = "remarried"
    hukou_moved = "hukou_moved"
    low_income_began = "low_income_began"
    low_income_ended = "low_income_ended"
    extreme_poverty_began = "extreme_poverty_began"
    extreme_poverty_ended = "extreme_poverty_ended"
    correction = "correction"


class DisabilityCategory(StrEnum):
    """The category digit of a disability certificate (残疾人证), GB/T 26341."""

    visual = "1"  # 视力
    hearing = "2"  # 听力
    speech = "3"  # 言语
    physical = "4"  # 肢体
    intellectual = "5"  # 智力
    mental = "6"  # 精神
    multiple = "7"  # 多重


class _Event(BaseModel):
    occurred_on: date = Field(description="The day it happened (not the day it was recorded).")
    note: str | None = Field(None, max_length=500)


class ChildDied(_Event):
    kind: Literal["child_died"]


class DisabilityCertified(_Event):
    kind: Literal["disability_certified"]
    category: DisabilityCategory
    level: int = Field(ge=1, le=4, description="1 (most severe) to 4; levels 1–3 make a special family.")
    certificate_no: str = Field(
        pattern=r"^\d{17}[\dXx]\d{2}$",
        description="20 characters: the child's 18-character ID number, the category digit, the level digit.",
    )

    @field_validator("certificate_no")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class DisabilityLevelChanged(_Event):
    kind: Literal["disability_level_changed"]
    level: int = Field(ge=1, le=4)
    certificate_no: str | None = Field(None, pattern=r"^\d{17}[\dXx]\d{2}$")


class ChildRecovered(_Event):
    kind: Literal["child_recovered"]


class ParentDied(_Event):
    kind: Literal["parent_died"]
    member: Literal["mother", "father"]


# A later child of one parent only (after a divorce, with a new spouse) names that parent; without
# ``member`` it is the couple's. Only a parent's own or the couple's later child ends that parent's
# eligibility.
_LATER_CHILD_PARENT = Field(None, description="mother or father: the child of that parent alone (born or adopted "
                                              "with a new spouse); omitted: the couple's child.")


class LaterChildBorn(_Event):
    kind: Literal["later_child_born"]
    assisted_reproduction: bool = Field(False, description="Born after assisted reproduction (IVF and the like).")
    member: Literal["mother", "father"] | None = _LATER_CHILD_PARENT


class LaterChildAdopted(_Event):
    kind: Literal["later_child_adopted"]
    member: Literal["mother", "father"] | None = _LATER_CHILD_PARENT


class Divorced(_Event):
    """The only child's parents divorced (the marriage between them ended)."""

    kind: Literal["divorced"]


class Remarried(_Event):
    """A parent married again after a divorce or the spouse's death."""

    kind: Literal["remarried"]
    member: Literal["mother", "father"]


class HukouMoved(_Event):
    kind: Literal["hukou_moved"]
    to_region: RegionCodeStr = Field(description="GB/T 2260 code of the new hukou region (county or finer).")


class LowIncomeBegan(_Event):
    kind: Literal["low_income_began"]


class LowIncomeEnded(_Event):
    kind: Literal["low_income_ended"]


class ExtremePovertyBegan(_Event):
    kind: Literal["extreme_poverty_began"]


class ExtremePovertyEnded(_Event):
    kind: Literal["extreme_poverty_ended"]


FactEvent = Annotated[
    Union[
        ChildDied, DisabilityCertified, DisabilityLevelChanged, ChildRecovered, ParentDied, LaterChildBorn,
        LaterChildAdopted, Divorced, Remarried, HukouMoved, LowIncomeBegan, LowIncomeEnded, ExtremePovertyBegan,
        ExtremePovertyEnded,
    ],
    Field(discriminator="kind"),
]


class Correction(BaseModel):
    kind: Literal["correction"]
    corrects_event_id: int = Field(description="The event being corrected.")
    reason: str = Field(min_length=2, max_length=500, description="Why the earlier entry was wrong.")
    replacement: FactEvent | None = Field(
        None, description="The event as it should have been (same kind); omit to void the earlier event."
    )


EventIn = Annotated[Union[FactEvent, Correction], Field(discriminator="kind")]


class EventOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 41, "kind": "child_died", "occurred_on": "2019-03-10", "member": "child", "details": {},
        "certificate_no": None, "corrects_event_id": None, "note": "死亡医学证明 2019-0310",
        "recorded_at": "2026-11-23T08:15:02Z", "recorded_by": "clerk-zhoucun-3", "in_effect": True,
    }]})

    id: int
    kind: EventKind
    occurred_on: date
    member: str | None
    details: dict[str, Any]
    certificate_no: str | None = Field(None, description="Masked unless the caller may see ID numbers.")
    corrects_event_id: int | None
    note: str | None
    recorded_at: datetime
    recorded_by: str
    in_effect: bool = Field(description="False once a later correction replaced or voided it.")


# Request examples of POST /v1/families/{family_id}/events, one per common case.
EVENT_EXAMPLES = {
    "child_died": {"summary": "独生子女死亡", "value": {"kind": "child_died", "occurred_on": "2019-03-10",
                                                     "note": "死亡医学证明 2019-0310"}},
    "disability_certified": {"summary": "独生子女取得残疾人证（三级肢体）", "value": {
        "kind": "disability_certified", "occurred_on": "2015-06-01", "category": "4", "level": 3,
        "certificate_no": "37030619900501001343"}},
    "parent_died": {"summary": "父亲去世", "value": {"kind": "parent_died", "occurred_on": "2021-06-30",
                                                 "member": "father"}},
    "remarried": {"summary": "母亲离婚后再婚", "value": {"kind": "remarried", "occurred_on": "2016-05-20",
                                                  "member": "mother"}},
    "later_child_of_one_parent": {"summary": "父亲与再婚配偶生育子女（只影响父亲本人）", "value": {
        "kind": "later_child_born", "occurred_on": "2018-09-01", "member": "father"}},
    "hukou_moved": {"summary": "户口迁往张店区", "value": {"kind": "hukou_moved", "occurred_on": "2020-07-01",
                                                     "to_region": "370303"}},
    "correction": {"summary": "更正一条登记错的事件（日期抄错）", "value": {
        "kind": "correction", "corrects_event_id": 41, "reason": "死亡日期抄错，以死亡医学证明为准",
        "replacement": {"kind": "child_died", "occurred_on": "2019-04-10"}}},
    "void": {"summary": "作废一条登错家庭的事件", "value": {"kind": "correction", "corrects_event_id": 42,
                                                 "reason": "登记到了别的家庭"}},
}


class StatusReason(BaseModel):
    code: str = Field(description="Stable machine code: child_died, child_disabled, later_child_born, no_living_parent ...")
    on: date | None
    detail: str = Field(description="The reason for a person, in the language of the request.")


class SpecialFamilyStatus(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "as_of": "2026-11-23", "special_family": True, "basis": "child_died",
        "reasons": [{"code": "child_died", "on": "2019-03-10", "detail": "独生子女死亡"}],
    }]})

    as_of: date
    special_family: bool
    basis: Literal["child_died", "child_disabled"] | None
    reasons: list[StatusReason] = Field(description="The facts that made the family a special family or not.")
