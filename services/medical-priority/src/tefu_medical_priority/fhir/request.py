"""Reading a hospital's ``CoverageEligibilityRequest``: who the patient is, as the desk asks it.

The request is validated as an R4 resource by the FHIR models of ``fhirclient`` (SMART Health IT's
library, generated from the 4.0.1 StructureDefinitions): a wrong type, a missing required element
or an element R4 does not have is a 422 naming its FHIRPath. The patient is named by one
identifier, either on the ``patient`` reference itself (``patient.identifier``) or on a contained
Patient it points to (``"patient": {"reference": "#p"}``, ``contained: [{"resourceType": "Patient",
"id": "p", ...}]``): a card number, an e-card QR payload, or the resident ID number with the
patient's name (the same pair, checked together, as ``POST /v1/cards/lookup``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import orjson
from fhirclient.models.coverageeligibilityrequest import CoverageEligibilityRequest
from fhirclient.models.fhirabstractbase import FHIRValidationError

from tefu_common.errors import FieldError, ValidationFailed
from tefu_common.i18n import Text
from tefu_medical_priority.fhir.systems import CARD_NO, ECARD_QR, RESIDENT_ID

RESOURCE = "CoverageEligibilityRequest"
Way = Literal["card_no", "qr", "id_number"]
SYSTEMS: dict[str, Way] = {CARD_NO: "card_no", ECARD_QR: "qr", RESIDENT_ID: "id_number"}
MAX_ISSUES = 20  # a hopeless document is described by its first twenty faults


@dataclass(frozen=True)
class Asked:
    """The patient as the request names them, and where in the request that was (for errors)."""

    way: Way
    value: str
    expression: str
    name: str | None = None
    request_id: str | None = None  # the request's own id or identifier, echoed in the response


def invalid(code: str, expression: str, zh: str, en: str) -> ValidationFailed:
    return ValidationFailed([FieldError(expression, code, Text(zh, en))])


def read(body: bytes) -> tuple[dict[str, Any], Asked]:
    """The request document (checked as R4) and whom it asks about; 422 naming what is wrong."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise invalid("fhir-json", RESOURCE, f"请求体不是有效的 JSON：{exc}", f"the body is not JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("resourceType") != RESOURCE:
        raise invalid("fhir-resource-type", "resourceType", f"应为 {RESOURCE} 资源", f"expected a {RESOURCE} resource")
    try:
        CoverageEligibilityRequest(document, strict=True)
    except FHIRValidationError as exc:
        raise ValidationFailed([FieldError(path, "fhir-structure",
                                           Text(f"不符合 FHIR R4：{why}", f"not valid FHIR R4: {why}"))
                                for path, why in _faults(exc)][:MAX_ISSUES]) from None
    return document, _asked(document)


def _faults(error: FHIRValidationError, path: tuple[str, ...] = (RESOURCE,)) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for inner in error.errors:
        if isinstance(inner, FHIRValidationError):
            found += _faults(inner, path + ((inner.path,) if inner.path else ()))
        else:
            why = str(inner).strip("'\"").split(" on <")[0]  # drop the model's repr
            found.append((".".join(path), why))
    return found


def _asked(document: dict[str, Any]) -> Asked:
    patient = document["patient"]
    request_id = document.get("id") or next((i.get("value") for i in document.get("identifier", []) if i.get("value")),
                                            None)
    if "identifier" in patient:
        identifiers, where, person = [patient["identifier"]], f"{RESOURCE}.patient.identifier", None
    else:
        person, where = _contained_patient(document, str(patient.get("reference", "")))
        identifiers = person.get("identifier", [])
    known = [(index, i) for index, i in enumerate(identifiers) if i.get("system") in SYSTEMS and i.get("value")]
    if not known:
        systems = "、".join(SYSTEMS)
        raise invalid("fhir-patient-identifier", where, f"患者应带一个标识：system 为 {systems} 之一，并有 value",
                      f"the patient needs an identifier whose system is one of {', '.join(SYSTEMS)}, with a value")
    index, identifier = known[0]
    way = SYSTEMS[identifier["system"]]
    expression = f"{where}[{index}].value" if person is not None else f"{where}.value"
    if way != "id_number":
        return Asked(way, str(identifier["value"]), expression, request_id=request_id)
    name = _name(person or {})
    if not name:
        raise invalid("fhir-patient-name", f"{RESOURCE}.contained.Patient.name",
                      "按身份证号查询时，应在所含 Patient 中同时给出姓名（name.text，或 family 与 given）",
                      "a lookup by ID number needs the name too, on the contained Patient (name.text, or family and given)")
    return Asked(way, str(identifier["value"]), expression, name=name, request_id=request_id)


def _contained_patient(document: dict[str, Any], reference: str) -> tuple[dict[str, Any], str]:
    where = f"{RESOURCE}.patient.reference"
    if not reference.startswith("#"):
        raise invalid("fhir-patient-reference", where,
                      "patient 应为所含 Patient 的引用（#id），或直接带 identifier",
                      "patient must reference a contained Patient (#id) or carry an identifier")
    for index, resource in enumerate(document.get("contained", [])):
        if resource.get("resourceType") == "Patient" and resource.get("id") == reference[1:]:
            return resource, f"{RESOURCE}.contained[{index}].identifier"
    raise invalid("fhir-patient-reference", where, f"没有 id 为 {reference[1:]} 的所含 Patient",
                  f"no contained Patient has the id {reference[1:]}")


def _name(person: dict[str, Any]) -> str:
    """A Chinese name as written: the text, or the family name then the given names, no spaces."""
    for name in person.get("name", []):
        text = (name.get("text") or (name.get("family", "") + "".join(name.get("given", [])))).strip()
        if text:
            return text
    return ""
