"""The registry's import jobs as the 导入 pages show them, and the upload itself (multipart to the registry).

The list is the registry's own (``GET /v1/imports``, the person's region): imports made through
the API or by a colleague appear in it as well as those uploaded here, and the console keeps no
record of its own.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import UploadFile

from tefu_console.formats import label
from tefu_console.problems import ServiceRefused
from tefu_console.services import Apis

MAX_BYTES = 20 * 1024 * 1024
DONE = ("finished", "failed")
PAGE_SIZE = 30
# The page's status filter, each choice as the registry's `status` values it stands for.
FILTERS: dict[str, tuple[str, list[str]]] = {
    "active": ("进行中", ["queued", "running"]),
    "finished": ("已完成", ["finished"]),
    "failed": ("失败", ["failed"]),
    "stalled": ("已中断", ["stalled"]),
}


async def upload(apis: Apis, file: UploadFile, encoding: str | None) -> dict[str, Any]:
    """Send the spreadsheet to the registry's imports API; the job it answers with."""
    content = await file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:  # refused here: a cut-off file would import as if it were whole
        raise ServiceRefused(413, {"field": "file", "detail": f"文件超过 {MAX_BYTES // (1024 * 1024)} MB，请分成几个文件上传。"},
                             "工作台")
    data = {"encoding": encoding} if encoding else None
    job: dict[str, Any] = await apis.registry.send(
        "POST", "/v1/imports", files={"file": (file.filename or "upload", content,
                                               file.content_type or "application/octet-stream")}, data=data)
    return job


async def jobs_page(apis: Apis, *, shown: str, mine: bool, cursor: str | None) -> dict[str, Any]:
    """A page of the region's jobs, newest first, each with what its row shows (status in Chinese, progress)."""
    statuses = FILTERS[shown][1] if shown in FILTERS else None
    page: dict[str, Any] = await apis.registry.get("/v1/imports", status=statuses, created_by="me" if mine else None,
                                                   cursor=cursor, limit=PAGE_SIZE)
    query = urlencode({k: v for k, v in (("status", shown if shown in FILTERS else ""), ("mine", "true" if mine else ""))
                       if v})
    base = "/imports" + (f"?{query}" if query else "")
    return {
        "jobs": [{**job, "progress": progress(job), "status_zh": status_zh(job)} for job in page["items"]],
        "next_url": f"{base}{'&' if query else '?'}cursor={page['next_cursor']}" if page.get("next_cursor") else None,
        "first_url": base if cursor else None,
    }


def status_zh(job: dict[str, Any]) -> str:
    """排队中, 处理中, 已完成, 失败, or 已中断 for a job cut off by a restart (the registry's `stalled`)."""
    return "已中断" if job.get("stalled") else label(job["status"])


def progress(job: dict[str, Any]) -> dict[str, Any]:
    """What the progress bar shows, for the page and its JSON endpoint alike."""
    total, processed = int(job.get("total_rows") or 0), int(job.get("processed_rows") or 0)
    percent = 100 if job["status"] in DONE else (round(100 * processed / total) if total else 0)
    return {"id": job["id"], "status": job["status"], "done": job["status"] in DONE, "percent": percent,
            "total_rows": total, "processed_rows": processed, "accepted_rows": job.get("accepted_rows", 0),
            "duplicate_rows": job.get("duplicate_rows", 0), "rejected_rows": job.get("rejected_rows", 0),
            "stalled": bool(job.get("stalled")), "error": job.get("error")}
