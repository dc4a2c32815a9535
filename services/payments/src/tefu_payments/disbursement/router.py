"""What agent banks call: the batches they may pull, the file, its signed manifest."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from tefu_common.openapi import problems
from tefu_common.paging import Page, PageParams
from tefu_common.signing import DocumentSigner
from tefu_common.ids import RowId
from tefu_payments.batches import service as batches
from tefu_payments.batches.repository import AgencyBatches
from tefu_payments.batches.schemas import BatchOut, BatchStatus
from tefu_payments.disbursement import service
from tefu_payments.disbursement.repository import AgencyFiles, Files

router = APIRouter(tags=["disbursement files"])

MANIFEST_EXAMPLE = {
    "content": {"batch_id": 12, "agency_id": "ABC-ZC", "region_code": "370306", "period": "2020-06", "line_count": 39,
                "total": "13260.00", "sha256": "9f2c5d0e" * 8, "file_name": "tefu-batch-12-2020-06.csv"},
    "signature": {"algorithm": "EdDSA", "kid": "payments-file-1", "value": "q3J0…base64…==",
                  "signed": "the UTF-8 bytes of `content` as JSON with sorted keys and no spaces"}}
JWKS_EXAMPLE = {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "payments-file-1", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
                          "use": "sig", "alg": "EdDSA"}]}


async def _signer(request: Request) -> DocumentSigner:
    signer: DocumentSigner = request.app.state.manifest_signer
    return signer


Signer = Annotated[DocumentSigner, Depends(_signer)]


@router.get("/v1/agency/batches", response_model=Page[BatchOut], summary="本代理机构可以获取的批次")
async def agency_batches(files: AgencyBatches, page: PageParams,
                         status: BatchStatus | None = Query(None, description="Default: approved, exported and reconciled.")
                         ) -> Page[BatchOut]:
    """An agency's machine client (`disbursements:pull`): the batches its agency pays, approved,
    exported or reconciled by default (`status` for one state), oldest first, in pages."""
    found, next_cursor = await files.page(page, statuses=(status,) if status else service.PULLABLE)
    return Page[BatchOut](items=[await batches.batch_out(files, b) for b in found], next_cursor=next_cursor)


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    try:
        while block := file.read(1 << 16):
            yield block
    finally:
        file.close()


@router.get(
    "/v1/batches/{batch_id}/file",
    summary="获取代发文件（代理机构）：每次获取字节相同",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}, "text/plain": {}, "application/xml": {},
                                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
                     "description": "The file; its SHA-256 is in the X-Content-SHA256 header."},
               **problems(404, **{"409": "批次未批准，或无法按机构格式写出（Not approved, or not writable in the agency's "
                                         "format）"})},
)
async def pull_file(batch_id: RowId, files: AgencyFiles) -> StreamingResponse:
    """Only the agency the batch is assigned to (another gets 404), only once approved (409
    `batch-not-approved`). The first pull marks the batch `exported` and fixes the file's layout;
    every later pull returns the same bytes (same SHA-256), even if the agency's profile changed
    since. Compare the header with the signed manifest. Every pull is in the access log. An agency
    of format `pain.001` gets an ISO 20022 `pain.001.001.09` message (`application/xml`): one PmtInf
    from the agency's debtor account, one CdtTrfTxInf per line with EndToEndId = the line's reference."""
    file, sha, layout, batch = await service.pull(files, batch_id)
    return StreamingResponse(_chunks(file), media_type=layout.media_type, headers={
        "X-Content-SHA256": sha,
        "Content-Disposition": f'attachment; filename="{service.file_name(batch, layout.extension)}"'})


@router.get("/v1/batches/{batch_id}/manifest", summary="代发文件的笔数、总额、SHA-256 及签名（Ed25519 或 SM2）",
            responses={200: {"content": {"application/json": {"example": MANIFEST_EXAMPLE}}}, **problems(404, 409)})
async def batch_manifest(batch_id: RowId, files: Files, signer: Signer) -> dict[str, Any]:
    """Any caller with `batches:read` who sees the batch. `signature.value` is Ed25519 (base64)
    over `content` serialised as JSON with sorted keys and no spaces, or with `TEFU_CRYPTO=sm` SM2
    with SM3 (`signature.algorithm` `SM2`, 64 bytes `r ‖ s`, signer ID `1234567812345678`); the
    public key is at `GET /.well-known/jwks.json` under `signature.kid`."""
    return await service.manifest(files, batch_id, signer)


@router.get("/.well-known/jwks.json", summary="验证清单签名的公钥",
            responses={200: {"content": {"application/json": {"example": JWKS_EXAMPLE}}}})
async def jwks(signer: Signer) -> dict[str, Any]:
    """Public: the Ed25519 keys (`OKP`, `crv: Ed25519`) or, with `TEFU_CRYPTO=sm`, SM2 keys (`EC`,
    `crv: SM2`, `x` and `y`: the suite's names, JOSE has none for SM2) that verify the signatures of
    `GET /v1/batches/{id}/manifest`: the current key and those still published for manifests signed
    before a rotation or a switch of algorithm."""
    return signer.jwks
