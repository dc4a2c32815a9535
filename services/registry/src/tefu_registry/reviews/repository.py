"""Reads and writes of review tasks, in the caller's region (the family's region, by the same
scoping as the families), every task shown written to the access log (a death or an account is
personal data)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from tefu_common.errors import NotFound
from tefu_common.i18n import Text
from tefu_common.paging import PageRequest, keyset_page
from tefu_common.scoping import scoped
from tefu_registry.families.models import Family, Member
from tefu_registry.families.repository import FamilyRepository
from tefu_registry.families.review_tasks import OPEN, ReviewTask


def _missing(task_id: int) -> NotFound:
    return NotFound(Text(f"没有编号为 {task_id} 的核查任务（或不在你的辖区）", f"no review task {task_id} (or not in your region)"),
                    code="review-task-not-found")


class ReviewRepository(FamilyRepository):
    async def member(self, member_id: int) -> tuple[Member, Family] | None:
        """A member and its family, in the caller's region (not shown: not logged)."""
        query = self.scoped(select(Member, Family).join(Family, Family.id == Member.family_id)
                            .where(Member.id == member_id), Family.region_code)
        row = (await self.session.execute(query)).one_or_none()
        return (row[0], row[1]) if row is not None else None

    async def by_source(self, source: str, source_ref: str, kind: str) -> ReviewTask | None:
        query = select(ReviewTask).where(ReviewTask.source == source, ReviewTask.source_ref == source_ref,
                                         ReviewTask.kind == kind)
        return (await self.session.scalars(self.scoped(query, ReviewTask.region_code))).one_or_none()

    async def task(self, task_id: int) -> ReviewTask:
        """A task to change (not yet shown: not logged); 404 outside the caller's region."""
        query = self.scoped(select(ReviewTask).where(ReviewTask.id == task_id), ReviewTask.region_code)
        task = (await self.session.scalars(query)).one_or_none()
        if task is None:
            raise _missing(task_id)
        return task

    async def open_of_members(self, member_ids: Sequence[int], kind: str | None = None) -> list[ReviewTask]:
        """The open tasks of these members (a change of the family closes them), not shown."""
        query = select(ReviewTask).where(ReviewTask.member_id.in_(list(member_ids)), ReviewTask.status == OPEN)
        if kind is not None:
            query = query.where(ReviewTask.kind == kind)
        return list((await self.session.scalars(self.scoped(query, ReviewTask.region_code))).all())

    async def roles_of(self, tasks: Sequence[ReviewTask]) -> dict[int, str]:
        """Each task's member's role (mother, father, child), in one read."""
        ids = {t.member_id for t in tasks}
        rows = (await self.session.execute(select(Member.id, Member.role).where(Member.id.in_(ids)))).all() if ids else []
        return {member_id: role for member_id, role in rows}

    async def shown(self, tasks: Sequence[ReviewTask]) -> Sequence[ReviewTask]:
        await self.log_reads([{"family_id": t.family_id, "region_code": t.region_code} for t in tasks])
        return tasks

    async def page(self, region: str, status: str | None, kind: str | None,
                   page: PageRequest) -> tuple[list[ReviewTask], str | None]:
        # The caller's region, then the part of it asked for (checked within it by the service).
        query = scoped(self.scoped(select(ReviewTask), ReviewTask.region_code), ReviewTask.region_code, region)
        if status is not None:
            query = query.where(ReviewTask.status == status)
        if kind is not None:
            query = query.where(ReviewTask.kind == kind)
        rows, next_cursor = await keyset_page(self.session, query, key=[ReviewTask.id], page=page)
        await self.shown(rows)
        return rows, next_cursor
