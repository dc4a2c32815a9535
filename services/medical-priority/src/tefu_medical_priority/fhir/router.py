"""HL7 FHIR R4 at the registration desk: ``POST /fhir/CoverageEligibilityRequest`` and ``GET /fhir/metadata``.

The same check as the desk's own routes (lookup/), by the same service functions, so it has the
same token check, rate limit and lookup log (committed before the answer leaves); only the
language on the wire differs. Errors are ``OperationOutcome`` documents with the desk's statuses.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request, Response

from tefu_common.errors import PROBLEM_JSON, ProblemError
from tefu_common.repository import route_endpoint
from tefu_medical_priority.fhir import request as fhir_request
from tefu_medical_priority.fhir.capability import capability_statement
from tefu_medical_priority.fhir.response import eligibility_response, operation_outcome
from tefu_medical_priority.fhir.systems import CARD_NO, ECARD_QR, FHIR_JSON, RESIDENT_ID
from tefu_medical_priority.lookup import service
from tefu_medical_priority.lookup.router import DESK

router = APIRouter(prefix="/fhir", tags=["hospital desk (FHIR R4)"])
RESOURCE = {"type": "object", "required": ["resourceType"], "properties": {"resourceType": {"type": "string"}},
            "additionalProperties": True}


class FhirJSON(Response):
    media_type = FHIR_JSON


def _fhir(content: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {FHIR_JSON: {"schema": {
        **RESOURCE, "properties": {"resourceType": {"type": "string", "enum": [content]}}}}}}


def _outcome_or_problem(description: str) -> dict[str, Any]:
    """An error the route answers as OperationOutcome, or, when the service cannot read its database
    at all or the body is over its limit, as the suite's problem document (before the route runs)."""
    declared = _fhir("OperationOutcome", description)
    declared["content"][PROBLEM_JSON] = {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}
    return declared


OUTCOME_STATUSES = {
    "401": "缺少令牌，或令牌无效（OperationOutcome, issue code login）",
    "403": "令牌不是医院 HIS 的，或其医院不在目录中（OperationOutcome, forbidden）",
    "404": "没有这张卡，或没有与姓名和身份证号相符的卡（OperationOutcome, not-found, code card-not-found）",
    "422": "请求不是有效的 R4 CoverageEligibilityRequest，或卡号、二维码有误（OperationOutcome, invalid；expression 指出位置）",
    "429": "按身份证号查询超过本院每分钟的次数（OperationOutcome, throttled；Retry-After）",
}
BEFORE_THE_ROUTE = {
    "413": "请求体超过 2 MB（problem+json, code body-too-large）",
    "503": "访问日志暂时无法写入（OperationOutcome, transient），或服务连接不上数据库（problem+json）",
}
EXAMPLE = {"resourceType": "CoverageEligibilityRequest", "status": "active", "purpose": ["validation", "benefits"],
           "patient": {"identifier": {"system": CARD_NO, "value": "42010248219305716"}},
           "created": "2026-12-02T09:30:00+08:00", "insurer": {"display": "计划生育特殊家庭扶助"}}


def _answer(document: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(document), status_code=status, media_type=FHIR_JSON, headers=headers)


@router.post("/CoverageEligibilityRequest", summary="FHIR R4：查验就医优先卡（CoverageEligibilityRequest）", description=(
    "For HIS systems that speak HL7 FHIR R4 (role `hospital`, the same token as `/v1/cards`). Post a "
    "`CoverageEligibilityRequest` (`application/fhir+json`) whose `patient` carries one identifier: "
    f"`{CARD_NO}` (the card number), `{ECARD_QR}` (a scanned e-card's QR payload), or `{RESIDENT_ID}` (the "
    "resident ID number) with the name, on a contained Patient (`\"patient\": {\"reference\": \"#p\"}`). The answer is a "
    "`CoverageEligibilityResponse` holding exactly what `GET /v1/cards/{card_no}` holds: `outcome` complete, "
    "`disposition` in Chinese, `insurance[0].inforce` (valid or not), `insurance[0].benefitPeriod.end` (the card's "
    "last day), one `insurance[0].item` per green-channel service, privilege and fee waived at the calling hospital, "
    "the masked holder (contained Patient) and card (contained Coverage, its status in `type`), and the liaisons of a "
    "holder without a guardian (extension `urn:tefu:fhir:StructureDefinition:desk-liaison`). Errors are "
    "`OperationOutcome` with the same statuses as the desk; each issue carries the problem `code` "
    "(`details.coding`, system `urn:tefu:problem-code`) and the FHIRPath at fault (`expression`). The same rate limit "
    "and lookup log as the desk. The capability statement is at `GET /fhir/metadata`."),
    openapi_extra={"security": [{"HTTPBearer": []}], "requestBody": {"required": True, "content": {
        FHIR_JSON: {"schema": RESOURCE, "example": EXAMPLE},
        "application/json": {"schema": RESOURCE, "example": EXAMPLE}}}},
    response_class=FhirJSON,
    responses={"200": _fhir("CoverageEligibilityResponse", "CoverageEligibilityResponse"),
               **{status: _fhir("OperationOutcome", text) for status, text in OUTCOME_STATUSES.items()},
               **{status: _outcome_or_problem(text) for status, text in BEFORE_THE_ROUTE.items()}})
async def coverage_eligibility(request: Request) -> Response:
    asked = None
    try:
        caller = await DESK(request)
        _, asked = fhir_request.read(await request.body())
        desk: service.Desk = request.app.state.desk
        endpoint = route_endpoint(request)
        if asked.way == "card_no":
            view = await service.check_number(desk, caller, asked.value, endpoint=endpoint, location="body")
        elif asked.way == "qr":
            view = await service.check_qr(desk, caller, asked.value, endpoint=endpoint)
        else:
            view = await service.check_identity(desk, caller, asked.name or "", asked.value, endpoint=endpoint)
        return _answer(eligibility_response(view, asked))
    except ProblemError as error:
        return _answer(operation_outcome(error, asked), error.status, error.headers)


@router.get("/metadata", summary="FHIR R4：能力声明（CapabilityStatement）", description=(
    "What the FHIR face of the desk does, as an R4 `CapabilityStatement`: public, like every FHIR server's."),
    response_class=FhirJSON, responses={"200": _fhir("CapabilityStatement", "CapabilityStatement")})
async def metadata(request: Request) -> Response:
    return _answer(capability_statement(request.app.version))
