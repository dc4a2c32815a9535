"""The ``CapabilityStatement`` at ``GET /fhir/metadata``: what the FHIR face of the desk does.

One interaction: a hospital posts a ``CoverageEligibilityRequest`` and gets a
``CoverageEligibilityResponse`` (or an ``OperationOutcome``), JSON only, with the same bearer
token (role ``hospital``) as the desk's own routes. Built from the R4 models, so it is valid R4.
"""

from __future__ import annotations

from typing import Any

from fhirclient.models.capabilitystatement import CapabilityStatement

from tefu_medical_priority.fhir.systems import CARD_NO, ECARD_QR, FHIR_JSON, FHIR_VERSION, RESIDENT_ID

RELEASED = "2026-12-02"


def capability_statement(version: str) -> dict[str, Any]:
    statement = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": RELEASED,
        "publisher": "特扶（Tefu）",
        "kind": "instance",
        "software": {"name": "Tefu medical priority", "version": version},
        "implementation": {"description": "计划生育特殊家庭就医优先卡查验（医院 HIS 挂号窗口）"},
        "fhirVersion": FHIR_VERSION,
        "format": [FHIR_JSON, "json"],
        "rest": [{
            "mode": "server",
            "documentation": (
                "医院 HIS 以 POST /fhir/CoverageEligibilityRequest 查验就医优先卡：患者以一个标识给出："
                f"卡号（{CARD_NO}）、电子卡二维码内容（{ECARD_QR}），或身份证号（{RESIDENT_ID}）连同姓名"
                "（所含 Patient 的 name）。回答 CoverageEligibilityResponse；出错时回答 OperationOutcome。"
                "查验记入访问日志，按身份证号的查询每院每分钟限次，与 /v1/cards 相同。"),
            "security": {
                "service": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                         "code": "OAuth"}]}],
                "description": "Authorization: Bearer <令牌>：登记服务 POST /oauth/token 发给医院 HIS 客户端（角色 hospital，"
                               "权限 cards:lookup）的令牌。",
            },
            "resource": [{
                "type": "CoverageEligibilityRequest",
                "interaction": [{"code": "create", "documentation": "查验：回答 CoverageEligibilityResponse（不保存请求）"}],
            }, {
                "type": "CoverageEligibilityResponse",
                "documentation": "查验的回答：有效与否、有效期、本院可享受的绿色通道服务、优待与免除的费用。",
            }],
        }],
    }
    return CapabilityStatement(statement, strict=True).as_json()
