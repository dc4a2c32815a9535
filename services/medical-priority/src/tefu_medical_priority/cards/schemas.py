"""Cards as clerks and inspectors see them, and the requests that change them."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from tefu_medical_priority.cards.vocabulary import ReissueReason, RevokeReason


class HolderOut(BaseModel):
    member_id: int
    family_id: int
    role: str = Field(description="mother, father or child")
    name: str = Field(description="In full for clerks and admins of the region, masked for others.")
    sex: str | None
    birth_year: int | None
    id_last4: str | None


class CardRecord(BaseModel):
    card_no: str
    status: str = Field(description="active, suspended, revoked or expired (as of today)")
    status_reason: str | None = Field(description="qualified, suspended, reinstated, death, eligibility_lost, replaced, "
                                                  "lost, clerk_decision, expired …")
    status_note: str | None
    holder: HolderOut
    region_code: str
    issued_on: date
    valid_until: date
    services: list[str]
    privileges: list[str]
    rule_citation: str | None
    replaces: str | None = Field(description="The card number this one replaced (reissue).")
    issued_by: str = Field(description="sync (the change-feed follower) or the clerk who issued it")
    created_at: datetime
    updated_at: datetime


class CardEventOut(BaseModel):
    from_status: str | None
    to_status: str
    reason: str
    note: str | None
    actor: str
    at: datetime


class IssueIn(BaseModel):
    family_id: int
    member_id: int
    note: str | None = Field(None, max_length=300)


class NoteIn(BaseModel):
    note: str = Field(min_length=1, max_length=300, description="Why (kept in the card's history).")


class OptionalNoteIn(BaseModel):
    note: str | None = Field(None, max_length=300)


class RevokeIn(BaseModel):
    reason: RevokeReason
    note: str = Field(min_length=1, max_length=300)


class ReissueIn(BaseModel):
    reason: ReissueReason
    note: str | None = Field(None, max_length=300)


class ECardOut(BaseModel):
    card_no: str
    qr: str = Field(description="The QR payload: a compact JWS (EdDSA) verifiable with /.well-known/jwks.json.")
    kid: str
    valid_until: date
