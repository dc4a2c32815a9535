"""Import jobs as the caller may read them: only the jobs of the caller's region."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, false, or_, select
from sqlalchemy.sql.elements import ColumnElement

from tefu_common.errors import NotFound
from tefu_common.i18n import Text
from tefu_common.paging import PageRequest, keyset_page
from tefu_common.repository import Repository
from tefu_common.scoping import region_clause
from tefu_registry.imports.models import ImportJob, ImportRowIssue


class ImportRepository(Repository):
    async def job(self, job_id: int) -> ImportJob:
        """The job, or 404 (the same for a job of another region)."""
        job = await self.session.scalar(self.scoped(select(ImportJob).where(ImportJob.id == job_id), ImportJob.region_code))
        if job is None:
            raise NotFound(Text(f"没有编号为 {job_id} 的导入（或不在你的辖区）", f"no import {job_id} (or not in your region)"),
                           code="import-not-found")
        return job

    async def jobs_page(self, *, statuses: frozenset[str], stalled_before: datetime, region: str | None,
                        created_by: str | None, page: PageRequest) -> tuple[list[ImportJob], str | None]:
        """A page of the jobs of the caller's region, newest first (keyset on the id, descending).

        ``statuses`` may hold ``stalled``: a queued or running job whose heartbeat is older than
        ``stalled_before``; ``queued`` and ``running`` then mean the jobs still moving. Empty: every job.
        """
        query = self.scoped(select(ImportJob), ImportJob.region_code)
        if region:
            query = query.where(region_clause(ImportJob.region_code, region))
        if created_by:
            query = query.where(ImportJob.created_by == created_by)
        if statuses:
            query = query.where(_status_clause(statuses, stalled_before))
        # A clerk wants the latest upload on top.
        return await keyset_page(self.session, query, key=[ImportJob.id], page=page, descending=True)

    async def same_file(self, digest: str, *, for_update: bool = False) -> ImportJob | None:
        """An earlier upload of the same file in the caller's own region. ``for_update``: its row is
        locked until the transaction ends, so that two replicas given the same file at once do not
        both restart it (the second waits, then finds it queued)."""
        query = select(ImportJob).where(ImportJob.region_code == self.caller.region, ImportJob.file_sha256 == digest)
        return await self.session.scalar(query.with_for_update() if for_update else query)

    async def issues_page(self, job: ImportJob, outcome: str | None, page: PageRequest) -> tuple[list[ImportRowIssue], str | None]:
        query = select(ImportRowIssue).where(ImportRowIssue.job_id == job.id)
        if outcome:
            query = query.where(ImportRowIssue.outcome == outcome)
        return await keyset_page(self.session, query, key=[ImportRowIssue.row_number, ImportRowIssue.id], page=page)

    async def rejected(self, job: ImportJob) -> list[ImportRowIssue]:
        """Every rejected row of the job, as uploaded (to write the file the clerk corrects)."""
        query = (select(ImportRowIssue).where(ImportRowIssue.job_id == job.id, ImportRowIssue.outcome == "rejected")
                 .order_by(ImportRowIssue.row_number, ImportRowIssue.id))
        return list((await self.session.scalars(query)).all())


def _status_clause(statuses: frozenset[str], stalled_before: datetime) -> ColumnElement[bool]:
    """The jobs in any of ``statuses``, ``stalled`` judged as service.is_stalled judges one job."""
    stalled = and_(ImportJob.status.in_(("queued", "running")), ImportJob.heartbeat_at.is_not(None),
                   ImportJob.heartbeat_at < stalled_before)
    moving = or_(ImportJob.heartbeat_at.is_(None), ImportJob.heartbeat_at >= stalled_before)
    clauses: list[ColumnElement[bool]] = []
    if done := sorted(statuses & {"finished", "failed"}):
        clauses.append(ImportJob.status.in_(done))
    if live := sorted(statuses & {"queued", "running"}):
        clauses.append(and_(ImportJob.status.in_(live), moving))
    if "stalled" in statuses:
        clauses.append(stalled)
    return or_(*clauses) if clauses else false()
