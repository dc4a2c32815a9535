"""Reading an uploaded family spreadsheet, row by row (``rows.py`` turns each row into a family).

Pure functions: no database, no web framework. The import job calls
:func:`detect_format`, then :func:`read_rows` (which decodes CSV with :func:`decode_csv`
and checks the header row), then :func:`row_to_family` for every row.

Two kinds of failure, on purpose:

- :class:`ImportFileError`: the file as a whole cannot be used (undecodable, not a
  spreadsheet, a required column missing). Nothing is imported; the clerk fixes the
  file once instead of reading the same complaint on every row.
- :class:`RowError`: one row is wrong. It names each wrong column and says why; the
  other rows go on, so a bad neighbour never costs a good row.

Rejected rows are written back by :func:`rejected_rows_csv` / :func:`rejected_rows_xlsx`
in the shape they came in, with the original row number and the reason in front, so
the clerk corrects that file and uploads it again; :func:`read_rows` ignores the two
added columns.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Generator, Iterable, Iterator
from typing import Any, Literal

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from tefu_common.errors import Invalid
from tefu_common.tables import UnsafeXlsx, check_xlsx_package, declared_rows, too_many_columns, too_many_rows
from tefu_registry.imports.rows import (
    OVERFLOW_KEY, RowError, cell_text, clean_text, header_for_field, parse_date, row_to_family,
)
from tefu_registry.imports.template import COLUMNS, REQUIRED_MARK, column, column_by_header

__all__ = [
    "OVERFLOW_KEY", "REASON_HEADER", "ROW_NUMBER_HEADER", "ImportFileError", "RowError", "RowSource",
    "decode_csv", "detect_format", "escape_cell", "parse_date", "read_rows", "rejected_rows_csv",
    "rejected_rows_xlsx", "row_to_family", "header_for_field",
]

ROW_NUMBER_HEADER = "原行号"
REASON_HEADER = "错误原因"
_ADDED_HEADERS = frozenset({ROW_NUMBER_HEADER, REASON_HEADER})
_UTF8_BOM = b"\xef\xbb\xbf"
_ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8-sig", "gbk": "gbk",
              "gb2312": "gbk", "cp936": "gbk", "gb18030": "gb18030"}
# The largest register a county sends in one file, and the template's columns with room to spare.
MAX_ROWS = 1_000_000
MAX_COLUMNS = 200
# Characters that make Excel or LibreOffice treat a cell as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ImportFileError(Invalid):
    """The file cannot be imported at all: a stable code and the reason, for the clerk (a 422 on ``file``)."""


# --- the file ---------------------------------------------------------------------------

def detect_format(filename: str | None, content_type: str | None, data: bytes) -> Literal["csv", "xlsx"]:
    """Decide by content; the name and type only serve to explain a mismatch."""
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError("file-xls-unsupported", "不支持 Excel 97-2003（.xls）文件，请在 Excel 中另存为 .xlsx 或 CSV 后上传",
                              "Excel 97-2003 (.xls) files are not supported; save the file as .xlsx or CSV in Excel")
    if (filename or "").lower().endswith(".xlsx") or "spreadsheetml" in (content_type or ""):
        raise ImportFileError("file-not-xlsx", "文件名或类型表明是 XLSX，但内容不是 XLSX 文件，可能已损坏",
                              "the name or type says XLSX but the content is not an XLSX file; it may be damaged")
    return "csv"


def decode_csv(data: bytes, declared: str | None) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read with.

    A declared encoding is used as declared. Without one: a UTF-8 BOM means
    ``utf-8-sig``, valid UTF-8 means ``utf-8``, otherwise GB18030 (a superset of GBK,
    which also reads the rare characters of some names) reported as ``gbk`` when the
    bytes are plain GBK.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError("file-utf16", "文件是 UTF-16 编码（Excel 的“Unicode 文本”），请另存为“CSV UTF-8（逗号分隔）”",
                              "the file is UTF-16 (Excel's \"Unicode Text\"); save it as \"CSV UTF-8 (comma delimited)\"")
    if declared:
        return _decode_declared(data, declared)
    if data.startswith(_UTF8_BOM):
        return _decode(data, "utf-8-sig"), "utf-8-sig"
    if _decodes(data, "utf-8"):
        return data.decode("utf-8"), "utf-8"
    if not _decodes(data, "gb18030"):
        raise ImportFileError("file-encoding-unknown", "无法识别文件编码：既不是 UTF-8 也不是 GBK，请另存为“CSV UTF-8（逗号分隔）”",
                              "the encoding is neither UTF-8 nor GBK; save the file as \"CSV UTF-8 (comma delimited)\"")
    return data.decode("gb18030"), "gbk" if _decodes(data, "gbk") else "gb18030"


def _decode_declared(data: bytes, declared: str) -> tuple[str, str]:
    encoding = _ENCODINGS.get(declared.strip().lower().replace("_", "-"))
    if encoding is None:
        raise ImportFileError("encoding-unsupported", f"不支持的编码“{declared}”，可选 utf-8、gbk、gb18030",
                              f"encoding {declared!r} is not supported; use utf-8, gbk or gb18030")
    if encoding == "utf-8" and data.startswith(_UTF8_BOM):
        encoding = "utf-8-sig"
    # UTF-8 Chinese text often also decodes as GBK, into plausible-looking garbage that
    # would be registered as names. Real GBK text is practically never valid UTF-8, so
    # such a file is refused instead of read the declared way.
    if encoding in ("gbk", "gb18030") and not data.isascii() and _decodes(data, "utf-8"):
        raise ImportFileError("encoding-mismatch", f"声明的编码是 {declared}，但文件实际是 UTF-8 编码；请选择 UTF-8 或不指定编码",
                              f"the declared encoding is {declared} but the file is UTF-8; choose UTF-8 or declare none")
    return _decode(data, encoding), encoding


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            "file-undecodable",
            f"文件不是有效的 {encoding} 编码：第 {exc.start} 字节（0x{data[exc.start]:02X}，约第 {line} 行）无法解码",
            f"the file is not valid {encoding}: byte {exc.start} (0x{data[exc.start]:02X}, about line {line}) cannot be decoded",
        ) from None


class RowSource:
    """The rows of a file, read as they are iterated (once): ``(row_number, {header: value})``.

    ``row_number`` is the row as the clerk sees it in the spreadsheet (the header is
    row 1 when it is the first row). Fully empty rows are skipped but still counted.
    ``headers`` are the file's column headers (normalised, the added 原行号/错误原因
    left out); ``unknown_headers`` those that are not template columns, to report them.
    """

    def __init__(self, fmt: str, encoding: str | None, records: Generator[tuple[int, list[str]], None, None]) -> None:
        self.format, self.encoding, self._records = fmt, encoding, records
        try:
            self._header_row = _layout_from(records)
        except BaseException:
            records.close()  # releases the XLSX file
            raise
        self.headers = [h for h in self._header_row if h and h not in _ADDED_HEADERS]
        self.unknown_headers = [h for h in self.headers if column_by_header(h) is None]

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        width = len(self._header_row)
        for count, (number, cells) in enumerate(self._records, start=1):
            if count > MAX_ROWS:
                raise _refused(too_many_rows(MAX_ROWS))
            if len(cells) > MAX_COLUMNS and any(cells[MAX_COLUMNS:]):
                raise _refused(too_many_columns(len(cells), MAX_COLUMNS))
            row: dict[str, str] = {}
            stray = [v for v in cells[width:] if v]
            for header, value in zip(self._header_row, cells):
                if not header:
                    stray += [value] if value else []
                elif header not in _ADDED_HEADERS:
                    row[header] = value
            if stray:
                row[OVERFLOW_KEY] = " | ".join(stray)
            if any(row.values()):
                yield number, row

    def count_rows(self) -> None:
        """Read the rest without keeping it, so that a file over the limits is refused now, not
        halfway through its import (an XLSX declaring too many rows was refused on opening)."""
        if self.format == "csv":
            for _ in self:
                pass
        else:
            next(self._records, None)  # the first record after the header: there the dimension is checked

    def close(self) -> None:
        """Release the file early when the rows are not read to the end."""
        self._records.close()

    def __enter__(self) -> RowSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def read_rows(data: bytes, fmt: str, encoding: str | None = None) -> RowSource:
    """Open a CSV or XLSX file and check its header row (raises :class:`ImportFileError`).

    For CSV, ``encoding`` is the declared encoding (``None``: detect); for XLSX it is unused.
    """
    if fmt == "xlsx":
        return RowSource("xlsx", None, _xlsx_records(data))
    text, used = decode_csv(data, encoding)
    return RowSource("csv", used, _csv_records(text))


def _csv_records(text: str) -> Generator[tuple[int, list[str]], None, None]:
    first_line = text.split("\n", 1)[0]
    # Some offices save "text (tab delimited)" and name it .csv; take whichever separator leads.
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    # A record may span several physical lines (a quoted value with a line break), but
    # is one row in a spreadsheet, so records are counted, not lines.
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            yield number, [clean_text(v) for v in record]
    except csv.Error as exc:
        raise ImportFileError("csv-invalid", f"第 {number + 1} 行不是有效的 CSV（{exc}）",
                              f"line {number + 1} is not valid CSV ({exc})") from None


def _refused(error: ValueError) -> ImportFileError:
    code, zh = getattr(error, "code"), getattr(error, "zh")
    return ImportFileError(code, zh, str(error))


def _xlsx_records(data: bytes) -> Generator[tuple[int, list[str]], None, None]:
    try:
        check_xlsx_package(data)
    except UnsafeXlsx as exc:
        raise ImportFileError(exc.code, exc.zh, exc.en) from None
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError("xlsx-unreadable", f"无法读取 XLSX 文件（{exc.__class__.__name__}），请确认是 Excel 2007 及以上格式",
                              f"the XLSX file cannot be read ({exc.__class__.__name__}); is it Excel 2007 or later?") from None
    try:
        if not workbook.worksheets:
            raise ImportFileError("xlsx-unreadable", "XLSX 文件中没有工作表", "the XLSX file holds no worksheet")
        sheet = workbook.worksheets[0]
        declared = declared_rows(sheet)
        # Some programs write a wrong sheet size; read what is really there instead (and count it).
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        first = next(rows, None)
        if first is not None:
            yield 1, [cell_text(v) for v in first]  # the header is checked before the size below
        if declared is not None and declared > MAX_ROWS + 1:
            raise _refused(too_many_rows(MAX_ROWS))
        for number, values in enumerate(rows, start=2):
            yield number, [cell_text(v) for v in values]
    finally:
        workbook.close()


def _layout_from(records: Iterator[tuple[int, list[str]]]) -> list[str]:
    """Consume records up to the header row and check it; returns the header per position."""
    for _number, cells in records:
        if any(cells):
            headers = [normalise_header(h) for h in cells]
            _check_headers(headers)
            return headers
    raise ImportFileError("file-no-header", "文件中没有内容：第一行应为表头", "the file is empty: its first row should be the header")


def normalise_header(text: str) -> str:
    return clean_text(text).rstrip(REQUIRED_MARK + "＊").strip()


def _check_headers(headers: list[str]) -> None:
    named = [h for h in headers if h]
    width = max((index for index, header in enumerate(headers) if header), default=-1) + 1
    if width > MAX_COLUMNS:
        raise _refused(too_many_columns(width, MAX_COLUMNS))
    repeated = sorted({h for h in named if named.count(h) > 1})
    if repeated:
        raise ImportFileError("columns-repeated", f"表头中有重复的列：{'、'.join(repeated)}",
                              f"columns appear twice in the header: {', '.join(repeated)}")
    present = set(named)
    missing = [c.header_zh for c in COLUMNS if c.required and c.header_zh not in present]
    # A parent's columns are optional together, but a parent without name or ID column
    # would fail on every row; say so once.
    for role in ("mother", "father"):
        block = [c for c in COLUMNS if c.key.startswith(role + "_")]
        if any(c.header_zh in present for c in block):
            missing += [column(f"{role}_{k}").header_zh for k in ("name", "id_number")
                        if column(f"{role}_{k}").header_zh not in present]
    if missing:
        raise ImportFileError("columns-missing", f"缺少必填列：{'、'.join(missing)}",
                              f"required columns are missing: {', '.join(missing)}")


# --- the rejected rows, to fix and upload again -----------------------------------------

def escape_cell(value: str) -> str:
    """Prefix ``'`` to text a spreadsheet would run as a formula (=, +, -, @, tab, CR)."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _rejected_table(headers: list[str], rows: Iterable[tuple[int, dict[str, str], str]]) -> Iterator[list[Any]]:
    yield [ROW_NUMBER_HEADER, REASON_HEADER, *(escape_cell(h) for h in headers)]
    for number, row, reason in rows:
        yield [number, escape_cell(reason), *(escape_cell(row.get(h, "")) for h in headers)]


def rejected_rows_csv(headers: list[str], rows: Iterable[tuple[int, dict[str, str], str]],
                      encoding: str | None = None) -> bytes:
    """The rejected rows as CSV, in the upload's encoding (UTF-8 always with a BOM, for Excel)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(_rejected_table(headers, rows))
    text = buffer.getvalue()
    if encoding in (None, "utf-8", "utf-8-sig"):
        return text.encode("utf-8-sig")
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("gb18030")  # GBK's superset: the GBK part is byte-for-byte the same


def rejected_rows_xlsx(headers: list[str], rows: Iterable[tuple[int, dict[str, str], str]]) -> bytes:
    """The rejected rows as an XLSX workbook, every cell text so long numbers stay exact."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("未导入的行")
    bold = Font(bold=True)
    for index, values in enumerate(_rejected_table(headers, rows)):
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value)
            if index == 0:
                cell.font = bold
            else:
                cell.number_format = "@"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
