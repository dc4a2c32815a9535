"""Liaison assignments and contact records."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tefu_registry.families.schemas import NAME_PATTERN, PHONE_PATTERN


class Post(StrEnum):
    township = "township"  # 街镇 cadre
    village = "village"  # village or residents' committee cadre


class LiaisonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    post: Post
    name: str = Field(pattern=NAME_PATTERN)
    phone: str = Field(pattern=PHONE_PATTERN)
    unit: str = Field(min_length=2, max_length=128, description="Work unit, e.g. 南郊镇卫生健康办公室.")
    assigned_on: date


class LiaisonsAssign(BaseModel):
    """Assign one or both posts; a post already held is handed over (the old liaison's period ends)."""

    model_config = ConfigDict(extra="forbid")

    liaisons: list[LiaisonIn] = Field(min_length=1, max_length=2)

    @model_validator(mode="after")
    def _one_per_post(self) -> LiaisonsAssign:
        posts = [l.post for l in self.liaisons]
        if len(posts) != len(set(posts)):
            raise ValueError("each post (township, village) at most once")
        return self


class LiaisonOut(BaseModel):
    id: int
    post: Post
    name: str
    phone: str
    unit: str
    assigned_on: date
    ended_on: date | None
    assigned_by: str


class ContactKind(StrEnum):
    home_visit = "home_visit"
    phone_call = "phone_call"
    online = "online"
    festival_visit = "festival_visit"


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ContactKind
    festival: Literal["spring", "dragon_boat", "mid_autumn"] | None = Field(
        None, description="For festival visits: 春节, 端午 or 中秋."
    )
    contacted_on: date
    contacted_by: str = Field(min_length=1, max_length=64, description="Who made the contact.")
    liaison_id: int | None = Field(None, description="The liaison who made it, if one of the family's.")
    findings: str = Field(min_length=1, max_length=2000, description="What was found (health, living conditions, needs).")
    help_given: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _festival(self) -> ContactIn:
        if (self.kind == ContactKind.festival_visit) != (self.festival is not None):
            raise ValueError("a festival visit names its festival, and only a festival visit does")
        return self


class ContactOut(BaseModel):
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
