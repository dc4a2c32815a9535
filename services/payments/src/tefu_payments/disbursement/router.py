"""What agent banks call: the batches they may pull, the file, its signed manifest."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from tefu_common.auth import Principal, Role, Scope, require
from tefu_common.db import DbSession
from tefu_common.errors import PROBLEM_JSON
from tefu_payments.batches.models import Batch
from tefu_payments.batches.schemas import BatchOut, BatchStatus
from tefu_payments.batches.service import scoped_batch
from tefu_payments.disbursement import service

Agency = Annotated[Principal, Depends(require(Scope.disbursements_pull, roles=[Role.agency]))]
Reader = Annotated[Principal, Depends(require(Scope.batches_read))]
PROBLEM = {"content": {PROBLEM_JSON: {}}}
router = APIRouter(tags=["disbursement files"], responses={401: PROBLEM, 403: PROBLEM, 404: PROBLEM})


def _summary(batch: Batch) -> BatchOut:
    return BatchOut.model_validate({name: getattr(batch, name) for name in BatchOut.model_fields if hasattr(batch, name)})


@router.get("/v1/agency/batches", response_model=list[BatchOut], summary="Batches this agency may pull")
async def agency_batches(session: DbSession, caller: Agency,
                         status: BatchStatus | None = Query(None, description="Default: approved, exported and reconciled.")
                         ) -> list[BatchOut]:
    return [_summary(b) for b in await service.agency_batches(session, caller, status)]


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    try:
        while block := file.read(1 << 16):
            yield block
    finally:
        file.close()


@router.get(
    "/v1/batches/{batch_id}/file",
    summary="The disbursement file (agency): same bytes on every pull",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}, "text/plain": {}, "application/vnd.openxmlformats-officedocument"
                                 ".spreadsheetml.sheet": {}},
                     "description": "The file; its SHA-256 is in the X-Content-SHA256 header."},
               409: PROBLEM},
)
async def pull_file(batch_id: int, session: DbSession, caller: Agency) -> StreamingResponse:
    """Only the agency the batch is assigned to, only once approved. The first pull marks the batch
    `exported` and fixes the file's layout; every later pull returns the same bytes (same SHA-256),
    even if the agency's profile changed since. Compare the header with the signed manifest."""
    file, sha, layout, batch = await service.pull(session, batch_id, caller)
    return StreamingResponse(_chunks(file), media_type=layout.media_type, headers={
        "X-Content-SHA256": sha,
        "Content-Disposition": f'attachment; filename="{service.file_name(batch, layout.extension)}"'})


@router.get("/v1/batches/{batch_id}/manifest", summary="Count, total, SHA-256 and Ed25519 signature of the file")
async def batch_manifest(batch_id: int, request: Request, session: DbSession, caller: Reader) -> dict[str, Any]:
    """`signature.value` is Ed25519 (base64) over `content` serialised as JSON with sorted keys and
    no spaces; the public key is at `GET /.well-known/jwks.json` under `signature.kid`."""
    batch = await scoped_batch(session, batch_id, caller)
    return await service.manifest(session, batch, request.app.state.manifest_signer)


@router.get("/.well-known/jwks.json", summary="Public keys that verify manifest signatures")
async def jwks(request: Request) -> dict[str, Any]:
    return request.app.state.manifest_signer.jwks
