"""Import jobs as the caller may read them: only the jobs of the caller's region."""

from __future__ import annotations

from sqlalchemy import select

from tefu_common.errors import NotFound
from tefu_common.i18n import Text
from tefu_common.paging import PageRequest, keyset_page
from tefu_common.repository import Repository
from tefu_registry.imports.models import ImportJob, ImportRowIssue


class ImportRepository(Repository):
    async def job(self, job_id: int) -> ImportJob:
        """The job, or 404 (the same for a job of another region)."""
        job = await self.session.scalar(self.scoped(select(ImportJob).where(ImportJob.id == job_id), ImportJob.region_code))
        if job is None:
            raise NotFound(Text(f"没有编号为 {job_id} 的导入（或不在你的辖区）", f"no import {job_id} (or not in your region)"),
                           code="import-not-found")
        return job

    async def same_file(self, digest: str) -> ImportJob | None:
        """An earlier upload of the same file in the caller's own region."""
        return await self.session.scalar(
            select(ImportJob).where(ImportJob.region_code == self.caller.region, ImportJob.file_sha256 == digest))

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
