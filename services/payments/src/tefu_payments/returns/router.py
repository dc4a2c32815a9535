"""``POST /v1/batches/{id}/returns``: the agency reports what it paid and what failed."""

from __future__ import annotations

from fastapi import APIRouter, File, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from tefu_common.openapi import problems
from tefu_common.ids import RowId
from tefu_payments.returns import service
from tefu_payments.returns.repository import AgencyReturns

router = APIRouter(tags=["returns"])
MAX_MB = 50  # and the request body is cut off at 52 MB before it is read (tefu_common.bodies)


class ReturnOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "batch_id": 12, "status": "reconciled", "rows": 39, "applied": 39, "unchanged": 0, "paid": 37, "failed": 2,
        "pending": 0}]})

    batch_id: int
    status: str = Field(description="The batch's state after the file: exported, or reconciled once no line is pending.")
    rows: int = Field(description="Rows in the file.")
    applied: int = Field(description="Rows that changed a line.")
    unchanged: int = Field(description="Rows that said what the ledger already said.")
    paid: int
    failed: int
    pending: int


@router.post("/v1/batches/{batch_id}/returns", response_model=ReturnOut, summary="上传回盘文件：逐笔报告成功或失败",
             responses=problems(404, **{"409": "批次尚未导出（The batch's file was not pulled yet）",
                                        "422": "文件无法读取，或有行出错：errors 逐行逐列列出（Unreadable, or rows at fault: "
                                               "`errors` names each row and column）"}))
async def returns(batch_id: RowId, returns: AgencyReturns, request: Request,
                  file: UploadFile = File(description="CSV (UTF-8 or GBK), XLSX, or ISO 20022 XML (pain.002 or camt.054)")) -> ReturnOut:
    """The agency the batch is assigned to (`returns:submit`). Columns (heading row, Chinese or
    English): 流水号 / reference, 结果 / result (成功 or 失败, paid or failed), 失败原因 / reason (for a
    failure), 发放日期 / paid_on (for a payment), and optionally 金额 / amount, which must equal the
    line's.

    Or an ISO 20022 file: a `pain.002` status report (a `TxInfAndSts` per line, named by
    `OrgnlEndToEndId`; `TxSts` ACSC/ACCC paid, RJCT failed with `StsRsnInf/Rsn/Cd`, any other status
    leaves the line pending) or a `camt.054` notification (booked entries; a debit is paid on its
    booking date, a transaction with `RtrInf` failed with its reason). Reason codes (AC04 account
    closed, AC01 wrong account, MD07 deceased …) become the line's failure reason in Chinese with the
    code. XML with a DTD or entities is refused (`xml-entities`).

    A file the service will not open is refused before any row is read (422 on `file`): the headings
    first (`return-file-columns`), then more than 500,000 rows (`too-many-rows`) or 50 columns
    (`too-many-columns`), an XLSX that would expand past 400 MB or is a compression bomb
    (`xlsx-too-large-uncompressed`, `xlsx-compression-bomb`) or declares XML entities
    (`xlsx-xml-entities`); an upload over its size limit is 413 `body-too-large`.

    Every row is checked before anything is applied: an unknown reference, a line of another batch,
    a different amount, a missing date or reason gets 422 whose `errors` give each `row`, `column`,
    `code` and `detail` (in Chinese by default), and nothing changes. Posting the same file again
    changes nothing. When no line is pending the batch is `reconciled`; failed lines are owed again
    and the next batch carries them. Every post, applied or refused, is in the access log
    (`GET /v1/access-log`) with the file's SHA-256."""
    content = await file.read(MAX_MB * 1024 * 1024 + 1)
    if len(content) > MAX_MB * 1024 * 1024:
        raise service.too_large(MAX_MB)
    posted = ReturnOut.model_validate(await service.post_returns(returns, batch_id, content, file.filename or ""))
    if request.app.state.notice_sender is not None:
        request.app.state.notice_sender.wake()  # the notices this file recorded go out within seconds
    return posted
