"""What a hospital's HIS is told about a card: an explicit allow-list, nothing more.

Never the full ID number, bank data, the child's fate, disability details or the family's
composition: a test asserts the exact set of keys, so adding a field is a deliberate act.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from tefu_common.resident_id import ResidentIdStr


class DeskHolder(BaseModel):
    name: str = Field(description="Masked: 张*三 (first and last character).", examples=["李*英"])
    sex: Literal["female", "male"] | None
    birth_year: int | None
    id_last4: str | None = Field(description="The last four characters of the ID number, to match the person at the desk.")


class NamedCode(BaseModel):
    code: str
    name: str


class FeeWaiver(BaseModel):
    fee: str = Field(description="emergency_registration, outpatient_registration, emergency_infusion, outpatient_infusion")
    name: str


class CardCheck(BaseModel):
    card_no: str
    valid: bool = Field(description="The card may be honoured now: active and not past its last valid day.")
    status: Literal["active", "suspended", "revoked", "expired"]
    reason: Literal["replaced", "reported_lost", "expired", "suspended", "no_longer_eligible"] | None = Field(
        description="Why a card is not valid (null when it is); never whether the holder died.")
    holder: DeskHolder
    region_code: str = Field(description="The holder's county (户籍).")
    region_name: str | None
    services: list[NamedCode] = Field(description="What the green channel gives first under the holder's rules.")
    privileges: list[NamedCode] = Field(description="The holder's hospital privileges (green channel, fee waiver, free "
                                                    "120 ambulance, yearly health check).")
    fee_waivers: list[FeeWaiver] = Field(description="The fees waived at the calling hospital for this holder.")
    free_ambulance: bool = Field(description="A free 120 ambulance if the holder needs emergency care and cannot pay.")
    valid_until: date


class VerifyIn(BaseModel):
    card_no: str | None = Field(None, description="A card number as typed or read from the card.")
    qr: str | None = Field(None, description="The scanned QR payload of an e-card (a compact JWS).")

    @model_validator(mode="after")
    def _one(self) -> VerifyIn:
        if (self.card_no is None) == (self.qr is None):
            raise ValueError("send exactly one of card_no and qr")
        return self


class IdLookupIn(BaseModel):
    name: str = Field(min_length=1, max_length=64, description="The holder's full name, as on the ID card.")
    id_number: ResidentIdStr = Field(description="The holder's 18-character ID number (15-digit numbers are converted).")
