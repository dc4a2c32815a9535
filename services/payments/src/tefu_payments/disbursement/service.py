"""Pulling a batch's file: render, hash, mark exported on the first pull; the signed manifest."""

from __future__ import annotations

import base64
import hashlib
import json
import tempfile
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from decimal import Decimal
from typing import IO, Any

from tefu_common.errors import Conflict
from tefu_common.i18n import Text
from tefu_common.signing import DocumentSigner
from tefu_payments.agencies.models import Agency
from tefu_payments.batches.models import Batch, BatchTransition, LedgerLine
from tefu_payments.batches.payee import PayeeSnapshot
from tefu_payments.disbursement.render import FileLine, Layout, RenderError, render
from tefu_payments.disbursement.repository import FileRepository

PULLABLE = ("approved", "exported", "reconciled")
SPOOL = 32 * 1024 * 1024  # files beyond 32 MB go to a temporary file, not memory
PAYEE = LedgerLine.__table__.c.payee.type
NO_PAYEE = PayeeSnapshot("", "", "", "")


def layout_of(batch: Batch, agency: Agency) -> dict[str, Any]:
    if batch.file_layout:
        return batch.file_layout
    layout = {"file_format": agency.file_format, "encoding": agency.encoding, "columns": agency.columns,
              "header_row": agency.header_row, "summary": agency.summary}
    if agency.file_format == "pain.001":  # the debtor as it was at the first pull, and the message's id
        layout |= {"iso20022": agency.iso20022, "message_id": f"TEFU-B{batch.id}"}
    return layout


async def _lines(files: FileRepository, batch: Batch) -> AsyncIterator[list[FileLine]]:
    open_payee = PAYEE.opener()
    async for rows in files.sealed_rows(batch):
        lines = []
        for reference, token, bank, amount, benefit, period, due_on in rows:
            name, id_number, account, holder = open_payee(token) if token else NO_PAYEE
            due = due_on or ""
            lines.append(FileLine(reference, name, id_number, account, holder, bank or "", amount, benefit,
                                  due if period == "once" else period, due))
        yield lines


async def rendered_file(files: FileRepository, batch: Batch) -> tuple[IO[bytes], str, Layout]:
    """The batch's file in a spooled temporary file (rewound), its SHA-256 and its layout."""
    layout = Layout(**layout_of(batch, await files.agency_of(batch)))
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL)
    try:
        await render(layout, _lines(files, batch), batch.line_count, batch.total, batch.created_at, out)
    except RenderError as exc:
        out.close()
        raise Conflict(Text(f"批次 {batch.id} 无法写成 {layout.file_format} 文件：{exc.message.zh}",
                            f"batch {batch.id} cannot be written as {layout.file_format}: {exc.message.en}"),
                       code="file-not-renderable") from None
    out.seek(0)
    digest = hashlib.sha256()
    while block := out.read(1 << 20):
        digest.update(block)
    out.seek(0)
    return out, digest.hexdigest(), layout


async def pull(files: FileRepository, batch_id: int) -> tuple[IO[bytes], str, Layout, Batch]:
    """The agency's file of the batch; the first pull fixes its layout and marks it exported."""
    session, caller = files.session, files.caller
    batch = await files.get(batch_id)
    if batch.status not in PULLABLE:
        raise Conflict(Text(f"批次 {batch.id} 尚未批准（当前：{batch.status}）：代理机构只能获取已批准的批次",
                            f"batch {batch.id} is {batch.status}: an agency pulls approved batches only"),
                       code="batch-not-approved")
    first_pull = batch.file_sha256 is None
    if first_pull:
        batch.file_layout = layout_of(batch, await files.agency_of(batch))
    file, sha, layout = await rendered_file(files, batch)
    if first_pull:
        now = datetime.now(timezone.utc)
        session.add(BatchTransition(batch_id=batch.id, from_status=batch.status, to_status="exported",
                                    actor=caller.subject, at=now, event="exported", facts={"sha256": sha}))
        batch.status, batch.file_sha256, batch.updated_at = "exported", sha, now
        await session.flush()
    elif sha != batch.file_sha256:
        file.close()
        raise Conflict(Text(f"批次 {batch.id} 生成的文件已与首次获取时不同（sha256 {batch.file_sha256}）："
                            "明细在系统之外被改动过，请联系经办人",
                            f"batch {batch.id} no longer renders to the file first pulled (sha256 {batch.file_sha256}); "
                            "its lines were changed outside the API: contact the clerk"), code="file-changed")
    await files.log_pull(batch, sha, first_pull=first_pull)
    return file, sha, layout, batch


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


async def manifest(files: FileRepository, batch_id: int, signer: DocumentSigner) -> dict[str, Any]:
    """Count, total and SHA-256 of the batch's file, signed. Before the first pull the file is
    rendered to hash it (its contents shown to nobody, so nothing is logged)."""
    batch = await files.get(batch_id)
    if batch.file_sha256 is not None:
        sha, layout = batch.file_sha256, Layout(**batch.file_layout) if batch.file_layout else None
    else:
        file, sha, layout = await rendered_file(files, batch)
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

