"""Rendering a batch's disbursement file in its agency's format, deterministically.

Same batch → same bytes → same SHA-256, whenever and however often it is rendered: lines in
reference order, no timestamps of the moment (an XLSX file carries the batch's creation time and
fixed ZIP entry times), fixed line endings. Text cells that a spreadsheet would run as a formula
(= + - @, tab, carriage return) are prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any, NamedTuple

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from tefu_common.i18n import Text
from tefu_payments.disbursement import pain001

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class RenderError(ValueError):
    """A line cannot be written in the agency's format (a name GBK cannot encode, a value too wide)."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.message = Text(zh, en)


class FileLine(NamedTuple):  # a tuple: a file may be a million of them
    reference: str
    name: str
    id_number: str
    account: str
    holder: str
    bank: str
    amount: Decimal
    benefit: str
    period: str
    due_on: str



def cells(fields: list[str]) -> Callable[[FileLine], list[str]]:
    """The cells of a line for these fields: amounts with two decimals, text defused against
    formulas. By position, without a call per cell: a file may be a million lines."""
    positions = [FileLine._fields.index(f) for f in fields]
    amount = FileLine._fields.index("amount")

    def row(line: FileLine) -> list[str]:
        return [f"{line[p]:.2f}" if p == amount else "'" + line[p] if line[p].startswith(FORMULA_START) else line[p]
                for p in positions]

    return row


@dataclass(frozen=True)
class Layout:
    file_format: str  # csv | xlsx | fixed | pain.001
    encoding: str  # utf-8 | gbk
    columns: list[dict[str, Any]]
    header_row: bool
    summary: str  # none | header | trailer
    iso20022: dict[str, Any] | None = None  # pain.001: the debtor (agencies.schemas.Iso20022Debtor)
    message_id: str | None = None  # pain.001: GrpHdr/MsgId, the batch's

    @property
    def extension(self) -> str:
        return {"csv": "csv", "xlsx": "xlsx", "fixed": "txt", "pain.001": "xml"}[self.file_format]

    @property
    def media_type(self) -> str:
        charset = "GBK" if self.encoding == "gbk" else "UTF-8"
        return {"csv": f"text/csv; charset={charset}", "fixed": f"text/plain; charset={charset}",
                "pain.001": "application/xml; charset=UTF-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[self.file_format]


def summary_row(layout: Layout, count: int, total: Decimal) -> list[str]:
    row = ["合计", str(count), f"{total:.2f}"]
    return row + [""] * max(0, len(layout.columns) - len(row))


async def render(layout: Layout, lines: AsyncIterator[list[FileLine]], count: int, total: Decimal,
                 created: Any, out: IO[bytes]) -> None:
    """Write the file to ``out`` (a spooled temporary file), chunk by chunk."""
    if layout.file_format == "xlsx":
        await _render_xlsx(layout, lines, count, total, created, out)
        return
    if layout.file_format == "pain.001":
        try:
            await pain001.render(layout, lines, count, total, created, out)
        except pain001.Pain001Error as exc:
            raise RenderError(exc.zh, exc.en) from None
        return
    out.write(head(layout, count, total))
    async for chunk in lines:
        out.write(chunk_bytes(layout, chunk))
    out.write(tail(layout, count, total))


def _text(layout: Layout) -> Callable[[Layout, Iterable[list[str]]], str]:
    return _fixed_rows if layout.file_format == "fixed" else _csv_rows


def head(layout: Layout, count: int, total: Decimal) -> bytes:
    """What comes before the lines of a CSV or fixed-width file: the summary, the headings."""
    text, parts = _text(layout), []
    if layout.summary == "header":
        parts.append(_encode(layout, text(layout, [summary_row(layout, count, total)]), "合计"))
    if layout.header_row:
        parts.append(_encode(layout, text(layout, [[c["header"] for c in layout.columns]]), "表头"))
    return b"".join(parts)


def tail(layout: Layout, count: int, total: Decimal) -> bytes:
    if layout.summary != "trailer":
        return b""
    return _encode(layout, _text(layout)(layout, [summary_row(layout, count, total)]), "合计")


def chunk_bytes(layout: Layout, chunk: list[FileLine]) -> bytes:
    """The lines of a CSV or fixed-width file, encoded; a line the encoding cannot write is named."""
    text, row = _text(layout), cells([c["field"] for c in layout.columns])
    rows = [row(line) for line in chunk]
    try:
        return text(layout, rows).encode(layout.encoding)
    except UnicodeEncodeError:  # find the line, to name it
        for line, cells_of_line in zip(chunk, rows):
            _encode(layout, text(layout, [cells_of_line]), line.reference)
        raise RenderError(f"明细 {chunk[0].reference}-{chunk[-1].reference} 无法用 {layout.encoding.upper()} 编码写出",
                          f"lines {chunk[0].reference}-{chunk[-1].reference} cannot be written in {layout.encoding}") from None


def _encode(layout: Layout, text: str, where: str) -> bytes:
    try:
        return text.encode(layout.encoding)
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start:exc.end]
        raise RenderError(f"明细 {where}：“{bad}”无法用 {layout.encoding.upper()} 编码写出；请在登记中更正姓名，"
                          "或请代理机构改用 UTF-8",
                          f"line {where}: {bad!r} cannot be written in {layout.encoding.upper()}; "
                          f"correct the name in the register or ask the agency for UTF-8") from None


def _csv_rows(layout: Layout, rows: Iterable[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def _fixed_rows(layout: Layout, rows: Iterable[list[str]]) -> str:
    """Columns padded to their width in bytes of the file's encoding (a Chinese character is 2 in GBK, 3 in UTF-8)."""
    out = []
    for row in rows:
        cells = []
        for column, value in zip(layout.columns, row):
            width = column.get("width") or len(value)
            size = len(value.encode(layout.encoding, errors="replace"))
            if size > width:
                raise RenderError(f"“{value}”超出了“{column['header']}”列的 {width} 字节宽度",
                                  f"{value!r} is wider than the {width} bytes of column {column['header']}")
            padding = " " * (width - size)
            cells.append(padding + value if column["field"] == "amount" else value + padding)
        out.append("".join(cells) + "\r\n")
    return "".join(out)


async def _render_xlsx(layout: Layout, lines: AsyncIterator[list[FileLine]], count: int, total: Decimal,
                       created: Any, out: IO[bytes]) -> None:
    workbook = Workbook(write_only=True)
    workbook.properties.created = workbook.properties.modified = created.replace(tzinfo=None, microsecond=0)
    workbook.properties.creator = "Tefu"
    sheet = workbook.create_sheet("发放明细")
    if layout.summary == "header":
        sheet.append(summary_row(layout, count, total))
    if layout.header_row:
        sheet.append([c["header"] for c in layout.columns])
    row = cells([c["field"] for c in layout.columns])
    async for chunk in lines:
        for line in chunk:
            sheet.append(row(line))
    if layout.summary == "trailer":
        sheet.append(summary_row(layout, count, total))
    raw = io.BytesIO()
    # ExcelWriter, not workbook.save(): save() stamps the moment into docProps/core.xml, and two
    # pulls a second apart would then differ in their bytes.
    ExcelWriter(workbook, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    _fixed_zip(raw, out)


def _fixed_zip(raw: io.BytesIO, out: IO[bytes]) -> None:
    """Rewrite the XLSX package with fixed entry times: the bytes then depend on the content only."""
    raw.seek(0)
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            entry = zipfile.ZipInfo(item.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, source.read(item.filename))
