"""``/v1/hospitals``: the directory of hospitals and the fees each waives for card holders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Query, Response, UploadFile

from tefu_common.openapi import problems
from tefu_common.paging import Page, PageParams
from tefu_common.regions import RegionCodeStr, region_table
from tefu_medical_priority.hospitals import service
from tefu_medical_priority.hospitals.models import Hospital
from tefu_medical_priority.hospitals.repository import Directory, Hospitals, ManagedHospitals
from tefu_medical_priority.hospitals.schemas import HospitalIn, HospitalOut, ImportReport

CodePath = Annotated[str, Path(pattern=service.CODE_PATTERN, description="The hospital's code, as in its HIS token.",
                               examples=["H420106001"])]
router = APIRouter(prefix="/v1/hospitals", tags=["hospitals"])


def hospital_out(hospital: Hospital) -> HospitalOut:
    return HospitalOut(code=hospital.code, name=hospital.name, region_code=hospital.region_code,
                       region_name=region_table().full_name(hospital.region_code[:6]), level=hospital.level,
                       designated=hospital.designated, fee_waivers=hospital.fee_waivers, active=hospital.active,
                       created_at=hospital.created_at, updated_at=hospital.updated_at)


@router.get("", response_model=Page[HospitalOut], summary="本辖区的医院", description=(
    "Anyone who may read cards: the hospitals of the caller's region, by code, in pages (`cursor`, `limit`); "
    "`region` narrows to a part of it, `designated` to designated (定点) hospitals or the others."))
async def list_hospitals(hospitals: Hospitals, page: PageParams,
                         region: RegionCodeStr | None = Query(None, description="Only under this GB/T 2260 code."),
                         designated: bool | None = Query(None, description="Only designated (定点) hospitals, or only "
                                                                           "others.")) -> Page[HospitalOut]:
    found, next_cursor = await hospitals.page(page, region=region, designated=designated)
    return Page[HospitalOut](items=[hospital_out(h) for h in found], next_cursor=next_cursor)


@router.get("/{code}", response_model=HospitalOut, summary="一家医院", description=(
    "Anyone who may read cards, for a hospital of their region; others are 404 `hospital-not-found`, as if "
    "they did not exist."), responses=problems(404))
async def get_hospital(code: CodePath, hospitals: Hospitals) -> HospitalOut:
    return hospital_out(await hospitals.get(code))


@router.put("/{code}", response_model=HospitalOut, summary="新增或修改医院（管理员）", description=(
    "Admins of the hospital's region. The code is the one the hospital's HIS client carries in its token "
    "(`POST /v1/oauth-clients` on the registry with `\"role\": \"hospital\", \"hospital\": \"<code>\"`). Fee "
    "waivers apply at designated hospitals only (Hubei: 急诊和普通门诊挂号费, 急诊和普通门诊输液治疗费; 422 "
    "`fee-waiver-not-designated` otherwise). A region outside yours is 422 `region-outside-scope`; a code "
    "already held by a hospital of another region 403 `hospital-outside-region`. 201 when added, 200 when "
    "changed; lookups see a change at once on this replica, within 30 s on others."),
    responses={201: {"description": "Added", "content": {"application/json": {"example": {
        **HospitalOut.model_config["json_schema_extra"]["examples"][0]}}}},  # type: ignore[index]
        **problems(**{"403": "编码已属于辖区外的医院（code hospital-outside-region）（The code belongs to a hospital "
                             "of another region）"})})
async def put_hospital(code: CodePath, body: HospitalIn, response: Response, hospitals: ManagedHospitals,
                       directory: Directory) -> HospitalOut:
    hospital, created = await service.put_hospital(hospitals, code, body)
    directory.forget(code)
    response.status_code = 201 if created else 200
    return hospital_out(hospital)


@router.post("/import", response_model=ImportReport, summary="从 CSV（UTF-8 或 GBK）或 XLSX 文件导入医院", description=(
    "Admins. Columns 医院编码, 医院名称, 行政区划代码, 医院等级, 是否定点 (是/否), 减免项目 (fees by code or Chinese "
    "name, separated by ; or 、). Good rows are created or updated; bad rows are listed in `rejected` with their "
    "row number, column, `code` and reason (in Chinese unless `Accept-Language: en`), and are loaded by fixing "
    "and uploading the file again: loading is idempotent. A file that cannot be read (`file-unreadable`), lacks "
    "a column (`file-columns-missing`) or has no good row at all is 422. The headings are checked before "
    "any other row is read; more than 50,000 rows (`too-many-rows`) or 50 columns (`too-many-columns`), an XLSX "
    "that would expand past 400 MB or is a compression bomb (`xlsx-too-large-uncompressed`, "
    "`xlsx-compression-bomb`) or declares XML entities (`xlsx-xml-entities`) is 422 on `file`, before any row "
    "is loaded; an upload over its size limit is 413 `body-too-large`."))
async def import_hospitals(hospitals: ManagedHospitals, directory: Directory,
                           file: UploadFile = File(description="The CSV or XLSX file.")) -> ImportReport:
    report = await service.import_hospitals(hospitals, await file.read(), file.filename)
    directory.forget_all()
    return report
