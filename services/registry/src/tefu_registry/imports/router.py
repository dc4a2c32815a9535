"""Import endpoints: upload, progress, the row report, the rejected rows, the template."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, File, Form, Query, Request, Response, UploadFile

from tefu_common.auth import Principal, Scope, require
from tefu_common.db import DbSession
from tefu_common.errors import PROBLEM_JSON
from tefu_registry.imports import service
from tefu_registry.imports.schemas import ImportOut, RowIssueOut
from tefu_registry.imports.template import render_template_csv, render_template_xlsx

Reader = Annotated[Principal, Depends(require(Scope.families_read))]
Writer = Annotated[Principal, Depends(require(Scope.families_write))]
PROBLEM = {"content": {PROBLEM_JSON: {}}}
router = APIRouter(prefix="/v1/imports", tags=["imports"], responses={401: PROBLEM, 403: PROBLEM, 404: PROBLEM})

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(content: bytes, fmt: str, name: str) -> Response:
    media = XLSX if fmt == "xlsx" else "text/csv; charset=utf-8"
    return Response(content, media_type=media,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}.{fmt}"})


@router.get(
    "/template",
    summary="Download the import template (CSV or XLSX)",
    description="One row per family, Chinese column headers; required columns end with `*`. The XLSX has a "
    "second sheet (说明) describing every column.",
    responses={200: {"content": {"text/csv": {}, XLSX: {}}}},
)
async def template(caller: Reader, format: Literal["csv", "xlsx"] = Query("xlsx")) -> Response:
    content = render_template_xlsx() if format == "xlsx" else render_template_csv()
    return _download(content, format, "tefu-family-import-template")


@router.post(
    "",
    response_model=ImportOut,
    status_code=202,
    summary="Upload families (CSV in UTF-8 or GBK, or XLSX)",
    description=(
        "The file is checked as a whole first (format, encoding, required columns): if it cannot be read the "
        "answer is 422 and nothing is imported. Otherwise a job starts (202) and registers the rows in the "
        "background; follow it at `GET /v1/imports/{id}`. Each bad row is reported with its row number, column "
        "and reason and does not stop the others. Uploading the same file again returns the same job (200) and "
        "creates nothing twice; a corrected file skips rows already registered (reported as duplicates)."
    ),
    responses={200: {"model": ImportOut, "description": "The same file was uploaded before: its job."}, 422: PROBLEM},
)
async def upload(
    request: Request,
    response: Response,
    background: BackgroundTasks,
    session: DbSession,
    caller: Writer,
    file: UploadFile = File(..., description="CSV or XLSX in the template's layout."),
    encoding: Literal["utf-8", "gbk", "gb18030"] | None = Form(None, description="CSV only; detected when omitted."),
) -> ImportOut:
    data = await file.read()
    job, created = await service.start_import(
        session, data=data, filename=file.filename or "upload", content_type=file.content_type, encoding=encoding,
        caller=caller,
    )
    if created:
        background.add_task(service.run_import, request.app.state.database, job_id=job.id, data=data, caller=caller)
    else:
        response.status_code = 200
    return _import_out(job)


def _import_out(job) -> ImportOut:
    return ImportOut.model_validate(job, from_attributes=True).model_copy(update={"stalled": service.is_stalled(job)})


@router.get("/{import_id}", response_model=ImportOut, summary="Progress and result of an import")
async def get_import(import_id: int, session: DbSession, caller: Reader) -> ImportOut:
    return _import_out(await service.scoped_job(session, job_id=import_id, caller=caller))


@router.get("/{import_id}/issues", response_model=list[RowIssueOut], summary="Rejected and duplicate rows")
async def issues(
    import_id: int, session: DbSession, caller: Reader,
    outcome: Literal["rejected", "duplicate"] | None = Query(None),
) -> list[RowIssueOut]:
    job = await service.scoped_job(session, job_id=import_id, caller=caller)
    rows = await service.row_issues(session, job=job, outcome=outcome, limit=10**6)
    return [RowIssueOut.model_validate(r, from_attributes=True) for r in rows]


@router.get(
    "/{import_id}/rejected",
    summary="The rejected rows as a file to fix and upload again",
    description="The uploaded columns plus 原行号 (the original row number) and 错误原因 (why), in the upload's "
    "format and encoding unless `format` says otherwise.",
    responses={200: {"content": {"text/csv": {}, XLSX: {}}}},
)
async def rejected(
    import_id: int, session: DbSession, caller: Writer, format: Literal["csv", "xlsx"] | None = Query(None)
) -> Response:
    job = await service.scoped_job(session, job_id=import_id, caller=caller)
    fmt = format or job.file_format
    return _download(await service.rejected_file(session, job=job, fmt=fmt), fmt, f"import-{job.id}-rejected")
