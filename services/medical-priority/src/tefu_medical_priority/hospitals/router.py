"""``/v1/hospitals``: the directory of hospitals and the fees each waives for card holders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Query, Request, Response, UploadFile

from tefu_common.auth import Principal, Role, Scope, require
from tefu_common.db import DbSession
from tefu_common.errors import PROBLEM_JSON
from tefu_common.regions import region_table
from tefu_medical_priority.hospitals import service
from tefu_medical_priority.hospitals.models import Hospital
from tefu_medical_priority.hospitals.schemas import HospitalIn, HospitalOut, ImportReport

Manager = Annotated[Principal, Depends(require(Scope.hospitals_manage, roles=[Role.admin]))]
Reader = Annotated[Principal, Depends(require(Scope.cards_read))]
PROBLEM = {"content": {PROBLEM_JSON: {}}}
CodePath = Annotated[str, Path(pattern=service.CODE_PATTERN, description="The hospital's code, as in its HIS token.")]
router = APIRouter(prefix="/v1/hospitals", tags=["hospitals"], responses={401: PROBLEM, 403: PROBLEM, 422: PROBLEM})


def hospital_out(hospital: Hospital) -> HospitalOut:
    return HospitalOut(code=hospital.code, name=hospital.name, region_code=hospital.region_code,
                       region_name=region_table().full_name(hospital.region_code[:6]), level=hospital.level,
                       designated=hospital.designated, fee_waivers=hospital.fee_waivers, active=hospital.active,
                       created_at=hospital.created_at, updated_at=hospital.updated_at)


@router.get("", response_model=list[HospitalOut], summary="Hospitals of the caller's region")
async def list_hospitals(session: DbSession, caller: Reader,
                         region: str | None = Query(None, description="Only under this GB/T 2260 code."),
                         designated: bool | None = Query(None, description="Only designated (定点) hospitals, or only others.")
                         ) -> list[HospitalOut]:
    return [hospital_out(h) for h in await service.list_hospitals(session, caller, region=region, designated=designated)]


@router.get("/{code}", response_model=HospitalOut, summary="One hospital", responses={404: PROBLEM})
async def get_hospital(code: CodePath, session: DbSession, caller: Reader) -> HospitalOut:
    return hospital_out(await service.scoped_hospital(session, code, caller))


@router.put("/{code}", response_model=HospitalOut, summary="Add or change a hospital (admins)",
            responses={200: {"description": "Changed"}, 201: {"description": "Added"}})
async def put_hospital(code: CodePath, body: HospitalIn, request: Request, response: Response, session: DbSession,
                       caller: Manager) -> HospitalOut:
    """The code is the one the hospital's HIS client carries in its token (`POST /v1/oauth-clients`
    on the registry with `"role": "hospital", "hospital": "<code>"`). Fee waivers apply at designated
    hospitals only (Hubei: 急诊和普通门诊挂号费, 急诊和普通门诊输液治疗费). Lookups see a change within 30 s."""
    hospital, created = await service.put_hospital(session, caller, code, body)
    request.app.state.hospital_directory.forget(code)
    response.status_code = 201 if created else 200
    return hospital_out(hospital)


@router.post("/import", response_model=ImportReport, summary="Load hospitals from a CSV (UTF-8 or GBK) or XLSX file")
async def import_hospitals(request: Request, session: DbSession, caller: Manager,
                           file: UploadFile = File(description="Columns 医院编码, 医院名称, 行政区划代码, 医院等级, "
                                                               "是否定点 (是/否), 减免项目 (fees by code or Chinese name, "
                                                               "separated by ; or 、)")) -> ImportReport:
    """Good rows are created or updated, bad rows are listed with their row number, column and
    reason (and loaded by fixing and uploading the file again: loading is idempotent). A file with
    no good row at all is 422."""
    report = await service.import_hospitals(session, caller, await file.read(), file.filename)
    request.app.state.hospital_directory.forget_all()
    return report
