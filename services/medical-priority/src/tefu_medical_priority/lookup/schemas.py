"""What a hospital's HIS is told about a card: an explicit allow-list, nothing more.

Never the full ID number, bank data, the child's fate, disability details or the family's
composition: a test asserts the exact set of keys, so adding a field is a deliberate act. For a
holder with no guardian on record the family's liaisons are named, with their work contact (they
are cadres; nothing of the family comes with them).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from tefu_common.errors import Invalid
from tefu_common.resident_id import ResidentIdStr

CHECK_EXAMPLE = {
    "card_no": "42010248219305716", "valid": True, "status": "active", "reason": None, "reason_detail": None,
    "holder": {"name": "李*英", "sex": "female", "birth_year": 1965, "id_last4": "1024"},
    "region_code": "420102", "region_name": "湖北省武汉市江岸区",
    "services": [{"code": "registration", "name": "优先挂号"}, {"code": "payment", "name": "优先收费"}],
    "privileges": [{"code": "medical_priority", "name": "就医绿色通道"},
                   {"code": "fee_waiver", "name": "定点医疗机构免除挂号费、输液治疗费"}],
    "fee_waivers": [{"fee": "outpatient_registration", "name": "普通门诊挂号费"}],
    "free_ambulance": False, "valid_until": "2031-11-30",
    "liaisons": [{"post": "township", "post_name": "街镇联系人", "name": "赵敏", "work_phone": "13700000001",
                  "unit": "南郊镇卫生健康办公室"},
                 {"post": "village", "post_name": "村（居）联系人", "name": "孙丽", "work_phone": "13700000003",
                  "unit": "某村村委会"}],
    "liaison_reason": "登记中持卡人没有其他监护人：施行手术、特殊检查或特殊治疗需监护人签字时，可由家庭联系人签字",
}


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


class DeskLiaison(BaseModel):
    post: Literal["township", "village", "county_leader"] = Field(
        description="township: the 街镇 cadre; village: the 村（居）委会 cadre; county_leader: the county leader "
                    "(县级领导干部) in charge of the family.")
    post_name: str = Field(description="The post in words.", examples=["街镇联系人"])
    name: str = Field(description="The liaison's name, in full.", examples=["赵敏"])
    work_phone: str = Field(description="The liaison's work phone, in full.", examples=["13700000001"])
    unit: str = Field(description="The liaison's work unit.", examples=["南郊镇卫生健康办公室"])


class CardCheck(BaseModel):
    model_config = {"json_schema_extra": {"examples": [CHECK_EXAMPLE]}}

    card_no: str
    valid: bool = Field(description="The card may be honoured now: active and not past its last valid day.")
    status: Literal["active", "suspended", "revoked", "expired"]
    reason: Literal["replaced", "reported_lost", "expired", "suspended", "no_longer_eligible"] | None = Field(
        description="Why a card is not valid, as a stable code (null when it is); never whether the holder died.")
    reason_detail: str | None = Field(description="The reason in words for the desk (Chinese unless "
                                                  "`Accept-Language: en`); null when the card is valid.",
                                      examples=["此卡已失效，不能享受就医优先"])
    holder: DeskHolder
    region_code: str = Field(description="The holder's county (户籍).")
    region_name: str | None
    services: list[NamedCode] = Field(description="What the green channel gives first under the holder's rules.")
    privileges: list[NamedCode] = Field(description="The holder's hospital privileges (green channel, fee waiver, free "
                                                    "120 ambulance, yearly health check).")
    fee_waivers: list[FeeWaiver] = Field(description="The fees waived at the calling hospital for this holder.")
    free_ambulance: bool = Field(description="A free 120 ambulance if the holder needs emergency care and cannot pay.")
    valid_until: date
    liaisons: list[DeskLiaison] = Field(description=(
        "The family's current liaisons, who sign as guardian for surgery, special examinations and special "
        "treatment (湘政办发〔2023〕36号 item 12, 周政发〔2018〕85号 二（五）5): given only for a valid card whose "
        "holder has no guardian on record (a parent: the other parent is dead or not registered; the child: both "
        "parents are). Always present; an empty list otherwise, or when the family has no liaison yet."))
    liaison_reason: str = Field(description=(
        "Why `liaisons` holds what it holds, in words for the desk (Chinese unless `Accept-Language: en`): no other "
        "guardian (liaisons given, or none assigned yet), a guardian on record, a card that is not valid, or the "
        "guardianship not yet checked. Never which relative died."),
        examples=["登记中持卡人另有监护人，不提供联系人"])


class VerifyIn(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{"qr": "eyJhbGciOiJFZERTQSIsImtpZCI6ImVjYXJkLTEiLCJ0eXAiOiJ0ZWZ1"
                                                              "LWVjYXJkK2p3dCJ9.eyJjYXJkX25vIjoiNDIwMTAyNDgyMTkzMDU3MTYifQ"
                                                              ".c2lnbmF0dXJl"},
                                                       {"card_no": "42010248219305716"}]}}

    card_no: str | None = Field(None, description="A card number as typed or read from the card.")
    qr: str | None = Field(None, description="The scanned QR payload of an e-card (a compact JWS).")

    @model_validator(mode="after")
    def _one(self) -> VerifyIn:
        if (self.card_no is None) == (self.qr is None):
            raise Invalid("card-or-qr", "card_no 和 qr 二者须且只能填一个", "send exactly one of card_no and qr")
        return self


class IdLookupIn(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{"name": "王建国", "id_number": "420102196604057774"}]}}

    name: str = Field(min_length=1, max_length=64, description="The holder's full name, as on the ID card.")
    id_number: ResidentIdStr = Field(description="The holder's 18-character ID number (15-digit numbers are converted).")
