"""Rendering a batch's disbursement file in its agency's format, deterministically.

Same batch → same bytes → same SHA-256, whenever and however often it is rendered: lines in
reference order, no timestamps of the moment (an XLSX file carries the batch's creation time and
fixed ZIP entry times), fixed line endings. Text cells that a spreadsheet would run as a formula
(= + - @, tab, carriage return) are prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import functools
import io
import operator
import zipfile
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain
from typing import IO, Any, NamedTuple

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from tefu_common.i18n import Text
from tefu_payments.disbursement import pain001

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell_starting_like_a_formula(text: str, before: str, starts: tuple[str, ...] = FORMULA_START) -> bool:
    """Whether a cell of ``text`` starts like a formula, a cell starting at the text's start or
    after one of the characters ``before``. A chunk's text is looked at whole: a character is
    found in it at the speed of memory, a pair of them at a few times less, and a pair is looked
    for only if its formula character is there at all (in a file: the dashes of its periods)."""
    return text.startswith(starts) or any(start in text and any(b + start in text for b in before) for start in starts)


# A NUL before each cell of a chunk: a NUL inside a cell can only send the chunk the slow way,
# with the same result. In CSV text whose cells hold no comma, quote or line break, a cell starts
# after a comma or a line feed; a carriage return is then a line's end (before an empty last
# cell's line feed), and a cell starting with one is caught by counting them.
CSV_STARTS = tuple(start for start in FORMULA_START if start != "\r")


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
    amount: str  # the ledger's exact amount as text, two decimals ("610.00"): what the file says
    benefit: str
    period: str
    due_on: str


class Cells:
    """The cells of lines for a layout's fields, text defused against formulas (the amount is a
    number the ledger wrote, never a formula).

    A file may be a million lines: cells are picked by position (no call per cell), and a chunk is
    looked at as a whole first; only a chunk where some cell starts like a formula (or, in CSV,
    needs quoting) is then written cell by cell, which is almost never."""

    def __init__(self, fields: list[str]) -> None:
        positions = [FileLine._fields.index(f) for f in fields]
        # itemgetter of one position gives the value itself, not a tuple of one
        self.pick = operator.itemgetter(*positions) if len(positions) > 1 else lambda line: (line[positions[0]],)
        self.width = len(fields)
        self.amount = fields.index("amount") if "amount" in fields else -1

    def defused(self, line: FileLine) -> list[str]:
        values = [("'" + value) if value.startswith(FORMULA_START) else value for value in self.pick(line)]
        if self.amount >= 0:
            values[self.amount] = line.amount
        return values

    def rows(self, chunk: list[FileLine]) -> list[Sequence[str]]:
        picked = list(map(self.pick, chunk))
        if _cell_starting_like_a_formula("\0".join(chain.from_iterable(picked)), "\0"):
            return [self.defused(line) for line in chunk]
        return picked

    def csv(self, chunk: list[FileLine]) -> str:
        """The chunk's CSV lines, byte for byte what the csv module writes (minimal quoting, CRLF).

        Joined with commas first; that text is the csv module's too if no cell holds a quote, a
        comma or a line break (the separators are then all there is of them) and none starts like a
        formula (a cell starts the text or follows a comma or a line feed). A single column is left
        to the csv module, which writes an empty cell alone on its line as ``""``."""
        rows = list(map(self.pick, chunk))
        text = "\r\n".join(map(",".join, rows))
        count = len(rows)
        if (self.width > 1 and '"' not in text and text.count(",") == count * (self.width - 1)
                and text.count("\n") == count - 1 and text.count("\r") == count - 1
                and not _cell_starting_like_a_formula(text, ",\n", CSV_STARTS)):
            return text + "\r\n" if count else ""
        return _csv_rows([self.defused(line) for line in chunk])


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


def _text(layout: Layout) -> Callable[[Iterable[Sequence[str]]], str]:
    """How the layout writes rows of cells as text."""
    return functools.partial(_fixed_rows, layout) if layout.file_format == "fixed" else _csv_rows


def head(layout: Layout, count: int, total: Decimal) -> bytes:
    """What comes before the lines of a CSV or fixed-width file: the summary, the headings."""
    text, parts = _text(layout), []
    if layout.summary == "header":
        parts.append(_encode(layout, text([summary_row(layout, count, total)]), "合计"))
    if layout.header_row:
        parts.append(_encode(layout, text([[c["header"] for c in layout.columns]]), "表头"))
    return b"".join(parts)


def tail(layout: Layout, count: int, total: Decimal) -> bytes:
    if layout.summary != "trailer":
        return b""
    return _encode(layout, _text(layout)([summary_row(layout, count, total)]), "合计")


def chunk_bytes(layout: Layout, chunk: list[FileLine]) -> bytes:
    """The lines of a CSV or fixed-width file, encoded; a line the encoding cannot write is named."""
    cells = Cells([c["field"] for c in layout.columns])
    try:
        if layout.file_format == "csv":
            return cells.csv(chunk).encode(layout.encoding)
        return _fixed_rows(layout, cells.rows(chunk)).encode(layout.encoding)
    except UnicodeEncodeError:  # find the line, to name it
        text = _text(layout)
        for line in chunk:
            _encode(layout, text([cells.defused(line)]), line.reference)
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


def _csv_rows(rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def _fixed_rows(layout: Layout, rows: Iterable[Sequence[str]]) -> str:
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
    cells = Cells([c["field"] for c in layout.columns])
    async for chunk in lines:
        for row in cells.rows(chunk):
            sheet.append(row)
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
