"""导入 pages: /imports (list, upload), /imports/{id} (progress, row errors, rejected rows)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from tefu_common.db import DbSession
from tefu_console.auth.dependencies import CheckedForm, Services, SignedIn, require
from tefu_console.formats import label
from tefu_console.imports.uploads import progress, recent, upload
from tefu_console.problems import ServiceRefused
from tefu_console.web import render

router = APIRouter(prefix="/imports", include_in_schema=False)
ENCODINGS = [("", "自动识别"), ("utf-8", "UTF-8"), ("gbk", "GBK"), ("gb18030", "GB18030")]


async def _list(request: Request, person: SignedIn, apis: Services, db: DbSession, error: str | None = None,
                errors: dict[str, list[str]] | None = None, status_code: int = 200) -> Response:
    return render(request, "imports/list.html", {
        "person": person, "current": "imports", "title": "导入", "uploads": await recent(apis, db, person),
        "encodings": ENCODINGS, "error": error, "errors": errors or {}}, status_code=status_code)


@router.get("", response_class=HTMLResponse)
async def imports(request: Request, person: SignedIn, apis: Services, db: DbSession) -> Response:
    return await _list(request, person, apis, db)


@router.post("")
async def upload_file(request: Request, person: SignedIn, apis: Services, db: DbSession, form: CheckedForm) -> Response:
    require(person, "families:write", message="导入家庭需要经办员权限。")
    file, encoding = form.get("file"), form.get("encoding")
    if not isinstance(file, UploadFile) or not file.filename:
        return await _list(request, person, apis, db, "请选择要上传的文件。", {"file": ["请选择 CSV 或 XLSX 文件。"]}, 422)
    try:
        job = await upload(apis, db, person, file, encoding if isinstance(encoding, str) else None)
    except ServiceRefused as refused:
        if refused.status == 403:
            raise
        errors = refused.field_errors or {"file": [refused.detail]}
        return await _list(request, person, apis, db, refused.message, {k.removeprefix("file."): v for k, v in errors.items()}, 422)
    return RedirectResponse(f"/imports/{job['id']}", status_code=303)


@router.get("/{import_id}", response_class=HTMLResponse)
async def import_job(request: Request, import_id: int, person: SignedIn, apis: Services,
                     cursor: str | None = Query(None, max_length=500)) -> Response:
    job = await apis.registry.get(f"/v1/imports/{import_id}")
    issues = await apis.registry.get(f"/v1/imports/{import_id}/issues", cursor=cursor, limit=100)
    return render(request, "imports/detail.html", {
        "person": person, "current": "imports", "title": f"导入 {job['filename']}", "job": job,
        "progress": progress(job), "issues": issues,
        "next_url": f"/imports/{import_id}?cursor={issues['next_cursor']}" if issues.get("next_cursor") else None,
        "first_url": f"/imports/{import_id}" if cursor else None})


@router.get("/{import_id}/progress")
async def import_progress(import_id: int, person: SignedIn, apis: Services) -> JSONResponse:
    """The progress bar's JSON (polled by static/import-progress.js)."""
    shown = progress(await apis.registry.get(f"/v1/imports/{import_id}"))
    return JSONResponse({**shown, "status_label": label(shown["status"])})


@router.get("/{import_id}/rejected")
async def rejected_rows(import_id: int, person: SignedIn, apis: Services,
                        format: str = Query("xlsx", pattern="^(csv|xlsx)$")) -> Response:
    """The rejected rows with 原行号 and 错误原因, to fix and upload again (the registry's file as is)."""
    answer = await apis.registry.response("GET", f"/v1/imports/{import_id}/rejected", params={"format": format})
    headers = {k: v for k, v in answer.headers.items() if k.lower() == "content-disposition"}
    return Response(answer.content, media_type=answer.headers.get("content-type"), headers=headers)
