"""``POST /v1/batches/{id}/returns``: the agency reports what it paid and what failed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile

from tefu_common.auth import Principal, Role, Scope, require
from tefu_common.db import DbSession
from tefu_common.errors import PROBLEM_JSON, ValidationFailed
from tefu_payments.returns.service import post_returns

Agency = Annotated[Principal, Depends(require(Scope.returns_submit, roles=[Role.agency]))]
PROBLEM = {"content": {PROBLEM_JSON: {}}}
router = APIRouter(tags=["returns"], responses={401: PROBLEM, 403: PROBLEM, 404: PROBLEM})
MAX_BYTES = 200 * 1024 * 1024


@router.post("/v1/batches/{batch_id}/returns", summary="Post a return file: paid or failed, line by line",
             responses={409: PROBLEM, 422: PROBLEM})
async def returns(batch_id: int, request: Request, session: DbSession, caller: Agency,
                  file: UploadFile = File(description="CSV (UTF-8 or GBK) or XLSX")) -> dict[str, Any]:
    """Columns (heading row, Chinese or English): 流水号 / reference, 结果 / result (成功 or 失败,
    paid or failed), 失败原因 / reason (for a failure), 发放日期 / paid_on (for a payment), and
    optionally 金额 / amount, which must equal the line's.

    Every row is checked before anything is applied: an unknown reference, a line of another batch,
    a different amount, a missing date or reason gets 422 listing each row and column, and nothing
    changes. Posting the same file again changes nothing. When no line is pending the batch is
    `reconciled`; failed lines are owed again and the next batch carries them. Every post, applied
    or refused, is in the access log (`GET /v1/access-log`) with the file's SHA-256."""
    content = await file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise ValidationFailed("file too large", errors=[{"field": "file", "message": "at most 200 MB",
                                                          "type": "value_error"}])
    return await post_returns(session, request.app.state.database, batch_id, caller, content, file.filename or "")
