"""Pulling a batch's file: render, hash, mark exported on the first pull; the signed manifest."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import Text, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.auth import Principal
from tefu_common.errors import Conflict, NotFound
from tefu_payments.access_log import service as access_log
from tefu_payments.agencies.models import Agency
from tefu_payments.batches.models import Batch, BatchTransition, LedgerLine
from tefu_payments.batches.payee import PayeeSnapshot
from tefu_payments.disbursement.render import FileLine, Layout, RenderError, render
from tefu_common.signing import DocumentSigner

PULLABLE = ("approved", "exported", "reconciled")
FILE_STATES = ("pending", "paid", "failed")  # released lines left the batch
CHUNK = 5000
SPOOL = 32 * 1024 * 1024  # files beyond 32 MB go to a temporary file, not memory


async def agency_batch(session: AsyncSession, batch_id: int, caller: Principal) -> Batch:
    """A batch the calling agency may see: only its own (404 otherwise, as if it did not exist)."""
    batch = await session.get(Batch, batch_id)
    if batch is None or caller.institution is None or batch.agency_id != caller.institution.id:
        raise NotFound(f"no batch {batch_id} for agency {caller.institution.id if caller.institution else '?'}")
    return batch


async def agency_batches(session: AsyncSession, caller: Principal, status: str | None) -> list[Batch]:
    query = select(Batch).where(Batch.agency_id == (caller.institution.id if caller.institution else ""))
    query = query.where(Batch.status == status) if status else query.where(Batch.status.in_(PULLABLE))
    return list((await session.scalars(query.order_by(Batch.id))).all())


def layout_of(batch: Batch, agency: Agency) -> dict[str, Any]:
    return batch.file_layout or {"file_format": agency.file_format, "encoding": agency.encoding, "columns": agency.columns,
                                 "header_row": agency.header_row, "summary": agency.summary}


# What a file's lines are made of, as plain text rows (no ORM objects: a file may hold a million
# lines), the payee still sealed until the line is written.
LINE = LedgerLine.__table__.c
PAYEE = LINE.payee.type
NO_PAYEE = PayeeSnapshot("", "", "", "")
# (reference, payee token, bank, amount, benefit, period, due on)
SealedRow = tuple[str, str | None, str | None, str, str, str, str | None]
SEALED = (LINE.reference, type_coerce(LINE.payee, Text).label("payee"), LINE.bank_name, LINE.amount, LINE.benefit_name,
          LINE.period_key, LINE.due_on)
SEALED_SQL = ("SELECT reference, payee, bank_name, amount::text, benefit_name, period_key, due_on::text FROM ledger_line "
              f"WHERE batch_id = $1 AND status IN {FILE_STATES!r} ORDER BY id")


async def _sealed_rows(session: AsyncSession, batch: Batch) -> AsyncIterator[Sequence[SealedRow]]:
    """The file's rows in reference order, one cursor over the batch; the next chunk is read while
    the current one is written. PostgreSQL's rows come straight from the driver, as text: several
    times cheaper a row than through SQLAlchemy's result processing."""
    fetch, close = await (_driver_reader if session.bind.dialect.name == "postgresql" else _reader)(session, batch)
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


Fetch = Callable[[], Awaitable[list[Any]]]
Close = Callable[[], Awaitable[None]]


async def _driver_reader(session: AsyncSession, batch: Batch) -> tuple[Fetch, Close]:
    connection = (await (await session.connection()).get_raw_connection()).driver_connection
    cursor = await connection.cursor(SEALED_SQL, batch.id)

    async def fetch() -> list[Any]:
        return await cursor.fetch(CHUNK)

    async def close() -> None:
        """Nothing to do: the cursor ends with the transaction."""

    return fetch, close


async def _reader(session: AsyncSession, batch: Batch) -> tuple[Fetch, Close]:
    result = await session.stream(
        select(*SEALED).where(LINE.batch_id == batch.id, LINE.status.in_(FILE_STATES)).order_by(LINE.id)
        .execution_options(yield_per=CHUNK))
    partitions = result.partitions(CHUNK)

    async def fetch() -> list[Any]:
        rows = await anext(partitions, [])
        return [(r, p, b, str(a), n, k, d.isoformat() if d else None) for r, p, b, a, n, k, d in rows]

    return fetch, result.close


async def _lines(session: AsyncSession, batch: Batch) -> AsyncIterator[list[FileLine]]:
    async for rows in _sealed_rows(session, batch):
        lines = []
        for reference, token, bank, amount, benefit, period, due_on in rows:
            name, id_number, account, holder = PAYEE.process_result_value(token, None) or NO_PAYEE
            due = due_on or ""
            lines.append(FileLine(reference, name, id_number, account, holder, bank or "", Decimal(amount), benefit,
                                  due if period == "once" else period, due))
        yield lines


async def rendered_file(session: AsyncSession, batch: Batch) -> tuple[IO[bytes], str, Layout]:
    """The batch's file in a spooled temporary file (rewound), its SHA-256 and its layout."""
    agency = await session.get(Agency, batch.agency_id)
    assert agency is not None
    layout = Layout(**layout_of(batch, agency))
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL)
    try:
        await render(layout, _lines(session, batch), batch.line_count, batch.total, batch.created_at, out)
    except RenderError as exc:
        out.close()
        raise Conflict(f"batch {batch.id} cannot be written as {layout.file_format}: {exc}") from None
    out.seek(0)
    digest = hashlib.sha256()
    while block := out.read(1 << 20):
        digest.update(block)
    out.seek(0)
    return out, digest.hexdigest(), layout


async def pull(session: AsyncSession, batch_id: int, caller: Principal) -> tuple[IO[bytes], str, Layout, Batch]:
    batch = await agency_batch(session, batch_id, caller)
    if batch.status not in PULLABLE:
        raise Conflict(f"batch {batch.id} is {batch.status}: an agency pulls approved batches only")
    first_pull = batch.file_sha256 is None
    if first_pull:
        agency = await session.get(Agency, batch.agency_id)
        assert agency is not None
        batch.file_layout = layout_of(batch, agency)
    file, sha, layout = await rendered_file(session, batch)
    if first_pull:
        now = datetime.now(timezone.utc)
        session.add(BatchTransition(batch_id=batch.id, from_status=batch.status, to_status="exported",
                                    actor=caller.subject, at=now, note=f"file sha256 {sha}"))
        batch.status, batch.file_sha256, batch.updated_at = "exported", sha, now
        await session.flush()
    elif sha != batch.file_sha256:
        file.close()
        raise Conflict(f"batch {batch.id} no longer renders to the file first pulled (sha256 {batch.file_sha256}); "
                       "its lines were changed outside the API: contact the clerk")
    # Every pull, not only the first: each one hands out every payee's name, ID number and account.
    await access_log.record(session, caller, access_log.Read(
        action="file_pull", endpoint=f"GET /v1/batches/{batch.id}/file", region_code=batch.region_code,
        batch_id=batch.id, line_count=batch.line_count, sha256=sha,
        shown="names, ID numbers and bank accounts in full; amounts",
        note="first pull: the batch is exported" if first_pull else None))
    return file, sha, layout, batch


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


async def manifest(session: AsyncSession, batch: Batch, signer: DocumentSigner) -> dict[str, Any]:
    if batch.file_sha256 is not None:
        sha, layout = batch.file_sha256, Layout(**batch.file_layout) if batch.file_layout else None
    else:
        file, sha, layout = await rendered_file(session, batch)
        file.close()
    content = {
        "batch_id": batch.id, "agency_id": batch.agency_id, "region_code": batch.region_code, "period": batch.period,
        "line_count": batch.line_count, "total": f"{Decimal(batch.total):.2f}", "sha256": sha,
        "file_name": file_name(batch, layout.extension if layout else "csv"),
    }
    return {"content": content, "signature": {
        "algorithm": signer.algorithm, "kid": signer.kid,
        "value": base64.b64encode(signer.sign(canonical(content))).decode(),
        "signed": "the UTF-8 bytes of `content` as JSON with sorted keys and no spaces"}}


def file_name(batch: Batch, extension: str) -> str:
    return f"tefu-batch-{batch.id}-{batch.period}.{extension}"

