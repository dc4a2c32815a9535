"""导入 pages: /imports (list, upload), /imports/{id} (progress, row errors, rejected rows)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from tefu_console.auth.dependencies import CheckedForm, Services, SignedIn, require
from tefu_console.imports.uploads import FILTERS, jobs_page, progress, status_zh, upload
from tefu_console.problems import ServiceRefused
from tefu_console.web import render

router = APIRouter(prefix="/imports", include_in_schema=False)
ENCODINGS = [("", "自动识别"), ("utf-8", "UTF-8"), ("gbk", "GBK"), ("gb18030", "GB18030")]


async def _list(request: Request, person: SignedIn, apis: Services, *, shown: str = "", mine: bool = False,
                cursor: str | None = None, error: str | None = None, errors: dict[str, list[str]] | None = None,
                status_code: int = 200) -> Response:
    return render(request, "imports/list.html", {
        "person": person, "current": "imports", "title": "导入",
        **await jobs_page(apis, shown=shown, mine=mine, cursor=cursor),
        "filters": [(k, v[0]) for k, v in FILTERS.items()], "shown": shown, "mine": mine,
        "encodings": ENCODINGS, "error": error, "errors": errors or {}}, status_code=status_code)


@router.get("", response_class=HTMLResponse)
async def imports(request: Request, person: SignedIn, apis: Services, status: str = Query("", max_length=16),
                  mine: bool = Query(False), cursor: str | None = Query(None, max_length=500)) -> Response:
    return await _list(request, person, apis, shown=status, mine=mine, cursor=cursor)


@router.post("")
async def upload_file(request: Request, person: SignedIn, apis: Services, form: CheckedForm) -> Response:
    require(person, "families:write", message="导入家庭需要经办员权限。")
    file, encoding = form.get("file"), form.get("encoding")
    if not isinstance(file, UploadFile) or not file.filename:
        return await _list(request, person, apis, error="请选择要上传的文件。", errors={"file": ["请选择 CSV 或 XLSX 文件。"]},
                           status_code=422)
    try:
        job = await upload(apis, file, encoding if isinstance(encoding, str) else None)
    except ServiceRefused as refused:
        if refused.status == 403:
            raise
        errors = refused.field_errors or {"file": [refused.detail]}
        return await _list(request, person, apis, error=refused.message,
                           errors={k.removeprefix("file."): v for k, v in errors.items()}, status_code=422)
    return RedirectResponse(f"/imports/{job['id']}", status_code=303)


@router.get("/{import_id}", response_class=HTMLResponse)
async def import_job(request: Request, import_id: int, person: SignedIn, apis: Services,
                     cursor: str | None = Query(None, max_length=500)) -> Response:
    job = await apis.registry.get(f"/v1/imports/{import_id}")
    issues = await apis.registry.get(f"/v1/imports/{import_id}/issues", cursor=cursor, limit=100)
    return render(request, "imports/detail.html", {
        "person": person, "current": "imports", "title": f"导入 {job['filename']}", "job": job,
        "progress": progress(job), "status_zh": status_zh(job), "issues": issues,
        "next_url": f"/imports/{import_id}?cursor={issues['next_cursor']}" if issues.get("next_cursor") else None,
        "first_url": f"/imports/{import_id}" if cursor else None})


@router.get("/{import_id}/progress")
async def import_progress(import_id: int, person: SignedIn, apis: Services) -> JSONResponse:
    """The progress bar's JSON (polled by static/import-progress.js)."""
    shown = progress(await apis.registry.get(f"/v1/imports/{import_id}"))
    return JSONResponse({**shown, "status_label": status_zh(shown)})


@router.get("/{import_id}/rejected")
async def rejected_rows(import_id: int, person: SignedIn, apis: Services,
                        format: str = Query("xlsx", pattern="^(csv|xlsx)$")) -> Response:
    """The rejected rows with 原行号 and 错误原因, to fix and upload again (the registry's file as is)."""
    answer = await apis.registry.response("GET", f"/v1/imports/{import_id}/rejected", params={"format": format})
    headers = {k: v for k, v in answer.headers.items() if k.lower() == "content-disposition"}
    return Response(answer.content, media_type=answer.headers.get("content-type"), headers=headers)
