"""Reading a batch's file lines (names, ID numbers and accounts in full) and logging each pull.

The file's rows are read as plain text rows (no ORM objects: a file may hold a million lines),
the payee still sealed until the line is written; PostgreSQL's rows come straight from the
driver, several times cheaper a row than through SQLAlchemy's result processing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Annotated, Any

from sqlalchemy import Text, select, type_coerce

from tefu_common.auth import Role, Scope, require
from tefu_payments.access_log.reads import record_read
from tefu_payments.agencies.models import Agency
from tefu_payments.batches.models import Batch, LedgerLine
from tefu_payments.batches.repository import BatchRepository

FILE_STATES = ("pending", "paid", "failed")  # released lines left the batch
CHUNK = 5000

LINE = LedgerLine.__table__.c
# (reference, payee token, bank, amount (two decimals), benefit, period, due on)
SealedRow = tuple[str, str | None, str | None, str, str, str, str | None]
SEALED = (LINE.reference, type_coerce(LINE.payee, Text).label("payee"), LINE.bank_name, LINE.amount, LINE.benefit_name,
          LINE.period_key, LINE.due_on)
SEALED_SQL = ("SELECT reference, payee, bank_name, amount::text, benefit_name, period_key, due_on::text FROM ledger_line "
              f"WHERE batch_id = $1 AND status IN {FILE_STATES!r} ORDER BY id")

Fetch = Callable[[], Awaitable[list[Any]]]
Close = Callable[[], Awaitable[None]]


class FileRepository(BatchRepository):
    """Batches as their files: an agency's client sees only its agency's batches."""

    async def agency_of(self, batch: Batch) -> Agency:
        agency = await self.session.get(Agency, batch.agency_id)
        assert agency is not None  # a foreign key
        return agency

    async def sealed_rows(self, batch: Batch) -> AsyncIterator[Sequence[SealedRow]]:
        """The file's rows in reference order, one cursor over the batch; the next chunk is read
        while the current one is written."""
        reader = self._driver_reader if self.session.bind.dialect.name == "postgresql" else self._reader
        fetch, close = await reader(batch)
        upcoming = asyncio.ensure_future(fetch())
        try:
            while rows := await upcoming:
                upcoming = asyncio.ensure_future(fetch())
                await asyncio.sleep(0)  # lets the read go out to the database before this chunk is written
                yield rows
        finally:
            upcoming.cancel()
            await asyncio.gather(upcoming, return_exceptions=True)
            await close()

    async def _driver_reader(self, batch: Batch) -> tuple[Fetch, Close]:
        connection = (await (await self.session.connection()).get_raw_connection()).driver_connection
        cursor = await connection.cursor(SEALED_SQL, batch.id)

        async def fetch() -> list[Any]:
            return await cursor.fetch(CHUNK)

        async def close() -> None:
            """Nothing to do: the cursor ends with the transaction."""

        return fetch, close

    async def _reader(self, batch: Batch) -> tuple[Fetch, Close]:
        result = await self.session.stream(
            select(*SEALED).where(LINE.batch_id == batch.id, LINE.status.in_(FILE_STATES)).order_by(LINE.id)
            .execution_options(yield_per=CHUNK))
        partitions = result.partitions(CHUNK)

        async def fetch() -> list[Any]:
            rows = await anext(partitions, [])
            return [(r, p, b, f"{a:.2f}", n, k, d.isoformat() if d else None) for r, p, b, a, n, k, d in rows]

        return fetch, result.close

    async def log_pull(self, batch: Batch, sha256: str, *, first_pull: bool) -> None:
        # Every pull, not only the first: each one hands out every payee's name, ID number and account.
        await record_read(self.session, self.reader, action="file_pull", region_code=batch.region_code,
                          batch_id=batch.id, line_count=batch.line_count, sha256=sha256,
                          shown="names, ID numbers and bank accounts in full; amounts",
                          note="first pull: the batch is exported" if first_pull else None)


AgencyFiles = Annotated[FileRepository, FileRepository.dependency(require(Scope.disbursements_pull, roles=[Role.agency]))]
Files = Annotated[FileRepository, FileRepository.dependency(require(Scope.batches_read))]
