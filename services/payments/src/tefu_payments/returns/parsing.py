"""Reading a return file (CSV in UTF-8 or GBK, XLSX, or ISO 20022 XML: returns.iso20022) into rows,
with the row numbers people see."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from tefu_common.i18n import Text
from tefu_common.tables import TableFileError, heading_index, read_table

HEADERS = {
    "reference": ("流水号", "reference", "line_reference"),
    "result": ("结果", "发放结果", "result", "status"),
    "reason": ("失败原因", "原因", "reason"),
    "paid_on": ("发放日期", "入账日期", "paid_on", "date"),
    "amount": ("金额", "amount"),
}
# A return answers one batch: its lines, at most a county's families times the months of arrears
# carried; far more rows is not a return of ours.
MAX_ROWS = 500_000
MAX_COLUMNS = 50
PAID = {"成功", "已发放", "paid", "success", "ok"}
FAILED = {"失败", "未发放", "failed", "fail", "error"}


class ReturnFileError(ValueError):
    """The file cannot be read at all (format, encoding, missing columns)."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.code = code
        self.message = Text(zh, en)


@dataclass(frozen=True)
class RowProblem:
    """What is wrong in one cell: its column (as headed in Chinese), a code and the reason."""

    column: str
    code: str
    message: Text


@dataclass
class ReturnRow:
    row: int  # as numbered in the file (the heading is row 1)
    reference: str
    result: str | None  # paid | failed | None when unreadable
    reason: str
    paid_on: date | None
    amount: Decimal | None
    problems: list[RowProblem]


def _check_heading(heading: list[str]) -> None:
    """Before any row is read: a file without the reference and result columns is refused at once."""
    columns = heading_index(heading, HEADERS)
    missing = [HEADERS[n][0] for n in ("reference", "result") if n not in columns]
    if missing:
        shown = "、".join(heading[:20])
        raise ReturnFileError("return-file-columns", f"缺少列：{'、'.join(missing)}（表头为：{shown}）",
                              f"missing column(s): {', '.join(missing)} (the heading row has: {', '.join(heading[:20])})")


def read_rows(content: bytes, filename: str) -> list[ReturnRow]:
    try:
        (_, heading), *table = read_table(content, filename, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS,
                                          check_heading=_check_heading)
    except TableFileError as exc:
        if exc.code:  # unsafe to open (a compression or entity bomb) or too large: said as it is
            raise ReturnFileError(exc.code, exc.zh or str(exc), str(exc)) from None
        raise ReturnFileError("return-file-unreadable", "无法读取文件：应为 UTF-8 或 GBK 编码的 CSV 文件，或 XLSX 工作簿",
                              str(exc)) from None
    columns = heading_index(heading, HEADERS)
    return [_row(number, cells, columns) for number, cells in table]


def _cell(cells: list, columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    return str(cells[index]).strip() if index is not None and index < len(cells) and cells[index] is not None else ""


def _row(number: int, cells: list, columns: dict[str, int]) -> ReturnRow:
    problems: list[RowProblem] = []

    def problem(column: str, code: str, zh: str, en: str) -> None:
        problems.append(RowProblem(column, code, Text(zh, en)))

    reference = _cell(cells, columns, "reference").lstrip("'")
    if not reference:
        problem("流水号", "reference-empty", "流水号为空", "empty")
    raw_result = _cell(cells, columns, "result").lower()
    result = "paid" if raw_result in PAID else "failed" if raw_result in FAILED else None
    if result is None:
        problem("结果", "result-unknown", f"“{raw_result}”既不是“成功”也不是“失败”",
                f"{raw_result!r} is neither 成功 (paid) nor 失败 (failed)")
    reason = _cell(cells, columns, "reason")
    paid_on = None
    raw_date = _cell(cells, columns, "paid_on")
    if raw_date:
        paid_on = _date(raw_date)
        if paid_on is None:
            problem("发放日期", "paid-on-format", f"“{raw_date}”不是日期（YYYY-MM-DD）", f"{raw_date!r} is not a date (YYYY-MM-DD)")
    if result == "paid" and paid_on is None and not raw_date:
        problem("发放日期", "paid-on-missing", "发放成功的明细要填发放日期", "a paid line needs the date it was paid")
    if result == "failed" and not reason:
        problem("失败原因", "reason-missing", "发放失败的明细要填失败原因（账户已销户、户名不符等）",
                "a failed line needs the reason (closed account, wrong name…)")
    amount = None
    raw_amount = _cell(cells, columns, "amount")
    if raw_amount:
        try:
            amount = Decimal(raw_amount.replace(",", ""))
        except InvalidOperation:
            problem("金额", "amount-format", f"“{raw_amount}”不是金额", f"{raw_amount!r} is not an amount")
    return ReturnRow(number, reference, result, reason, paid_on, amount, problems)


def _date(text: str) -> date | None:
    text = text.split(" ")[0].split("T")[0]
    match = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})", text.replace("/", "-"))
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
