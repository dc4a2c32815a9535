"""Reading the small tables people upload (CSV in UTF-8 or GBK, or XLSX) into rows of text.

Clerks and bank staff work in Excel and WPS, which save CSV as GBK on Chinese Windows and as
UTF-8 (often with a BOM) elsewhere; both are accepted without asking. Rows keep the numbers a
person sees in the spreadsheet (the heading is row 1), so an error can say "row 3,214".
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import csv
import functools
import io
import zipfile
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from datetime import date, datetime

from openpyxl import load_workbook
from starlette.responses import Response

T = TypeVar("T")


# Reading a file is CPU work (decompressing, parsing XML): it runs here, two files at a time, never
# on the event loop, so the service keeps answering everyone else meanwhile.
PARSERS = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="table-parser")


async def off_the_loop(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in the parsers' threads."""
    return await asyncio.get_running_loop().run_in_executor(PARSERS, functools.partial(function, *args))


class TableFileError(ValueError):
    """The file cannot be read at all: not CSV or XLSX, not UTF-8 or GBK, empty, or unsafe to open
    (then with a ``code`` and the reason in Chinese, ``zh``, for the person who sent it)."""

    def __init__(self, message: str, *, code: str | None = None, zh: str | None = None) -> None:
        super().__init__(message)
        self.code, self.zh = code, zh


# An XLSX is a zip of XML parts. What a spreadsheet of the suite can hold, and no more: a zip
# bomb (a few MB that expand to gigabytes) or an XML entity bomb ("billion laughs") is refused
# before openpyxl reads a cell.
XLSX_MAX_UNCOMPRESSED = 400 * 1024 * 1024  # a sheet of ~500,000 rows of the import template
XLSX_MAX_RATIO = 150  # sheet XML compresses 5-20 times; a bomb, thousands of times
XLSX_MAX_PARTS = 2000


class UnsafeXlsx(ValueError):
    """The workbook would expand beyond what any real one of ours does, or declares XML entities."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.code, self.zh, self.en = code, zh, en


def check_xlsx_package(content: bytes) -> None:
    """Refuse a zip bomb or an XML entity declaration in an XLSX, reading only the zip directory
    and the first bytes of each XML part."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip: openpyxl's own error says what the file is not
    with archive:
        parts = archive.infolist()
        if len(parts) > XLSX_MAX_PARTS:
            raise UnsafeXlsx("xlsx-too-many-parts", f"XLSX 文件包含 {len(parts)} 个部件，不是正常的工作簿",
                             f"the XLSX holds {len(parts)} parts: not a workbook")
        total = sum(part.file_size for part in parts)
        if total > XLSX_MAX_UNCOMPRESSED:
            raise UnsafeXlsx("xlsx-too-large-uncompressed",
                             f"XLSX 解压后达 {total // (1024 * 1024)} MB，超过 {XLSX_MAX_UNCOMPRESSED // (1024 * 1024)} MB；"
                             "请拆分文件", f"the XLSX expands to {total // (1024 * 1024)} MB, over "
                             f"{XLSX_MAX_UNCOMPRESSED // (1024 * 1024)} MB; split the file")
        for part in parts:
            if part.compress_size and part.file_size / part.compress_size > XLSX_MAX_RATIO and part.file_size > 1 << 20:
                raise UnsafeXlsx("xlsx-compression-bomb", "XLSX 文件的压缩比异常（疑似压缩炸弹），未读取",
                                 f"the XLSX part {part.filename} expands {part.file_size // part.compress_size} times: "
                                 "refused as a compression bomb")
            if part.filename.endswith((".xml", ".rels", ".vml")):
                with archive.open(part) as stream:
                    head = stream.read(4096)
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise UnsafeXlsx("xlsx-xml-entities", "XLSX 文件中含有 XML 实体声明（正常的工作簿没有），未读取",
                                     f"the XLSX part {part.filename} declares XML entities: refused")


# How much a table may hold. Each upload route passes its own limits, fitted to the largest real file
# of its kind (see docs/security.md); these are the defaults.
MAX_ROWS = 1_000_000
MAX_COLUMNS = 200


def too_many_rows(limit: int) -> TableFileError:
    return TableFileError(f"the file holds more than {limit:,} rows; split it", code="too-many-rows",
                          zh=f"文件超过 {limit:,} 行；请拆分后分别上传")


def too_many_columns(count: int, limit: int) -> TableFileError:
    return TableFileError(f"a row holds {count} columns, more than {limit}", code="too-many-columns",
                          zh=f"有一行多达 {count} 列，超过 {limit} 列；请只保留模板中的列")


def declared_rows(sheet: Any) -> int | None:
    """The rows an XLSX sheet's ``<dimension>`` declares, if it has one: a file declaring more than
    allowed is refused before its rows are read; the rows are counted as read all the same, since
    some programs write no dimension, or a wrong one."""
    try:
        return int(sheet.max_row) if sheet.max_row else None
    except (TypeError, ValueError):
        return None


def read_table(content: bytes, filename: str | None = None, *, max_rows: int = MAX_ROWS,
               max_columns: int = MAX_COLUMNS,
               check_heading: Callable[[list[str]], None] | None = None) -> list[tuple[int, list[str]]]:
    """(row number, cells) for each non-blank row, the heading first; cells stripped, never None.

    ``check_heading`` sees the heading before any other row is read, so a file with the wrong
    headings is refused at once however many rows follow; more than ``max_rows`` rows after the
    heading, or a row wider than ``max_columns`` (counting to its last non-blank cell), is refused
    as it is reached (:class:`TableFileError` with ``code`` ``too-many-rows`` / ``too-many-columns``).
    """
    xlsx = (filename or "").lower().endswith(".xlsx") or content[:2] == b"PK"
    numbered: list[tuple[int, list[str]]] = []
    source: _Sheet | Iterator[list[str]] = _Sheet(content) if xlsx else _csv(content)
    declared = source.declared if isinstance(source, _Sheet) else None
    with contextlib.closing(source) as rows:  # type: ignore[type-var]
        for number, cells in enumerate(rows, start=1):
            if not any(cells):
                continue
            width = max(index for index, cell in enumerate(cells) if cell) + 1
            if width > max_columns:
                raise too_many_columns(width, max_columns)
            if not numbered:
                if check_heading is not None:
                    check_heading(cells)
                if declared is not None and declared > max_rows + 1:  # the heading and max_rows rows
                    raise too_many_rows(max_rows)
            elif len(numbered) > max_rows:
                raise too_many_rows(max_rows)
            numbered.append((number, cells))
    if not numbered:
        raise TableFileError("the file is empty")
    return numbered


def heading_index(heading: list[str], names: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Column positions by field, matching each field's accepted headings (Chinese or English, any case)."""
    lowered = [title.strip().lower() for title in heading]
    found = {}
    for field, accepted in names.items():
        for index, title in enumerate(lowered):
            if title in {name.lower() for name in accepted}:
                found[field] = index
                break
    return found


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps codes typed as numbers as floats
    return str(value).strip()


def _csv(content: bytes) -> Iterator[list[str]]:
    for encoding in ("utf-8-sig", "gbk"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableFileError("the file is neither UTF-8 nor GBK text, nor an XLSX workbook")
    return ([cell.strip() for cell in row] for row in csv.reader(io.StringIO(text)))


class _Sheet:
    """The first sheet's rows as text, read as iterated; ``declared`` is what its dimension says."""

    def __init__(self, content: bytes) -> None:
        try:
            check_xlsx_package(content)
        except UnsafeXlsx as exc:
            raise TableFileError(exc.en, code=exc.code, zh=exc.zh) from None
        try:
            self.workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken package
            raise TableFileError(f"the XLSX file cannot be opened: {exc}") from None
        if not self.workbook.worksheets:
            self.workbook.close()
            raise TableFileError("the XLSX file cannot be opened: it holds no worksheet")
        sheet = self.workbook.worksheets[0]
        self.declared = declared_rows(sheet)
        sheet.reset_dimensions()  # read what is there, not what the dimension says
        self.rows = sheet.iter_rows(values_only=True)

    def __iter__(self) -> Iterator[list[str]]:
        return ([_text(cell) for cell in row] for row in self.rows)

    def close(self) -> None:
        self.workbook.close()


# --- writing reports people download ----------------------------------------------------------------

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula is prefixed with ' (formula injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def table_bytes(rows: list[dict[str, object]], columns: list[tuple[str, str]], *, file_format: str,
                sheet_title: str) -> tuple[bytes, str]:
    """A report as CSV (UTF-8 with BOM, so Excel reads the Chinese headings) or XLSX, and its media type."""
    if file_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([title for _, title in columns])
        writer.writerows([[safe_cell(row[key]) for key, _ in columns] for row in rows])
        return buffer.getvalue().encode("utf-8-sig"), "text/csv; charset=UTF-8"
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    sheet.append([title for _, title in columns])
    for row in rows:
        sheet.append([safe_cell(row[key]) for key, _ in columns])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue(), XLSX_TYPE


def table_response(rows: list[dict[str, object]], columns: list[tuple[str, str]], *, file_format: str, name: str,
                   sheet_title: str) -> Response:
    """A report as a CSV or XLSX download named ``<name>.<format>``."""
    content, media_type = table_bytes(rows, columns, file_format=file_format, sheet_title=sheet_title)
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{file_format}"'})
