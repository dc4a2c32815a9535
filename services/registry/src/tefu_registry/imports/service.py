"""Import jobs: accept a file, check it as a whole, then register its rows in the background.

- The file as a whole is checked before a job exists (encoding, format, required columns): a
  file that cannot be read is refused at once with the reason, and nothing is imported.
- Rows are then registered one by one, each in a savepoint, committed in chunks: a bad row is
  reported (row number, column, code, the reason in Chinese) and never costs a good neighbour its place.
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
from collections import deque
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common import calendar
from tefu_common.auth import Principal
from tefu_common.db import Database, savepoint
from tefu_common.errors import BadRequest, Conflict, PayloadTooLarge
from tefu_common.i18n import Text
from tefu_common.paging import PageRequest
from tefu_common.tables import off_the_loop
from tefu_registry.families.batch_rows import FamilyRows
from tefu_registry.families.registration import persist_families, prepare_family
from tefu_registry.imports.models import ImportJob, ImportRowIssue
from tefu_registry.imports.parsing import (
    ImportFileError,
    detect_format,
    read_rows,
    rejected_rows_csv,
    rejected_rows_xlsx,
    row_to_family,
)
from tefu_registry.imports.preparation import (
    WORKER_THRESHOLD_BYTES,
    DEFAULT_WORKERS,
    CheckedChunk,
    Issue,
    RepeatedParents,
    prepare_chunk,
    worker_pool,
)
from tefu_registry.imports.repository import ImportRepository
from tefu_registry.imports.rows import RowProblem

log = logging.getLogger("tefu.imports")
MAX_FILE_BYTES = 50 * 1024 * 1024
# A running job's worker renews its lease this often (a fraction of the lease): a job whose lease
# ran out had its worker die (kill -9, a crash, a restart) and shows as interrupted.
LEASE_RENEWALS = 4
CHUNK_ROWS = 1000


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def start_import(
    imports: ImportRepository, *, data: bytes, filename: str, content_type: str | None, encoding: str | None,
    lease: timedelta,
) -> tuple[ImportJob, bool]:
    """Check the file and create its job; returns (job, created). An identical earlier upload is reused."""
    caller, session = imports.caller, imports.session
    if not data:
        raise BadRequest(Text("文件是空的", "the file is empty"), code="file-empty")
    if len(data) > MAX_FILE_BYTES:
        size = MAX_FILE_BYTES // (1024 * 1024)
        raise PayloadTooLarge(Text(f"文件超过 {size} MB，请拆分后分别上传", f"the file is larger than {size} MB; split it"),
                              code="file-too-large")
    digest = hashlib.sha256(data).hexdigest()
    existing = await imports.same_file(digest, for_update=True)
    if existing is not None and not is_stalled(existing, lease) and existing.status != "failed":
        return existing, False
    try:
        fmt = detect_format(filename, content_type, data)
        detected_encoding = await off_the_loop(check_file, data, fmt, encoding)
    except ImportFileError as exc:
        raise exc.at("file") from None
    if existing is not None:  # a failed or interrupted job of the same file is restarted in place
        job = existing
        job.status, job.error, job.finished_at, job.heartbeat_at = "queued", None, None, _now()
        await session.flush()
        return job, True
    job = ImportJob(region_code=caller.region, file_sha256=digest, filename=filename[:255], file_format=fmt,
                    encoding=detected_encoding, status="queued", created_by=caller.subject, created_at=_now(),
                    heartbeat_at=_now())
    try:
        async with savepoint(session):
            session.add(job)
            await session.flush()
    except IntegrityError:
        # The same file reached another replica (or request) at the same moment and its job was
        # committed first: that job is this upload's too, and only it runs.
        existing = await imports.same_file(digest)
        if existing is None:
            raise
        return existing, False
    return job, True


def check_file(data: bytes, fmt: str, encoding: str | None) -> str | None:
    """The header row first (required columns), then the size: a CSV is counted to its end, an XLSX
    by its declared dimension (and counted as its rows are registered). Returns the CSV's encoding."""
    with read_rows(data, fmt, encoding) as rows:
        rows.count_rows()
        return rows.encoding


def is_stalled(job: ImportJob, lease: timedelta) -> bool:
    """A queued or running job whose lease ran out lost its worker (killed, crashed, restarted)."""
    if job.status not in ("queued", "running") or job.heartbeat_at is None:
        return False
    return _now() - job.heartbeat_at > lease


async def list_jobs(imports: ImportRepository, *, statuses: list[str] | None, region: str | None,
                    created_by: str | None, page: PageRequest, lease: timedelta) -> tuple[list[ImportJob], str | None]:
    """The jobs of the caller's region, newest first. ``created_by=me`` is the caller's own uploads;
    ``stalled`` (in ``statuses``) the jobs cut off by a restart, judged as :func:`is_stalled` judges one."""
    if created_by == "me":
        created_by = imports.caller.subject
    return await imports.jobs_page(statuses=frozenset(statuses or ()), stalled_before=_now() - lease,
                                   region=region, created_by=created_by, page=page)


async def _renew_lease(database: Database, job_id: int, every: float) -> None:
    """While the job runs, say so: the heartbeat is its lease, renewed whatever a chunk costs."""
    while True:
        await asyncio.sleep(every)
        try:
            async with database.sessionmaker() as session:
                await session.execute(update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == "running")
                                      .values(heartbeat_at=_now()))
                await session.commit()
        except Exception as exc:  # a busy database: the next renewal tries again, well within the lease
            log.warning("import %s: lease not renewed: %s", job_id, exc)


async def run_import(database: Database, *, job_id: int, data: bytes, caller: Principal, lease: timedelta,
                     workers: int = DEFAULT_WORKERS) -> None:
    """Register every row of the file (in the background, after the upload request answered)."""
    async with database.sessionmaker() as session:
        job = await session.get(ImportJob, job_id)
        job.status, job.heartbeat_at = "running", _now()
        fmt, encoding = job.file_format, job.encoding
        await session.commit()
    renewing = asyncio.create_task(_renew_lease(database, job_id, lease.total_seconds() / LEASE_RENEWALS))
    try:
        await _register_rows(database, job_id=job_id, data=data, fmt=fmt, encoding=encoding, caller=caller,
                             workers=workers)
    except Exception as exc:  # the rows committed so far stay; the job says where it stopped
        log.exception("import %s failed", job_id)
        async with database.sessionmaker() as session:
            await session.execute(update(ImportJob).where(ImportJob.id == job_id).values(
                # Read by the clerk who uploaded the file, in the job's report.
                status="failed", error=f"导入因意外错误（{type(exc).__name__}）中断；已导入的行保留，请重新上传同一文件以继续",
                finished_at=_now()))
            await session.commit()
    finally:
        renewing.cancel()


async def _register_rows(database: Database, *, job_id: int, data: bytes, fmt: str, encoding: str | None,
                         caller: Principal, workers: int = DEFAULT_WORKERS) -> None:
    """Check the next chunks while chunk n is written.

    Checking rows is Python work; writing a chunk is mostly PostgreSQL's. For a large file the
    checking runs in worker processes (see preparation.py), a chunk each, so that the checking and
    the writing really overlap; the chunks are written in the file's order whichever worker
    finishes first.
    """
    today = calendar.today()
    counts = {"processed_rows": 0, "accepted_rows": 0, "duplicate_rows": 0, "rejected_rows": 0}
    pool = worker_pool(workers) if len(data) > WORKER_THRESHOLD_BYTES else None
    log.info("import %s: checking rows in %s", job_id, f"{workers} worker process(es)" if pool else "the service process")
    loop = asyncio.get_running_loop()
    repeated = RepeatedParents()
    checking: deque[tuple[list[tuple[int, dict[str, str]]], asyncio.Future[CheckedChunk]]] = deque()
    try:
        with read_rows(data, fmt, encoding) as rows:
            iterator = iter(rows)

            def check_next() -> None:
                chunk = list(itertools.islice(iterator, CHUNK_ROWS))
                if pool is not None:
                    checking.append((chunk, asyncio.wrap_future(pool.submit(prepare_chunk, chunk, caller, today))))
                    return
                future: asyncio.Future[CheckedChunk] = loop.create_future()
                future.set_result(prepare_chunk(chunk, caller, today))
                checking.append((chunk, future))

            check_next()
            while True:
                chunk, future = checking.popleft()
                checked = await future
                outcomes = [(n, row, repeated.checked(n, row, item)) for (n, row), item in zip(chunk, checked.outcomes)]
                finished = len(chunk) < CHUNK_ROWS
                if not finished:
                    while len(checking) < (workers if pool is not None else 1):
                        check_next()
                async with database.sessionmaker() as session:
                    for outcome in await _write_chunk(session, outcomes, checked.rows, caller=caller, today=today,
                                                      job_id=job_id):
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
        for _, future in checking:
            future.cancel()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


async def _write_chunk(session: AsyncSession, chunk: list[tuple[int, dict[str, str], Issue | int]], rows: FamilyRows,
                       *, caller: Principal, today: Any, job_id: int) -> list[str]:
    """Register a chunk's registrable rows (``rows``, at the positions ``chunk`` gives) and store
    the issues of the others; each row's outcome."""
    issues = [item for _, _, item in chunk if isinstance(item, Issue)]
    batch = [(n, row, item) for n, row, item in chunk if not isinstance(item, Issue)]
    if batch:
        try:
            async with savepoint(session):
                results = await persist_families(session, rows.take([b[2] for b in batch]), caller=caller)
        except IntegrityError as exc:
            log.warning("import %s: batch refused by the database (%s); registering its rows one by one",
                        job_id, str(exc.orig)[:200])
            # Someone registered one of these parents meanwhile: one row at a time, from freshly
            # prepared rows (the rolled-back ones carry ids that no longer exist).
            results = [await _persist_one(session, row, caller, today) for _, row, _ in batch]
        issues += [
            Issue(n, row, "duplicate", [RowProblem("", result.code, _as_text(result.detail))],
                  result.extensions.get("existing_family_id"))
            for (n, row, _), result in zip(batch, results) if isinstance(result, Conflict)
        ]
    if issues:
        await session.execute(insert(ImportRowIssue), [
            {"job_id": job_id, "row_number": i.number, "outcome": i.outcome, "column": i.column, "code": i.code,
             "reason": i.reason.zh, "existing_family_id": i.existing_family_id,
             "problems": [{"column": p.column or None, "code": p.code, "zh": p.message.zh, "en": p.message.en}
                          for p in i.problems],
             "raw_row": json.dumps(i.row, ensure_ascii=False)}
            for i in issues
        ])
    outcomes = {i.number: i.outcome for i in issues}
    return [outcomes.get(n, "accepted") for n, _, _ in chunk]


async def _persist_one(session: AsyncSession, row: dict[str, str], caller: Principal, today: Any) -> Any:
    prepared = prepare_family(row_to_family(row), caller=caller, today=today)
    try:
        async with savepoint(session):
            [result] = await persist_families(session, [prepared], caller=caller)
        return result
    except IntegrityError:
        return Conflict(Text("导入期间，这位父母已由另一个请求登记", "registered by another request during the import"),
                        code="parent-registered")


def _as_text(detail: Text | str | None) -> Text:
    return detail if isinstance(detail, Text) else Text(detail or "", detail or "")


def issue_problems(issue: ImportRowIssue) -> list[RowProblem]:
    """The problems of a stored issue (a row reported before problems were stored has its reason only)."""
    if issue.problems is None:
        return [RowProblem(issue.column or "", issue.code, Text(issue.reason, issue.reason))]
    return [RowProblem(p["column"] or "", p["code"], Text(p["zh"], p["en"])) for p in issue.problems]


async def rejected_file(imports: ImportRepository, *, job: ImportJob, fmt: str) -> bytes:
    """The rejected rows in the uploaded shape, with row number and reason (in Chinese, each column
    named once), to fix and upload again."""
    rows = [(i.row_number, json.loads(i.raw_row), i.reason) for i in await imports.rejected(job)]
    headers: list[str] = []
    for _, row, _ in rows:
        headers += [h for h in row if h not in headers]
    if fmt == "xlsx":
        return rejected_rows_xlsx(headers, rows)
    return rejected_rows_csv(headers, rows, job.encoding if job.file_format == "csv" else None)

