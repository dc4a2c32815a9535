"""The words of the green channel: services, privileges and fees, with the names a desk shows."""

from __future__ import annotations

from enum import StrEnum

from tefu_common.i18n import Text


class Service(StrEnum):
    """What a green channel gives first (the eligibility rules list them per document)."""

    registration = "registration"
    consultation = "consultation"
    referral = "referral"
    lab = "lab"
    examination = "examination"
    pharmacy = "pharmacy"
    payment = "payment"
    admission = "admission"
    ambulance = "ambulance"  # a visit may record a free 120 ambulance run


SERVICE_NAMES = {
    "registration": "优先挂号", "consultation": "优先就诊", "referral": "优先转诊", "lab": "优先化验",
    "examination": "优先检查", "pharmacy": "优先取药", "payment": "优先收费", "admission": "优先住院",
    "ambulance": "免费120救护车",
}


class Privilege(StrEnum):
    """Benefits besides the green channel itself that a hospital acts on (eligibility benefit codes)."""

    fee_waiver = "fee_waiver"
    free_ambulance = "free_ambulance"
    free_health_check = "free_health_check"


PRIVILEGE_NAMES = {
    "medical_priority": "就医绿色通道", "fee_waiver": "定点医疗机构免除挂号费、输液治疗费",
    "free_ambulance": "无力支付急救费用时免费使用120救护车", "free_health_check": "每年一次免费健康检查",
}


class Fee(StrEnum):
    """Fees a designated hospital waives for holders (Hubei 鄂卫生计生通〔2016〕89号 三（三）)."""

    emergency_registration = "emergency_registration"
    outpatient_registration = "outpatient_registration"
    emergency_infusion = "emergency_infusion"
    outpatient_infusion = "outpatient_infusion"


FEE_NAMES = {
    "emergency_registration": "急诊挂号费", "outpatient_registration": "普通门诊挂号费",
    "emergency_infusion": "急诊输液治疗费", "outpatient_infusion": "普通门诊输液治疗费",
}


class RevokeReason(StrEnum):
    death = "death"
    eligibility_lost = "eligibility_lost"
    replaced = "replaced"
    lost = "lost"  # reported lost and not replaced
    clerk_decision = "clerk_decision"


class ReissueReason(StrEnum):
    lost = "lost"
    damaged = "damaged"
    details_changed = "details_changed"


# What a hospital desk is told about a card that is not valid: enough to know what to do, never
# whether the holder died or lost eligibility (a family's fate is not the hospital's business).
DESK_REASONS = {"replaced": "replaced", "lost": "reported_lost", "expired": "expired", "suspended": "suspended"}

# What the desk is told, for the people at the desk (stable codes above, the words here).
DESK_REASON_TEXT = {
    "replaced": Text("此卡已换发新卡，请持卡人出示新卡", "this card was replaced by a new one: ask for the new card"),
    "reported_lost": Text("此卡已挂失，不能使用", "this card was reported lost and cannot be used"),
    "expired": Text("此卡已过有效期", "this card is past its last valid day"),
    "suspended": Text("此卡已暂停使用", "this card is suspended"),
    "no_longer_eligible": Text("此卡已失效，不能享受就医优先", "this card is no longer valid for priority care"),
}
