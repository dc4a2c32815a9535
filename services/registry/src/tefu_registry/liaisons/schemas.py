"""Liaison assignments and contact records."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tefu_common.errors import Invalid
from tefu_registry.families.schemas import NAME_PATTERN, PHONE_PATTERN

_LIAISON_EXAMPLE = {"id": 7, "post": "village", "name": "孙丽", "phone": "13700000003", "unit": "某村村委会",
                    "assigned_on": "2024-03-01", "ended_on": None, "assigned_by": "clerk-zhoucun-3"}


class Post(StrEnum):
    township = "township"  # 街镇 cadre
    village = "village"  # village or residents' committee cadre
    county_leader = "county_leader"  # 县级领导干部, for families in special difficulty (湖北 三（四）)


class LiaisonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    post: Post
    name: str = Field(pattern=NAME_PATTERN)
    phone: str = Field(pattern=PHONE_PATTERN)
    unit: str = Field(min_length=2, max_length=128, description="Work unit, e.g. 南郊镇卫生健康办公室.")
    assigned_on: date


class LiaisonsAssign(BaseModel):
    """Assign one or both posts; a post already held is handed over (the old liaison's period ends)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"liaisons": [
        {"post": "township", "name": "赵敏", "phone": "13700000001", "unit": "南郊镇卫生健康办公室", "assigned_on": "2024-03-01"},
        {"post": "village", "name": "孙丽", "phone": "13700000003", "unit": "某村村委会", "assigned_on": "2024-03-01"},
    ]}]})

    liaisons: list[LiaisonIn] = Field(min_length=1, max_length=3)

    @model_validator(mode="after")
    def _one_per_post(self) -> LiaisonsAssign:
        posts = [l.post for l in self.liaisons]
        if len(posts) != len(set(posts)):
            raise Invalid("post-repeated", "每个岗位（街镇、村居、县级领导）最多出现一次",
                          "each post (township, village, county leader) at most once")
        return self


class LiaisonOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_LIAISON_EXAMPLE]})

    id: int
    post: Post
    name: str
    phone: str
    unit: str
    assigned_on: date
    ended_on: date | None
    assigned_by: str


class LiaisonsAssigned(BaseModel):
    """Every liaison of the family after the hand-over, current and past."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"liaisons": [
        {**_LIAISON_EXAMPLE, "id": 5, "name": "钱进", "phone": "13700000002", "assigned_on": "2023-01-01",
         "ended_on": "2024-02-29"}, _LIAISON_EXAMPLE]}]})

    liaisons: list[LiaisonOut]


class ContactKind(StrEnum):
    home_visit = "home_visit"
    phone_call = "phone_call"
    online = "online"
    festival_visit = "festival_visit"
    family_doctor = "family_doctor"  # 家庭医生随访 (嘉定 三（一）2)


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "kind": "festival_visit", "festival": "mid_autumn", "contacted_on": "2024-09-17", "contacted_by": "赵敏",
        "liaison_id": 7, "findings": "身体尚可，独居", "help_given": "送月饼，协助预约体检",
    }]})

    kind: ContactKind
    festival: Literal["spring", "dragon_boat", "mid_autumn"] | None = Field(
        None, description="For festival visits: 春节, 端午 or 中秋."
    )
    contacted_on: date
    contacted_by: str = Field(min_length=1, max_length=64, description="Who made the contact.")
    liaison_id: int | None = Field(None, description=(
        "The liaison who made it, one of the family's serving that day. Omitted, it is found from `contacted_by` "
        "when that names a liaison of the family serving on `contacted_on`."))
    findings: str = Field(min_length=1, max_length=2000, description="What was found (health, living conditions, needs).")
    help_given: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _festival(self) -> ContactIn:
        if (self.kind == ContactKind.festival_visit) != (self.festival is not None):
            raise Invalid("festival-mismatch", "节日走访须注明节日，其他联系方式不填节日",
                          "a festival visit names its festival, and only a festival visit does")
        return self


class ContactOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 3, "kind": "festival_visit", "festival": "mid_autumn", "contacted_on": "2024-09-17", "contacted_by": "赵敏",
        "liaison_id": 7, "findings": "身体尚可，独居", "help_given": "送月饼，协助预约体检",
        "recorded_by": "clerk-zhoucun-3", "recorded_at": "2024-09-18T02:10:00Z",
    }]})

    id: int
    kind: ContactKind
    festival: str | None
    contacted_on: date
    contacted_by: str
    liaison_id: int | None
    findings: str
    help_given: str | None
    recorded_by: str
    recorded_at: datetime
