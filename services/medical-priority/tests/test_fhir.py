"""FHIR R4 at the desk: a request built with a FHIR client library gets a valid
CoverageEligibilityResponse holding exactly the desk's answer; errors are OperationOutcome.

Requests are built with fhirclient's R4 models (what an HIS integrator would use); answers are
checked by a second, independent FHIR library (fhir.resources, pydantic models), so a response
that only our own builder accepts would fail here.
"""

from __future__ import annotations

from fhir.resources.R4B.capabilitystatement import CapabilityStatement as CheckedCapability
from fhir.resources.R4B.coverageeligibilityresponse import CoverageEligibilityResponse as CheckedResponse
from fhir.resources.R4B.operationoutcome import OperationOutcome as CheckedOutcome
from fhirclient.models.coverageeligibilityrequest import CoverageEligibilityRequest
from fhirclient.models.fhirdatetime import FHIRDateTime
from fhirclient.models.fhirreference import FHIRReference
from fhirclient.models.identifier import Identifier
from fhirclient.models.humanname import HumanName
from fhirclient.models.patient import Patient
from sqlalchemy import func, select

from tefu_common.db import Database
from tefu_medical_priority.access_log.models import LookupLogEntry
from tefu_medical_priority.cards.numbers import check_character
from tefu_medical_priority.fhir.systems import CARD_NO, ECARD_QR, FEE_WAIVER, RESIDENT_ID, SERVICE

from .conftest import id_number

FHIR = {"Content-Type": "application/fhir+json"}


def request_for(system: str, value: str, *, name: str | None = None) -> dict:
    """A CoverageEligibilityRequest as an HIS builds it with fhirclient."""
    request = CoverageEligibilityRequest()
    request.id = "his-20261202-0001"
    request.status = "active"
    request.purpose = ["validation", "benefits"]
    request.created = FHIRDateTime("2026-12-02T09:30:00+08:00")
    request.insurer = FHIRReference({"display": "计划生育特殊家庭扶助"})
    identifier = Identifier({"system": system, "value": value})
    if name is None:
        request.patient = FHIRReference({"identifier": identifier.as_json()})
    else:
        patient = Patient({"id": "p"})
        patient.identifier = [identifier]
        patient.name = [HumanName({"text": name})]
        request.contained = [patient]
        request.patient = FHIRReference({"reference": "#p"})
    return request.as_json()


async def _log_rows(database_url: str) -> int:
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(LookupLogEntry)))
    finally:
        await database.dispose()


async def test_a_card_gets_a_valid_response_holding_the_desk_answer_and_no_more(
        client, issue_card, hospital, desk, database_url):
    await hospital()
    card_no = await issue_card(name="李秀英", birth="1965-03-02", privileges=["fee_waiver", "free_ambulance"])
    desk_answer = (await client.get(f"/v1/cards/{card_no}", headers=desk())).json()
    before = await _log_rows(database_url)
    response = await client.post("/fhir/CoverageEligibilityRequest", json=request_for(CARD_NO, card_no),
                                 headers={**desk(), **FHIR})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    assert await _log_rows(database_url) == before + 1  # the same lookup log as the desk
    body = response.json()
    checked = CheckedResponse.model_validate(body)  # valid by an independent FHIR library
    assert (checked.outcome, checked.status) == ("complete", "active")
    assert body["request"] == {"reference": "CoverageEligibilityRequest/his-20261202-0001"}
    insurance = body["insurance"][0]
    assert insurance["inforce"] is True and insurance["benefitPeriod"] == {"end": desk_answer["valid_until"]}
    items = {(i["category"]["coding"][0]["system"], i["category"]["coding"][0]["code"]) for i in insurance["item"]}
    assert {(SERVICE, s["code"]) for s in desk_answer["services"]} <= items
    assert {(FEE_WAIVER, f["fee"]) for f in desk_answer["fee_waivers"]} <= items
    assert len(items) == len(desk_answer["services"]) + len(desk_answer["privileges"]) + len(desk_answer["fee_waivers"])
    assert body["disposition"].startswith("有效：") and desk_answer["valid_until"] in body["disposition"]
    patient, coverage = body["contained"]
    assert patient["name"] == [{"text": "李*英"}] and patient["gender"] == "female" and patient["birthDate"] == "1965"
    assert patient["identifier"][0]["value"] == desk_answer["holder"]["id_last4"]
    assert coverage["identifier"][0] == {"system": CARD_NO, "value": card_no} and coverage["status"] == "active"
    # Nothing beyond the desk's answer: neither the full name nor the full ID number.
    assert "李秀英" not in response.text and id_number("420102", "1965-03-02", 0)[:10] not in response.text


async def test_by_qr_and_by_name_with_id_number_through_a_contained_patient(client, issue_card, hospital, desk, auth):
    await hospital()
    holder_id = id_number("420102", "1966-04-05", 778)
    card_no = await issue_card(name="王建国", birth="1966-04-05", sex="male", id_no=holder_id)
    qr = (await client.get(f"/v1/cards/{card_no}/ecard", headers=auth(role="clerk", region="420102"))).json()["qr"]
    by_qr = await client.post("/fhir/CoverageEligibilityRequest", json=request_for(ECARD_QR, qr), headers=desk())
    assert by_qr.status_code == 200, by_qr.text
    assert by_qr.json()["contained"][1]["identifier"][0]["value"] == card_no
    by_id = await client.post("/fhir/CoverageEligibilityRequest",
                              json=request_for(RESIDENT_ID, holder_id, name="王建国"), headers=desk())
    assert by_id.status_code == 200, by_id.text
    CheckedResponse.model_validate(by_id.json())
    assert by_id.json()["contained"][0]["gender"] == "male"
    wrong_name = await client.post("/fhir/CoverageEligibilityRequest",
                                   json=request_for(RESIDENT_ID, holder_id, name="王建民"), headers=desk())
    assert wrong_name.status_code == 404 and wrong_name.json()["resourceType"] == "OperationOutcome"
    no_name = request_for(RESIDENT_ID, holder_id, name="王建国")
    no_name["contained"][0].pop("name")
    missing = await client.post("/fhir/CoverageEligibilityRequest", json=no_name, headers=desk())
    assert missing.status_code == 422
    assert missing.json()["issue"][0]["details"]["coding"][0]["code"] == "fhir-patient-name"


async def test_a_revoked_card_is_not_in_force_and_says_why_without_the_family_fate(
        client, issue_card, hospital, desk, auth):
    await hospital()
    card_no = await issue_card()
    await client.post(f"/v1/cards/{card_no}/revoke", json={"reason": "eligibility_lost", "note": "核查不符"},
                      headers=auth(role="clerk", region="420102"))
    response = await client.post("/fhir/CoverageEligibilityRequest", json=request_for(CARD_NO, card_no), headers=desk())
    assert response.status_code == 200, response.text
    body = response.json()
    CheckedResponse.model_validate(body)
    assert body["insurance"][0]["inforce"] is False and "item" not in body["insurance"][0]
    assert body["disposition"] == "无效：此卡已失效，不能享受就医优先"
    assert body["contained"][1]["status"] == "cancelled"


async def test_errors_are_operation_outcomes_with_the_desk_statuses(client, issue_card, hospital, desk, auth):
    await hospital()
    card_no = await issue_card()
    unknown = card_no[:6] + ("0000000001" if card_no[6:16] != "0000000001" else "0000000002")
    unknown += check_character(unknown)
    cases = {
        "unknown card": (request_for(CARD_NO, unknown), desk(), 404, "not-found", "card-not-found"),
        "mistyped card": (request_for(CARD_NO, card_no[:-1] + ("0" if card_no[-1] != "0" else "1")), desk(), 422,
                          "invalid", "card-number-check-character"),
        "forged QR": (request_for(ECARD_QR, "a.b.c"), desk(), 422, "invalid", "ecard-format"),
        "no identifier": (request_for("urn:other", "1"), desk(), 422, "invalid", "fhir-patient-identifier"),
        "clerk token": (request_for(CARD_NO, card_no), auth(role="clerk", region="420102"), 403, "forbidden", None),
        "no token": (request_for(CARD_NO, card_no), {}, 401, "login", None),
    }
    for case, (document, headers, status, issue_code, problem_code) in cases.items():
        answer = await client.post("/fhir/CoverageEligibilityRequest", json=document, headers=headers)
        assert answer.status_code == status, (case, answer.text)
        assert answer.headers["content-type"].startswith("application/fhir+json"), case
        outcome = CheckedOutcome.model_validate(answer.json())
        assert outcome.issue[0].code == issue_code, case
        if problem_code:
            assert answer.json()["issue"][0]["details"]["coding"][0]["code"] == problem_code, case
    mistyped = await client.post("/fhir/CoverageEligibilityRequest", json=cases["mistyped card"][0], headers=desk())
    assert mistyped.json()["issue"][0]["expression"] == ["CoverageEligibilityRequest.patient.identifier.value"]


async def test_a_document_that_is_not_r4_is_refused_naming_the_path(client, hospital, desk):
    await hospital()
    not_r4 = request_for(CARD_NO, "42010248219305716")
    not_r4["status"] = 5
    not_r4["colour"] = "blue"
    answer = await client.post("/fhir/CoverageEligibilityRequest", json=not_r4, headers=desk())
    assert answer.status_code == 422, answer.text
    issues = answer.json()["issue"]
    assert {i["details"]["coding"][0]["code"] for i in issues} == {"fhir-structure"}
    assert any("status" in i["details"]["text"] for i in issues) and any("colour" in i["details"]["text"] for i in issues)
    garbage = await client.post("/fhir/CoverageEligibilityRequest", content=b"{not json", headers={**desk(), **FHIR})
    assert garbage.status_code == 422 and garbage.json()["issue"][0]["details"]["coding"][0]["code"] == "fhir-json"
    patient = await client.post("/fhir/CoverageEligibilityRequest", json={"resourceType": "Patient"}, headers=desk())
    assert patient.status_code == 422
    assert patient.json()["issue"][0]["details"]["coding"][0]["code"] == "fhir-resource-type"


async def test_metadata_is_a_valid_capability_statement(client):
    answer = await client.get("/fhir/metadata")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/fhir+json")
    statement = CheckedCapability.model_validate(answer.json())
    assert statement.fhirVersion == "4.0.1" and statement.kind == "instance"
    resources = {r.type for r in statement.rest[0].resource}
    assert resources == {"CoverageEligibilityRequest", "CoverageEligibilityResponse"}
