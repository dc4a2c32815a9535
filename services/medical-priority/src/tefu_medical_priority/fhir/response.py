"""The desk's answer as an R4 ``CoverageEligibilityResponse``, and errors as ``OperationOutcome``.

The response is built from the allow-listed desk answer (lookup.service.desk_view) and from
nothing else, so it holds what ``GET /v1/cards/{card_no}`` holds and no more: the masked holder
(a contained Patient), the card (a contained Coverage), valid or not (``insurance.inforce``), its
last day (``insurance.benefitPeriod.end``), one ``insurance.item`` for each green-channel service,
privilege and fee waived at the calling hospital, and the liaisons a holder without a guardian
has (an extension). ``disposition`` says it in Chinese for the clerk at the desk. Both are checked
against the R4 models before they leave: a response the models refuse is a defect here, not a
document a hospital should have to cope with.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fhirclient.models.coverageeligibilityresponse import CoverageEligibilityResponse
from fhirclient.models.operationoutcome import OperationOutcome

from tefu_common.calendar import CHINA
from tefu_common.errors import ProblemError, ValidationFailed
from tefu_common.i18n import Text
from tefu_medical_priority.fhir.request import Asked
from tefu_medical_priority.fhir.systems import (
    CARD_NO,
    CARD_STATUS,
    DESK_REASON,
    FEE_WAIVER,
    LIAISON_EXTENSION,
    LIAISON_REASON_EXTENSION,
    PRIVILEGE,
    PROBLEM_CODE,
    RESIDENT_ID_LAST4,
    SERVICE,
)

PROGRAMME = "计划生育特殊家庭扶助"
GENDER = {"female": "female", "male": "male", None: "unknown"}
# The OperationOutcome issue type for each status the desk can answer with.
ISSUE_TYPE = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 409: "conflict", 413: "too-costly",
              422: "invalid", 429: "throttled", 503: "transient"}


def eligibility_response(view: dict[str, Any], asked: Asked, *, now: datetime | None = None) -> dict[str, Any]:
    """The ``CoverageEligibilityResponse`` for one desk answer."""
    valid = view["valid"]
    holder = view["holder"]
    insurer = {"display": f"{view['region_name']}{PROGRAMME}"}
    patient: dict[str, Any] = {"resourceType": "Patient", "id": "holder", "name": [{"text": holder["name"]}],
                               "gender": GENDER.get(holder["sex"], "unknown")}
    if holder["id_last4"]:
        patient["identifier"] = [{"system": RESIDENT_ID_LAST4, "value": holder["id_last4"]}]
    if holder["birth_year"]:
        patient["birthDate"] = f"{holder['birth_year']:04d}"  # a year is a valid FHIR date
    coverage = {"resourceType": "Coverage", "id": "card", "identifier": [{"system": CARD_NO, "value": view["card_no"]}],
                "status": "active" if valid else "cancelled", "beneficiary": {"reference": "#holder"},
                "payor": [insurer], "period": {"end": view["valid_until"]},
                "type": {"coding": [{"system": CARD_STATUS, "code": view["status"]}], "text": "就医优先卡"}}
    items = ([_item(SERVICE, s["code"], s["name"]) for s in view["services"]]
             + [_item(PRIVILEGE, p["code"], p["name"]) for p in view["privileges"]]
             + [_item(FEE_WAIVER, f["fee"], f["name"]) for f in view["fee_waivers"]])
    insurance: dict[str, Any] = {"coverage": {"reference": "#card"}, "inforce": valid,
                                 "benefitPeriod": {"end": view["valid_until"]}}
    if items:
        insurance["item"] = items
    resource: dict[str, Any] = {
        "resourceType": "CoverageEligibilityResponse",
        "contained": [patient, coverage],
        "status": "active",
        "purpose": ["validation", "benefits"],
        "patient": {"reference": "#holder"},
        "created": (now or datetime.now(CHINA)).isoformat(timespec="seconds"),
        "request": ({"reference": f"CoverageEligibilityRequest/{asked.request_id}"} if asked.request_id
                    else {"display": "按就医优先卡查验"}),
        "outcome": "complete",
        "disposition": _disposition(view),
        "insurer": insurer,
        "insurance": [insurance],
        "extension": [*({"url": LIAISON_EXTENSION, "extension": _liaison(liaison)} for liaison in view["liaisons"]),
                      {"url": LIAISON_REASON_EXTENSION, "valueString": view["liaison_reason"]}],
    }
    if not valid and view["reason"]:
        coverage["type"]["coding"].append({"system": DESK_REASON, "code": view["reason"]})
    return CoverageEligibilityResponse(resource, strict=True).as_json()


def _item(system: str, code: str, name: str) -> dict[str, Any]:
    return {"category": {"coding": [{"system": system, "code": code, "display": name}], "text": name},
            "name": name, "excluded": False}


def _liaison(liaison: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"url": key, "valueString": str(liaison[key])} for key in ("post", "post_name", "name", "work_phone", "unit")]


def _disposition(view: dict[str, Any]) -> str:
    if view["valid"]:
        return f"有效：{view['region_name']}计划生育特殊家庭就医优先卡，有效期至 {view['valid_until']}"
    return f"无效：{view['reason_detail']}"


def operation_outcome(error: ProblemError, asked: Asked | None = None) -> dict[str, Any]:
    """An error as an ``OperationOutcome``: one issue per field at fault, each with the problem's code."""
    kind = ISSUE_TYPE.get(error.status, "exception" if error.status >= 500 else "processing")
    if isinstance(error, ValidationFailed):
        faults = [(e.code, e.message, e.field) for e in error.errors]
    else:
        detail = error.detail if error.detail is not None else error.title
        faults = [(error.code, detail, error.field)]
    issues = []
    for code, message, field in faults:
        text = message.render() if isinstance(message, Text) else str(message)
        issue: dict[str, Any] = {"severity": "error", "code": kind,
                                 "details": {"coding": [{"system": PROBLEM_CODE, "code": code}], "text": text}}
        expression = _expression(field, asked)
        if expression:
            issue["expression"] = [expression]
        issues.append(issue)
    return OperationOutcome({"resourceType": "OperationOutcome", "issue": issues}, strict=True).as_json()


def _expression(field: str | None, asked: Asked | None) -> str | None:
    if not field:
        return None
    if field.startswith(("body.", "path.", "query.")):  # the desk's own field names: where the request said it
        return asked.expression if asked is not None else None
    return field
