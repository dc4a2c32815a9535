"""Import endpoints: upload, the list of jobs, progress, the row report, the rejected rows, the template."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, File, Form, Query, Request, Response, UploadFile

from tefu_common.auth import Scope, require
from tefu_common.i18n import current_language
from tefu_common.openapi import problems
from tefu_common.paging import Page, PageParams
from tefu_common.ids import RowId
from tefu_common.regions import RegionCodeStr
from tefu_registry.imports import service
from tefu_registry.imports.models import ImportJob, ImportRowIssue
from tefu_registry.imports.repository import ImportRepository
from tefu_registry.imports.rows import summary
from tefu_registry.imports.schemas import ImportOut, RowIssueOut, RowProblemOut
from tefu_registry.imports.template import render_template_csv, render_template_xlsx

Imports = Annotated[ImportRepository, ImportRepository.dependency(require(Scope.families_read))]
ImportWriter = Annotated[ImportRepository, ImportRepository.dependency(require(Scope.families_write))]
router = APIRouter(prefix="/v1/imports", tags=["imports"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_FOUND = problems(**{"404": "没有这个导入，或不在你的辖区（No such import, or not in your region）"})


def _download(content: bytes, fmt: str, name: str) -> Response:
    media = XLSX if fmt == "xlsx" else "text/csv; charset=utf-8"
    return Response(content, media_type=media,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}.{fmt}"})


@router.get(
    "/template",
    summary="下载导入模板（CSV 或 XLSX）",
    description=(
        "每行一户家庭，中文列名，必填列以 `*` 结尾；XLSX 模板的第二张表（说明）逐列说明填写方法。\n\nAny token with "
        "`families:read`. `format` is `xlsx` (default) or `csv` (UTF-8 with a BOM, so Excel reads it right)."
    ),
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, XLSX: {}}}},
)
async def template(imports: Imports, format: Literal["csv", "xlsx"] = Query("xlsx")) -> Response:
    content = render_template_xlsx() if format == "xlsx" else render_template_csv()
    return _download(content, format, "tefu-family-import-template")


@router.post(
    "",
    response_model=ImportOut,
    status_code=202,
    summary="上传家庭名单（UTF-8 或 GBK 编码的 CSV，或 XLSX）",
    description=(
        "先整体检查文件（格式、编码、必填列）：无法读取时答复 422（`field` 为 `file`，`code` 如 `columns-missing`、"
        "`file-encoding-unknown`、`too-many-rows`（超过 1,000,000 行）、`too-many-columns`（超过 200 列）），不导入任何内容；"
        "否则创建导入任务（202），在后台逐行登记，进度见 "
        "`GET /v1/imports/{id}`。\n\nClerks and admins (`families:write`); rows are registered in the caller's region "
        "(a row elsewhere is rejected). Each bad row is reported with its row number, column, code and reason and "
        "does not stop the others. The same file uploaded again returns the same job (200) and creates nothing "
        "twice; a corrected file skips rows already registered (reported as duplicates). 413 `file-too-large` "
        "over 50 MB; 400 `file-empty`."
    ),
    responses={200: {"model": ImportOut, "description": "The same file was uploaded before: its job."},
               **problems(400, 413)},
)
async def upload(
    request: Request,
    response: Response,
    background: BackgroundTasks,
    imports: ImportWriter,
    lease: Lease,
    file: UploadFile = File(..., description="CSV or XLSX in the template's layout."),
    encoding: Literal["utf-8", "gbk", "gb18030"] | None = Form(None, description="CSV only; detected when omitted."),
) -> ImportOut:
    data = await file.read()
    job, created = await service.start_import(
        imports, data=data, filename=file.filename or "upload", content_type=file.content_type, encoding=encoding,
        lease=lease)
    if created:
        background.add_task(service.run_import, request.app.state.database, job_id=job.id, data=data,
                            caller=imports.caller, lease=lease, workers=request.app.state.settings.import_workers)
    else:
        response.status_code = 200
    return _import_out(job, lease)


def _import_out(job: ImportJob, lease: timedelta) -> ImportOut:
    return ImportOut.model_validate(job, from_attributes=True).model_copy(
        update={"stalled": service.is_stalled(job, lease)})


def _lease(request: Request) -> timedelta:
    return timedelta(seconds=request.app.state.settings.import_lease_seconds)


Lease = Annotated[timedelta, Depends(_lease)]
"""How long a running job's worker may go without renewing its lease (settings)."""


@router.get(
    "",
    response_model=Page[ImportOut],
    summary="本辖区的导入任务",
    description=(
        "列出本辖区（含下辖街镇）的导入任务，最新的在前，每项与 `GET /v1/imports/{id}` 的答复相同（含进度）；可按状态、"
        "区划、上传人筛选。\n\nAny token with `families:read`; only jobs of your region (a county clerk sees the jobs "
        "of the townships under it). `status` may be repeated (`?status=queued&status=running`): `queued`, "
        "`running`, `finished`, `failed`, or `stalled` for a job whose worker stopped renewing its lease (killed, "
        "crashed, restarted: shown within `import_lease_seconds`, a minute by default; then `queued` and `running` "
        "are the jobs still moving). `region` narrows to a code within yours; `created_by=me` lists your own uploads "
        "(or name an uploader). Newest first, pages by `cursor`/`limit`."
    ),
)
async def list_imports(
    imports: Imports,
    page: PageParams,
    lease: Lease,
    status: list[Literal["queued", "running", "finished", "failed", "stalled"]] | None = Query(
        None, max_length=5, description="One or several (repeat the parameter); any status when absent."),
    region: RegionCodeStr | None = Query(None, description="A GB/T 2260 code; jobs of regions under it."),
    created_by: str | None = Query(None, max_length=128, description="`me`, or an uploader's subject."),
) -> Page[ImportOut]:
    jobs, next_cursor = await service.list_jobs(imports, statuses=status, region=region, created_by=created_by,
                                                page=page, lease=lease)
    return Page[ImportOut](items=[_import_out(job, lease) for job in jobs], next_cursor=next_cursor)


@router.get(
    "/{import_id}",
    response_model=ImportOut,
    summary="导入的进度和结果",
    description=(
        "导入任务的状态和计数：已处理、已登记、重复、被拒绝的行数。\n\nAny token with `families:read`; only jobs of your "
        "region (404 `import-not-found` otherwise). `stalled` is true for a job cut off by a restart: upload the same "
        "file again to resume."
    ),
    responses=NOT_FOUND,
)
async def get_import(import_id: RowId, imports: Imports, lease: Lease) -> ImportOut:
    return _import_out(await imports.job(import_id), lease)


def _issue_out(issue: ImportRowIssue) -> RowIssueOut:
    found = service.issue_problems(issue)
    whole_row = len(found) == 1 and not found[0].column
    detail = found[0].message if whole_row else summary(found)
    return RowIssueOut(
        row_number=issue.row_number, outcome=issue.outcome, column=issue.column, code=issue.code,
        detail=detail.render(current_language()),
        problems=[RowProblemOut(column=p.column or None, code=p.code, detail=p.message.render()) for p in found],
        existing_family_id=issue.existing_family_id,
    )


@router.get(
    "/{import_id}/issues",
    response_model=Page[RowIssueOut],
    summary="被拒绝和重复的行",
    description=(
        "逐行列出未导入的行：被拒绝的行给出列名、代码和原因（每列只写一次），重复的行给出已登记的家庭。\n\nAny token with "
        "`families:read`; only jobs of your region. `outcome` picks rejected or duplicate rows. In row order, pages "
        "by `cursor`/`limit`."
    ),
    responses=NOT_FOUND,
)
async def issues(
    import_id: RowId, imports: Imports, page: PageParams,
    outcome: Literal["rejected", "duplicate"] | None = Query(None),
) -> Page[RowIssueOut]:
    job = await imports.job(import_id)
    rows, next_cursor = await imports.issues_page(job, outcome, page)
    return Page[RowIssueOut](items=[_issue_out(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{import_id}/rejected",
    summary="下载被拒绝的行，改正后重新上传",
    description=(
        "被拒绝的行按上传时的格式和编码返回，前面加上“原行号”和“错误原因”两列（中文，每列只写一次，如“母亲身份证号：校验码应为"
        "“6”，而不是“7””）；改正后直接上传这个文件即可，这两列会被忽略。\n\nClerks and admins (`families:write`) of the "
        "job's region. `format` overrides the upload's format."
    ),
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, XLSX: {}}}, **NOT_FOUND},
)
async def rejected(import_id: RowId, imports: ImportWriter, format: Literal["csv", "xlsx"] | None = Query(None)) -> Response:
    job = await imports.job(import_id)
    fmt = format or job.file_format
    return _download(await service.rejected_file(imports, job=job, fmt=fmt), fmt, f"import-{job.id}-rejected")
