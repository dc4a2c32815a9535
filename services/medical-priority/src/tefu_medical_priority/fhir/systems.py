"""The identifier and code systems the FHIR face of the desk speaks.

A hospital names the holder by one of three identifiers on the request's patient: the priority
card's number, the e-card's QR payload, or the resident ID number (with the name, on a contained
Patient). The resident ID uses the OID that China's health information standards give the
居民身份证 (2.16.156.10011.1.3, as in the WS/T 500 shared documents), so an HIS that already
writes it for its own patients needs nothing new; the card and the e-card are the suite's own.
"""

from __future__ import annotations

FHIR_VERSION = "4.0.1"
FHIR_JSON = "application/fhir+json"

CARD_NO = "urn:tefu:priority-card"  # 就医优先卡号 (17 characters, the last a check character)
ECARD_QR = "urn:tefu:ecard-qr"  # the payload of a scanned e-card's QR code (a compact JWS)
RESIDENT_ID = "urn:oid:2.16.156.10011.1.3"  # 居民身份证号码
RESIDENT_ID_LAST4 = "urn:tefu:resident-id-last4"  # what the desk is shown of it: the last four characters

SERVICE = "urn:tefu:green-channel-service"  # 优先挂号、优先收费 … (the desk's `services`)
PRIVILEGE = "urn:tefu:privilege"  # 就医绿色通道、免费救护车 … (the desk's `privileges`)
FEE_WAIVER = "urn:tefu:fee-waiver"  # fees waived at the calling hospital (the desk's `fee_waivers`)
CARD_STATUS = "urn:tefu:card-status"  # active, suspended, revoked, expired
DESK_REASON = "urn:tefu:desk-reason"  # why a card is not valid (the desk's `reason`)
PROBLEM_CODE = "urn:tefu:problem-code"  # the stable machine code of an error, as in problem+json

LIAISON_EXTENSION = "urn:tefu:fhir:StructureDefinition:desk-liaison"  # a liaison who may sign consent
LIAISON_REASON_EXTENSION = "urn:tefu:fhir:StructureDefinition:desk-liaison-reason"
