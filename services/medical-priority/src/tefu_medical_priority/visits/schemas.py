"""A visit as a hospital records it, and as the log shows it."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field

from tefu_common.money import MoneyDecimal, NonNegativeMoney
from tefu_medical_priority.cards.vocabulary import Fee, Service


class WaiverIn(BaseModel):
    fee: Fee
    amount: NonNegativeMoney = Field(description="Yuan waived, as a decimal string (\"4.50\").")


class VisitIn(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{
        "card_no": "42010248219305716", "department": "内科门诊", "services": ["registration", "consultation", "pharmacy"],
        "waivers": [{"fee": "outpatient_registration", "amount": "4.50"}], "visited_at": "2026-12-01T09:30:00+08:00"}]}}

    card_no: str = Field(examples=["42010248219305716"])
    department: str = Field(min_length=1, max_length=64, examples=["内科门诊"])
    services: list[Service] = Field(min_length=1, max_length=20, description="What was given first (ambulance: a free 120 run).")
    waivers: list[WaiverIn] = Field(default_factory=list, max_length=20, description="Fees waived at this visit.")
    visited_at: AwareDatetime = Field(description="When the holder was served, with its offset (+08:00).")


class VisitOut(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{
        "id": 1, "card_no": "42010248219305716", "hospital_code": "H420106001", "department": "内科门诊",
        "services": ["registration", "consultation", "pharmacy"],
        "waivers": [{"fee": "outpatient_registration", "amount": "4.50"}], "waived_total": "4.50",
        "visited_at": "2026-12-01T01:30:00Z", "recorded_at": "2026-12-01T01:31:02Z"}]}}

    id: int
    card_no: str
    hospital_code: str
    department: str
    services: list[str]
    waivers: list[WaiverIn]
    waived_total: MoneyDecimal
    visited_at: datetime
    recorded_at: datetime
