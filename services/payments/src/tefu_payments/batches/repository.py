"""Queries of batches, their transitions and their lines, for one caller.

A caller sees the batches of its region; an agency's client sees only the batches its agency
pays, of those in its region. Reading a batch's lines shows people's (masked) names and accounts: the
page and the people on it go into the access log before the page is returned.
"""

from __future__ import annotations

from typing import Annotated, Any

from sqlalchemy import case, func, select, text
from sqlalchemy.exc import IntegrityError

from tefu_common.auth import Role, Scope, require
from tefu_common.errors import Conflict, NotFound
from tefu_common.i18n import Text
from tefu_common.paging import PageRequest, keyset_page
from tefu_common.repository import Repository
from tefu_payments.access_log.models import PAYMENTS_LOG
from tefu_payments.access_log.reads import record_read
from tefu_payments.batches.models import Batch, BatchSkip, BatchTransition, LedgerLine


def batch_not_found(batch_id: int) -> NotFound:
    return NotFound(Text(f"没有批次 {batch_id}（或不在你的辖区）", f"no batch {batch_id} (or not in your region)"),
                    code="batch-not-found")


class BatchRepository(Repository):
    access_log = PAYMENTS_LOG

    def visible(self, statement: Any) -> Any:
        """``statement`` (of or joined with Batch) kept to the batches the caller may see."""
        if self.caller.role is Role.agency:
            # The batches its agency pays, within the client's region: a client of one region
            # naming another region's agency sees nothing of it.
            agency = self.caller.institution.id if self.caller.institution else ""
            statement = statement.where(Batch.agency_id == agency)
        return self.scoped(statement, Batch.region_code)

    async def get(self, batch_id: int, *, lock: bool = False) -> Batch:
        """The batch, if the caller may see it; 404 alike when it does not exist or is elsewhere."""
        statement = self.visible(select(Batch).where(Batch.id == batch_id))
        if lock and self.session.bind.dialect.name == "postgresql":
            statement = statement.with_for_update()
        batch = await self.session.scalar(statement)
        if batch is None:
            raise batch_not_found(batch_id)
        return batch

    async def page(self, page: PageRequest, *, statuses: tuple[str, ...] = ()) -> tuple[list[Batch], str | None]:
        """Batches the caller sees, oldest first."""
        statement = self.visible(select(Batch))
        if statuses:
            statement = statement.where(Batch.status.in_(statuses))
        return await keyset_page(self.session, statement, key=[Batch.id], page=page)

    async def line_counts(self, batch: Batch) -> dict[str, int]:
        """Arrears, carried lines and lines at the national minimum, in one pass over the batch's lines."""
        def count(condition: Any) -> Any:
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        arrears, carried, national_minimum = (await self.session.execute(select(
            count(LedgerLine.month < f"{batch.period_start:%Y-%m}"),
            count(LedgerLine.carries_line_id.is_not(None)),
            count(LedgerLine.amount_status == "national_minimum"),
        ).where(LedgerLine.batch_id == batch.id))).one()
        return {"arrears_lines": int(arrears), "carried_lines": int(carried),
                "national_minimum_lines": int(national_minimum)}

    async def transitions(self, batch: Batch, page: PageRequest) -> tuple[list[BatchTransition], str | None]:
        statement = select(BatchTransition).where(BatchTransition.batch_id == batch.id)
        return await keyset_page(self.session, statement, key=[BatchTransition.id], page=page)

    async def lines(self, batch: Batch, page: PageRequest) -> tuple[list[tuple[LedgerLine, str | None]], str | None]:
        """A page of the batch's lines in reference order, each with the reference of the failed
        line it pays again; logged with the people it shows."""
        carried = LedgerLine.__table__.alias("carried")
        statement = (select(LedgerLine, carried.c.reference.label("carries"))
                     .outerjoin(carried, carried.c.id == LedgerLine.carries_line_id)
                     .where(LedgerLine.batch_id == batch.id))
        rows, next_cursor = await keyset_page(self.session, statement, key=[LedgerLine.reference], page=page,
                                              scalars=False)
        if rows:
            await record_read(self.session, self.reader, action="batch_lines", region_code=batch.region_code,
                              batch_id=batch.id, line_count=len(rows), members=[line.member_id for line, _ in rows],
                              shown="names and bank accounts masked; amounts and payment results",
                              note=f"references {rows[0][0].reference} to {rows[-1][0].reference}")
        return [(line, carries) for line, carries in rows], next_cursor

    async def skipped(self, batch: Batch, page: PageRequest, reason: str | None = None
                      ) -> tuple[list[BatchSkip], str | None]:
        """A page of what the build of the batch left out, by reason then in the order found;
        logged with the people it names (who has no bank account, say, is about a person)."""
        statement = select(BatchSkip).where(BatchSkip.batch_id == batch.id)
        if reason:
            statement = statement.where(BatchSkip.reason == reason)
        rows, next_cursor = await keyset_page(self.session, statement, key=[BatchSkip.reason, BatchSkip.id], page=page)
        if rows:
            await record_read(self.session, self.reader, action="batch_skipped", region_code=batch.region_code,
                              batch_id=batch.id, line_count=len(rows), members=[skip.member_id for skip in rows],
                              shown="member and family ids of entitlements left out, and why")
        return rows, next_cursor

    # --- building -----------------------------------------------------------------------------------

    async def by_idempotency_key(self, key: str) -> Batch | None:
        return await self.session.scalar(select(Batch).where(Batch.prepared_by == self.caller.subject,
                                                             Batch.idempotency_key == key))

    async def claim_region(self, region_code: str) -> bool:
        """Take the region's build lock for this transaction, without waiting: False if another
        request is building a batch of the region right now.

        Never waiting matters: a request that waited would hold a pooled connection for as long
        as the other build talks to the eligibility service and the registry, and twenty such
        requests starve the pool (and the database monitor's probe with it)."""
        if self.session.bind.dialect.name != "postgresql":
            return True  # SQLite lets one writer in at a time anyway
        return bool(await self.session.scalar(text("SELECT pg_try_advisory_xact_lock(hashtext(:key))"),
                                              {"key": f"batch:{region_code}"}))

    async def region_free(self, region_code: str) -> bool:
        """Whether no request is building a batch of the region now (the lock tried, and let go)."""
        free = await self.claim_region(region_code)
        await self.session.rollback()
        return free

    async def add(self, batch: Batch) -> Batch:
        """Insert a new batch; 409 if the caller's Idempotency-Key was taken meanwhile."""
        self.session.add(batch)
        try:
            await self.session.flush()
        except IntegrityError:
            raise Conflict(Text("这个 Idempotency-Key 的批次正在生成，请稍后用同一个 Key 重试",
                                "a batch with this Idempotency-Key is being built; retry with the same key shortly"),
                           code="idempotency-key-in-use") from None
        return batch


Batches = Annotated[BatchRepository, BatchRepository.dependency(require(Scope.batches_read))]
Preparers = Annotated[BatchRepository, BatchRepository.dependency(
    require(Scope.batches_prepare, roles=[Role.clerk, Role.admin]))]
Approvers = Annotated[BatchRepository, BatchRepository.dependency(
    require(Scope.batches_approve, roles=[Role.approver, Role.admin]))]
AgencyBatches = Annotated[BatchRepository, BatchRepository.dependency(
    require(Scope.disbursements_pull, roles=[Role.agency]))]
