"""A person's payment history: every line of theirs in the batches the caller sees, logged."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Annotated, Any

from sqlalchemy import select, tuple_

from tefu_common.auth import Scope, require
from tefu_common.paging import PageRequest, keyset_page
from tefu_payments.access_log.reads import record_read
from tefu_payments.batches.ledger_bulk import Key
from tefu_payments.batches.models import Batch, LedgerLine
from tefu_payments.batches.repository import BatchRepository

IN_LIST = 2000  # keys per query


class LedgerRepository(BatchRepository):
    """Ledger lines as the caller may see them: through the batches of its region (an agency's
    client: the batches its agency pays)."""

    async def payments_of(self, member_id: int, page: PageRequest) -> tuple[list[tuple[LedgerLine, Batch]], str | None]:
        """A page of the person's lines, by month; logged once for each region the page's lines
        were paid in."""
        statement = self.visible(select(LedgerLine, Batch).join(Batch, Batch.id == LedgerLine.batch_id)
                                 .where(LedgerLine.member_id == member_id))
        rows, next_cursor = await keyset_page(self.session, statement, key=[LedgerLine.month, LedgerLine.id],
                                              page=page, scalars=False)
        shown: Counter[str] = Counter(batch.region_code for _, batch in rows)
        for region, count in sorted(shown.items()):
            await record_read(self.session, self.reader, action="payment_history", region_code=region,
                              line_count=count, members=[member_id],
                              shown="amounts and payment results; no names or accounts")
        return [(line, batch) for line, batch in rows], next_cursor

    async def fates(self, keys: Iterable[Key]) -> list[tuple[str, str, str, str, Any]]:
        """(payee, benefit, period, status, amount) of every line of the keys, whichever batch holds
        it: the report counts what the ledger did with each entitlement (amounts only)."""
        wanted = list(keys)
        found: list[tuple[str, str, str, str, Any]] = []
        for start in range(0, len(wanted), IN_LIST):
            chunk = wanted[start:start + IN_LIST]
            found += [tuple(row) for row in (await self.session.execute(  # type: ignore[misc]
                select(LedgerLine.payee_key, LedgerLine.benefit, LedgerLine.period_key, LedgerLine.status,
                       LedgerLine.amount)
                .where(tuple_(LedgerLine.payee_key, LedgerLine.benefit, LedgerLine.period_key).in_(chunk)))).all()]
        return found


People = Annotated[LedgerRepository, LedgerRepository.dependency(require(Scope.batches_read))]
Reports = Annotated[LedgerRepository, LedgerRepository.dependency(require(Scope.reports_read))]
