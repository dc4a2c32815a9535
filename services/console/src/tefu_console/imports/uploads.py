"""The console's list of imports uploaded here, and the upload itself (multipart to the registry)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from tefu_console.auth.sessions import Person
from tefu_console.imports.models import Upload
from tefu_console.problems import ServiceRefused
from tefu_console.services import Apis, Part, parts

MAX_BYTES = 20 * 1024 * 1024
DONE = ("finished", "failed")


async def upload(apis: Apis, db: AsyncSession, person: Person, file: UploadFile, encoding: str | None) -> dict[str, Any]:
    """Send the spreadsheet to the registry's imports API; the job it answers with is remembered."""
    content = await file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:  # refused here: a cut-off file would import as if it were whole
        raise ServiceRefused(413, {"field": "file", "detail": f"文件超过 {MAX_BYTES // (1024 * 1024)} MB，请分成几个文件上传。"},
                             "工作台")
    data = {"encoding": encoding} if encoding else None
    job: dict[str, Any] = await apis.registry.send(
        "POST", "/v1/imports", files={"file": (file.filename or "upload", content,
                                               file.content_type or "application/octet-stream")}, data=data)
    known = await db.scalar(select(Upload).where(Upload.import_id == job["id"], Upload.region == person.region))
    if known is None:  # the same file again is the same job: listed once
        db.add(Upload(import_id=job["id"], filename=job.get("filename") or file.filename or "", region=person.region,
                      uploaded_by=person.subject, uploaded_at=datetime.now(timezone.utc)))
    return job


async def recent(apis: Apis, db: AsyncSession, person: Person, limit: int = 30) -> list[tuple[Upload, Part]]:
    uploads = (await db.scalars(select(Upload).where(Upload.region == person.region)
                                .order_by(Upload.uploaded_at.desc()).limit(limit))).all()
    jobs = await parts(**{str(u.id): apis.registry.get(f"/v1/imports/{u.import_id}") for u in uploads})
    return [(u, jobs[str(u.id)]) for u in uploads]


def progress(job: dict[str, Any]) -> dict[str, Any]:
    """What the progress bar shows, for the page and its JSON endpoint alike."""
    total, processed = int(job.get("total_rows") or 0), int(job.get("processed_rows") or 0)
    percent = 100 if job["status"] in DONE else (round(100 * processed / total) if total else 0)
    return {"id": job["id"], "status": job["status"], "done": job["status"] in DONE, "percent": percent,
            "total_rows": total, "processed_rows": processed, "accepted_rows": job.get("accepted_rows", 0),
            "duplicate_rows": job.get("duplicate_rows", 0), "rejected_rows": job.get("rejected_rows", 0),
            "stalled": bool(job.get("stalled")), "error": job.get("error")}
