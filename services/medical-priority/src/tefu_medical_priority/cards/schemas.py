"""Cards as clerks and inspectors see them, and the requests that change them."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from tefu_common.auth import Principal, Role
from tefu_common.calendar import today
from tefu_common.ids import MAX_ROW_ID
from tefu_common.masking import mask_name
from tefu_medical_priority.cards.repository import CardView
from tefu_medical_priority.cards.service import effective_status
from tefu_medical_priority.cards.vocabulary import ReissueReason, RevokeReason

CARD_EXAMPLE = {
    "card_no": "42010248219305716", "status": "active", "status_reason": None, "status_note": None,
    "holder": {"member_id": 1201, "family_id": 601, "role": "mother", "name": "李秀英", "sex": "female",
               "birth_year": 1965, "id_last4": "1024"},
    "region_code": "420102", "issued_on": "2026-12-01", "valid_until": "2031-11-30",
    "services": ["registration", "payment", "lab", "pharmacy", "admission"],
    "privileges": ["fee_waiver", "free_ambulance", "free_health_check"],
    "rule_citation": "鄂卫生计生通〔2016〕89号 三（三）", "replaces": None, "issued_by": "sync",
    "created_at": "2026-12-01T02:00:00Z", "updated_at": "2026-12-01T02:00:00Z",
}


class HolderOut(BaseModel):
    member_id: int
    family_id: int
    role: str = Field(description="mother, father or child")
    name: str = Field(description="In full for clerks and admins of the region, masked for others and in lists.")
    sex: str | None
    birth_year: int | None
    id_last4: str | None


class CardRecord(BaseModel):
    model_config = {"json_schema_extra": {"examples": [CARD_EXAMPLE]}}

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

    @classmethod
    def of(cls, view: CardView, caller: Principal, *, masked: bool = False) -> CardRecord:
        """The card for ``caller``: the holder's name in full for clerks and admins, unless ``masked``."""
        card = view.card
        full = not masked and caller.role in (Role.clerk, Role.admin)
        return cls(
            card_no=card.card_no, status=effective_status(card, today()), status_reason=card.status_reason,
            status_note=card.status_note,
            holder=HolderOut(member_id=card.member_id, family_id=card.family_id, role=card.holder_role,
                             name=card.holder_name if full else mask_name(card.holder_name), sex=card.sex,
                             birth_year=card.birth_year, id_last4=card.id_last4),
            region_code=card.region_code, issued_on=card.issued_on, valid_until=card.valid_until,
            services=card.services, privileges=card.privileges, rule_citation=card.rule_citation,
            replaces=view.replaces, issued_by=card.issued_by, created_at=card.created_at, updated_at=card.updated_at)


class CardEventOut(BaseModel):
    model_config = {"from_attributes": True, "json_schema_extra": {"examples": [{
        "from_status": "active", "to_status": "suspended", "reason": "suspended", "note": "持卡人申请暂停",
        "actor": "clerk-wang", "at": "2026-12-01T08:30:00Z"}]}}

    from_status: str | None
    to_status: str
    reason: str
    note: str | None
    actor: str
    at: datetime


class IssueIn(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{"family_id": 601, "member_id": 1201, "note": "复核后重新发卡"}]}}

    # Row ids in the registry: out of range is this service's own 422, not the registry's refusal.
    family_id: int = Field(ge=1, le=MAX_ROW_ID)
    member_id: int = Field(ge=1, le=MAX_ROW_ID)
    note: str | None = Field(None, max_length=300)


class NoteIn(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{"note": "持卡人申请暂停"}]}}

    note: str = Field(min_length=1, max_length=300, description="Why (kept in the card's history).")


class OptionalNoteIn(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{"note": "核实无误，恢复使用"}]}}

    note: str | None = Field(None, max_length=300)


class RevokeIn(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{"reason": "clerk_decision", "note": "重复登记"}]}}

    reason: RevokeReason
    note: str = Field(min_length=1, max_length=300)


class ReissueIn(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{"reason": "lost", "note": "卡片遗失"}]}}

    reason: ReissueReason
    note: str | None = Field(None, max_length=300)


class ECardOut(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{
        "card_no": "42010248219305716", "qr": "eyJhbGciOiJFZERTQSIsImtpZCI6ImVjYXJkLTEiLCJ0eXAiOiJ0ZWZ1LWVjYXJkK2p3dCJ9."
        "eyJjYXJkX25vIjoiNDIwMTAyNDgyMTkzMDU3MTYifQ.c2lnbmF0dXJl", "kid": "ecard-1", "valid_until": "2031-11-30"}]}}

    card_no: str
    qr: str = Field(description="The QR payload: a compact JWS (EdDSA) verifiable with /.well-known/jwks.json.")
    kid: str
    valid_until: date
