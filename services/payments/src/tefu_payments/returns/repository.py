"""The lines a return file names, and the log of every return file posted.

A return file shows the payment results of a batch's lines (and a refusal answers with their
amounts and states), so every post is logged: an applied one in the request's transaction, a
refused one in a transaction of its own, since the request's own is rolled back.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.auth import Role, Scope, require
from tefu_common.calendar import CHINA
from tefu_payments.access_log.reads import record_read
from tefu_payments.batches.models import Batch, BatchTransition, LedgerLine
from tefu_payments.batches.repository import BatchRepository

SHOWN = "payment results of the lines posted: paid or failed, reasons, dates, amounts"
IN_LIST = 5000  # references per query


class ReturnRepository(BatchRepository):
    """Batches as an agency's client sees them (its own only), and their lines by reference."""

    async def lines_by_reference(self, references: list[str]) -> dict[str, LedgerLine]:
        lines: dict[str, LedgerLine] = {}
        for start in range(0, len(references), IN_LIST):
            for line in (await self.session.scalars(select(LedgerLine).where(
                    LedgerLine.reference.in_(references[start:start + IN_LIST])))).all():
                lines[line.reference] = line
        return lines

    async def exported_on(self, batch: Batch) -> date | None:
        """The day (China) the batch was first exported: no line of it can have been paid before."""
        at = await self.session.scalar(select(func.min(BatchTransition.at)).where(
            BatchTransition.batch_id == batch.id, BatchTransition.to_status == "exported"))
        return at.astimezone(CHINA).date() if at is not None else None

    async def status_counts(self, batch: Batch) -> dict[str, int]:
        return dict((await self.session.execute(select(LedgerLine.status, func.count()).where(
            LedgerLine.batch_id == batch.id).group_by(LedgerLine.status))).all())  # type: ignore[arg-type]

    async def log_post(self, batch: Batch, *, rows: int, sha256: str, note: str) -> None:
        await record_read(self.session, self.reader, action="return_post", region_code=batch.region_code,
                          batch_id=batch.id, line_count=rows, sha256=sha256, note=note[:200], shown=SHOWN)

    async def log_refused(self, batch: Batch, *, rows: int, sha256: str, note: str) -> None:
        """Log a refused post in a transaction of its own: the request's is about to be rolled back."""
        async with AsyncSession(self.session.bind) as apart:
            await record_read(apart, self.reader, action="return_post", region_code=batch.region_code,
                              batch_id=batch.id, line_count=rows, sha256=sha256, note=note[:200], shown=SHOWN)
            await apart.commit()


AgencyReturns = Annotated[ReturnRepository, ReturnRepository.dependency(
    require(Scope.returns_submit, roles=[Role.agency]))]
