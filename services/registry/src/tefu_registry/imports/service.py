"""Import jobs: accept a file, check it as a whole, then register its rows in the background.

- The file as a whole is checked before a job exists (encoding, format, required columns): a
  file that cannot be read is refused at once with the reason, and nothing is imported.
- Rows are then registered one by one, each in a savepoint, committed in chunks: a bad row is
  reported (row number, column, reason) and never costs a good neighbour its place.
- A row whose parent is already in the register is reported as a duplicate, not an error, so a
  corrected file can be uploaded again without creating anything twice; the same file uploaded
  twice (same SHA-256, same region) is the same job.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.auth import Principal
from tefu_common.db import Database
from tefu_common.errors import BadRequest, Conflict, Forbidden, NotFound, ValidationFailed
from tefu_common import calendar
from tefu_registry.families.registration import PreparedFamily, persist_families, prepare_family
from tefu_registry.imports.models import ImportJob, ImportRowIssue
from tefu_registry.imports.preparation import WORKER_THRESHOLD_BYTES, forget, prepare_chunk, worker_pool
from tefu_registry.imports.parsing import (
    ImportFileError,
    RowError,
    detect_format,
    header_for_field,
    read_rows,
    rejected_rows_csv,
    rejected_rows_xlsx,
    row_to_family,
)

log = logging.getLogger("tefu.imports")
MAX_FILE_BYTES = 50 * 1024 * 1024
STALLED_AFTER = timedelta(minutes=5)
CHUNK_ROWS = 1000
PARENT_ID_HEADERS = ("母亲身份证号", "父亲身份证号")


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def start_import(
    session: AsyncSession, *, data: bytes, filename: str, content_type: str | None, encoding: str | None,
    caller: Principal,
) -> tuple[ImportJob, bool]:
    """Check the file and create its job; returns (job, created). An identical earlier upload is reused."""
    if not data:
        raise BadRequest("the file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise BadRequest(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split it")
    digest = hashlib.sha256(data).hexdigest()
    existing = await session.scalar(
        select(ImportJob).where(ImportJob.region_code == caller.region, ImportJob.file_sha256 == digest)
    )
    if existing is not None and not is_stalled(existing) and existing.status != "failed":
        return existing, False
    try:
        fmt = detect_format(filename, content_type, data)
        with read_rows(data, fmt, encoding) as rows:  # reads the header row: required columns checked here
            detected_encoding = rows.encoding
    except ImportFileError as exc:
        raise ValidationFailed(str(exc), errors=[{"field": "body.file", "message": str(exc), "type": "value_error"}]) from None
    if existing is not None:  # a failed or interrupted job of the same file is restarted in place
        job = existing
        job.status, job.error, job.finished_at, job.heartbeat_at = "queued", None, None, _now()
    else:
        job = ImportJob(region_code=caller.region, file_sha256=digest, filename=filename[:255], file_format=fmt,
                        encoding=detected_encoding, status="queued", created_by=caller.subject, created_at=_now(),
                        heartbeat_at=_now())
        session.add(job)
    await session.flush()
    return job, True


def is_stalled(job: ImportJob) -> bool:
    """A queued or running job that has not moved for a while was cut off (the service restarted)."""
    if job.status not in ("queued", "running") or job.heartbeat_at is None:
        return False
    return _now() - job.heartbeat_at > STALLED_AFTER


async def scoped_job(session: AsyncSession, *, job_id: int, caller: Principal) -> ImportJob:
    job = await session.get(ImportJob, job_id)
    if job is None or not caller.covers_region(job.region_code):
        raise NotFound(f"no import {job_id}")
    return job


async def run_import(database: Database, *, job_id: int, data: bytes, caller: Principal) -> None:
    """Register every row of the file (in the background, after the upload request answered)."""
    async with database.sessionmaker() as session:
        job = await session.get(ImportJob, job_id)
        job.status = "running"
        fmt, encoding = job.file_format, job.encoding
        await session.commit()
    try:
        await _register_rows(database, job_id=job_id, data=data, fmt=fmt, encoding=encoding, caller=caller)
    except Exception as exc:  # the rows committed so far stay; the job says where it stopped
        log.exception("import %s failed", job_id)
        async with database.sessionmaker() as session:
            await session.execute(update(ImportJob).where(ImportJob.id == job_id).values(
                status="failed", error=f"stopped after an unexpected error ({type(exc).__name__}); upload the file again to resume",
                finished_at=_now()))
            await session.commit()


@dataclass
class _Issue:
    """A row that will not be registered, and why."""

    number: int
    row: dict[str, str]
    outcome: str  # rejected | duplicate
    column: str | None
    reason: str
    existing_family_id: int | None = None


async def _register_rows(database: Database, *, job_id: int, data: bytes, fmt: str, encoding: str | None,
                         caller: Principal) -> None:
    """Check chunk n+1 while chunk n is written.

    Checking rows is Python work; writing a chunk is mostly PostgreSQL's. For a large file the
    checking runs in a worker process (see preparation.py), so the two really overlap.
    """
    today = calendar.today()
    counts = {"processed_rows": 0, "accepted_rows": 0, "duplicate_rows": 0, "rejected_rows": 0}
    pool = worker_pool() if len(data) > WORKER_THRESHOLD_BYTES else None
    log.info("import %s: checking rows in %s", job_id, "a worker process" if pool else "the service process")
    loop = asyncio.get_running_loop()
    try:
        with read_rows(data, fmt, encoding) as rows:
            iterator = iter(rows)

            def check_next() -> asyncio.Future[list[Any]]:
                chunk = list(itertools.islice(iterator, CHUNK_ROWS))
                if pool is not None:
                    return asyncio.wrap_future(pool.submit(prepare_chunk, job_id, chunk, caller, today))
                future: asyncio.Future[list[Any]] = loop.create_future()
                future.set_result(prepare_chunk(job_id, chunk, caller, today))
                return future

            pending = check_next()
            while True:
                prepared = await pending
                finished = len(prepared) < CHUNK_ROWS
                if not finished:
                    pending = check_next()
                async with database.sessionmaker() as session:
                    for outcome in await _write_chunk(session, prepared, caller=caller, today=today, job_id=job_id):
                        counts["processed_rows"] += 1
                        counts[f"{outcome}_rows"] += 1
                    values: dict[str, Any] = dict(counts, total_rows=counts["processed_rows"], heartbeat_at=_now())
                    if finished:
                        values.update(status="finished", finished_at=_now())
                    await session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))
                    await session.commit()
                if finished:
                    return
    finally:
        forget(job_id)
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


def prepare_row(number: int, row: dict[str, str], seen: dict[str, int], *, caller: Principal,
                 today: Any) -> PreparedFamily | _Issue:
    try:
        family = row_to_family(row)
    except RowError as exc:
        return _Issue(number, row, "rejected", exc.column, exc.summary)
    for header in PARENT_ID_HEADERS:
        value = (row.get(header) or "").strip().upper()
        if value and value in seen:
            return _Issue(number, row, "rejected", header, f"与第 {seen[value]} 行重复 (同一父母身份证号)")
    try:
        prepared = prepare_family(family, caller=caller, today=today)
    except ValidationFailed as exc:
        body = family.model_dump(mode="json")
        problems = [(header_for_field(e["field"], body), e["message"]) for e in exc.extensions["errors"]]
        return _Issue(number, row, "rejected", problems[0][0], "; ".join(f"{h}: {m}" for h, m in problems))
    except Forbidden as exc:
        return _Issue(number, row, "rejected", "户籍地区划代码", exc.detail or "不在本辖区")
    for header in PARENT_ID_HEADERS:
        value = (row.get(header) or "").strip().upper()
        if value:
            seen[value] = number
    return prepared


async def _write_chunk(session: AsyncSession, chunk: list[tuple[int, dict[str, str], PreparedFamily | _Issue]], *,
                       caller: Principal, today: Any, job_id: int) -> list[str]:
    issues = [item for _, _, item in chunk if isinstance(item, _Issue)]
    batch = [(n, row, item) for n, row, item in chunk if isinstance(item, PreparedFamily)]
    if batch:
        try:
            async with session.begin_nested():
                results = await persist_families(session, [b[2] for b in batch], caller=caller)
        except IntegrityError as exc:
            log.warning("import %s: batch refused by the database (%s); registering its rows one by one",
                        job_id, str(exc.orig)[:200])
            # Someone registered one of these parents meanwhile: one row at a time, from freshly
            # prepared rows (the rolled-back ones carry ids that no longer exist).
            results = [await _persist_one(session, row, caller, today) for _, row, _ in batch]
        issues += [
            _Issue(n, row, "duplicate", None, f"已登记: {result.detail}", result.extensions.get("existing_family_id"))
            for (n, row, _), result in zip(batch, results) if isinstance(result, Conflict)
        ]
    if issues:
        await session.execute(insert(ImportRowIssue), [
            {"job_id": job_id, "row_number": i.number, "outcome": i.outcome, "column": i.column, "reason": i.reason,
             "existing_family_id": i.existing_family_id, "raw_row": json.dumps(i.row, ensure_ascii=False)}
            for i in issues
        ])
    outcomes = {i.number: i.outcome for i in issues}
    return [outcomes.get(n, "accepted") for n, _, _ in chunk]


async def _persist_one(session: AsyncSession, row: dict[str, str], caller: Principal, today: Any) -> Any:
    prepared = prepare_family(row_to_family(row), caller=caller, today=today)
    try:
        async with session.begin_nested():
            [result] = await persist_families(session, [prepared], caller=caller)
        return result
    except IntegrityError:
        return Conflict("registered by another request during the import")


async def row_issues(session: AsyncSession, *, job: ImportJob, outcome: str | None = None, after: int = 0,
                     limit: int = 1000) -> list[ImportRowIssue]:
    query = select(ImportRowIssue).where(ImportRowIssue.job_id == job.id, ImportRowIssue.id > after)
    if outcome:
        query = query.where(ImportRowIssue.outcome == outcome)
    return list((await session.scalars(query.order_by(ImportRowIssue.row_number).limit(limit))).all())


async def rejected_file(session: AsyncSession, *, job: ImportJob, fmt: str) -> bytes:
    """The rejected rows in the uploaded shape, with row number and reason, to fix and upload again."""
    issues = await row_issues(session, job=job, outcome="rejected", limit=10**7)
    rows = [(i.row_number, json.loads(i.raw_row), f"{i.column or ''}: {i.reason}" if i.column else i.reason) for i in issues]
    headers: list[str] = []
    for _, row, _ in rows:
        headers += [h for h in row if h not in headers]
    if fmt == "xlsx":
        return rejected_rows_xlsx(headers, rows)
    return rejected_rows_csv(headers, rows, job.encoding if job.file_format == "csv" else None)

