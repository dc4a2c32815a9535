"""Reading an uploaded family spreadsheet, row by row, into ``FamilyCreate`` bodies.

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
import re
import zipfile
from collections.abc import Generator, Iterable, Iterator
from datetime import date, datetime
from typing import Any, Literal

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException
from pydantic import ValidationError

from tefu_registry.families.schemas import FamilyCreate
from tefu_registry.imports.template import COLUMNS, REQUIRED_MARK, column, column_by_header

__all__ = [
    "OVERFLOW_KEY", "REASON_HEADER", "ROW_NUMBER_HEADER", "ImportFileError", "RowError", "RowSource",
    "decode_csv", "detect_format", "escape_cell", "parse_date", "read_rows", "rejected_rows_csv",
    "rejected_rows_xlsx", "row_to_family", "header_for_field",
]

ROW_NUMBER_HEADER = "原行号"
REASON_HEADER = "错误原因"
# Row key for values standing under no header; row_to_family refuses such a row.
OVERFLOW_KEY = "(表头之外的单元格)"
_ADDED_HEADERS = frozenset({ROW_NUMBER_HEADER, REASON_HEADER})
_UTF8_BOM = b"\xef\xbb\xbf"
_ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8-sig", "gbk": "gbk",
              "gb2312": "gbk", "cp936": "gbk", "gb18030": "gb18030"}
# Characters that make Excel or LibreOffice treat a cell as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# str.strip() already covers ASCII and full-width (U+3000) spaces; these are invisible too.
_INVISIBLE = "\ufeff\u200b\u200c\u200d"


class ImportFileError(ValueError):
    """The file cannot be imported at all; the message is for the clerk."""


class RowError(ValueError):
    """A row that cannot become a family: ``problems`` lists (column header, reason)."""

    def __init__(self, column: str, reason: str, problems: list[tuple[str, str]] | None = None) -> None:
        self.problems = problems or [(column, reason)]
        self.column, self.reason = self.problems[0]
        super().__init__(self.summary)

    @property
    def summary(self) -> str:
        """All problems in one line, as written to the 错误原因 column."""
        return "; ".join(f"{col}: {reason}" for col, reason in self.problems)


# --- the file ---------------------------------------------------------------------------

def detect_format(filename: str | None, content_type: str | None, data: bytes) -> Literal["csv", "xlsx"]:
    """Decide by content; the name and type only serve to explain a mismatch."""
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError("不支持 Excel 97-2003 (.xls) 文件, 请在 Excel 中另存为 .xlsx 或 CSV 后上传")
    if (filename or "").lower().endswith(".xlsx") or "spreadsheetml" in (content_type or ""):
        raise ImportFileError("文件名或类型表明是 XLSX, 但内容不是 XLSX 文件, 可能已损坏")
    return "csv"


def decode_csv(data: bytes, declared: str | None) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read with.

    A declared encoding is used as declared. Without one: a UTF-8 BOM means
    ``utf-8-sig``, valid UTF-8 means ``utf-8``, otherwise GB18030 (a superset of GBK,
    which also reads the rare characters of some names) reported as ``gbk`` when the
    bytes are plain GBK.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError("文件是 UTF-16 编码(Excel 的“Unicode 文本”), 请另存为“CSV UTF-8(逗号分隔)”")
    if declared:
        return _decode_declared(data, declared)
    if data.startswith(_UTF8_BOM):
        return _decode(data, "utf-8-sig"), "utf-8-sig"
    if _decodes(data, "utf-8"):
        return data.decode("utf-8"), "utf-8"
    if not _decodes(data, "gb18030"):
        raise ImportFileError("无法识别文件编码: 既不是 UTF-8 也不是 GBK, 请另存为“CSV UTF-8(逗号分隔)”")
    return data.decode("gb18030"), "gbk" if _decodes(data, "gbk") else "gb18030"


def _decode_declared(data: bytes, declared: str) -> tuple[str, str]:
    encoding = _ENCODINGS.get(declared.strip().lower().replace("_", "-"))
    if encoding is None:
        raise ImportFileError(f"不支持的编码 {declared!r}, 可选 utf-8、gbk、gb18030")
    if encoding == "utf-8" and data.startswith(_UTF8_BOM):
        encoding = "utf-8-sig"
    # UTF-8 Chinese text often also decodes as GBK, into plausible-looking garbage that
    # would be registered as names. Real GBK text is practically never valid UTF-8, so
    # such a file is refused instead of read the declared way.
    if encoding in ("gbk", "gb18030") and not data.isascii() and _decodes(data, "utf-8"):
        raise ImportFileError(f"声明的编码是 {declared}, 但文件实际是 UTF-8 编码; 请选择 UTF-8 或不指定编码")
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
            f"文件不是有效的 {encoding} 编码: 第 {exc.start} 字节 (0x{data[exc.start]:02X}, 约第 {line} 行) 无法解码"
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
        for number, cells in self._records:
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
        raise ImportFileError(f"第 {number + 1} 行不是有效的 CSV: {exc}") from None


def _xlsx_records(data: bytes) -> Generator[tuple[int, list[str]], None, None]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(f"无法读取 XLSX 文件 ({exc.__class__.__name__}), 请确认是 Excel 2007 及以上格式") from None
    try:
        sheet = workbook.worksheets[0]
        # Some programs write a wrong sheet size; read what is really there instead.
        sheet.reset_dimensions()
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
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
    raise ImportFileError("文件中没有内容: 第一行应为表头")


def normalise_header(text: str) -> str:
    return clean_text(text).rstrip(REQUIRED_MARK + "＊").strip()


def _check_headers(headers: list[str]) -> None:
    named = [h for h in headers if h]
    repeated = sorted({h for h in named if named.count(h) > 1})
    if repeated:
        raise ImportFileError(f"表头中有重复的列: {'、'.join(repeated)}")
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
        raise ImportFileError(f"缺少必填列: {'、'.join(missing)}")


# --- cell values ------------------------------------------------------------------------

def clean_text(value: str) -> str:
    """Trim spaces (full-width too) and invisible marks; undo our own formula escape."""
    text = value.strip().strip(_INVISIBLE).strip()
    if text.startswith("'") and text[1:2] and text[1] in "=+-@\t\r":
        return text[1:]
    return text


def cell_text(value: Any) -> str:
    """An XLSX cell value as the text a clerk would have typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        # Numbers typed into a General cell arrive as floats: 370306 → "370306", not "370306.0".
        return str(int(value))
    return clean_text(str(value))


_DATE_FORMS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
)
_YES = frozenset({"是", "y", "yes", "1", "true", "√"})
_NO = frozenset({"否", "n", "no", "0", "false", "×"})
_HUKOU = {"城镇": "urban", "城镇户口": "urban", "非农业": "urban", "非农业户口": "urban", "urban": "urban",
          "农村": "rural", "农村户口": "rural", "农业": "rural", "农业户口": "rural", "rural": "rural"}
_CATEGORIES = {name: str(digit) for digit, zh in enumerate("视力 听力 言语 肢体 智力 精神 多重".split(), 1)
               for name in (str(digit), zh, zh + "残疾")}
_LEVELS = {name: digit for digit, zh in enumerate("一二三四", 1)
           for name in (str(digit), f"{digit}级", zh, zh + "级")}


def parse_date(text: str) -> date:
    """A date in any of the ways clerks write one; ``ValueError`` with a message otherwise."""
    for form in _DATE_FORMS:
        match = form.fullmatch(text)
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                raise ValueError(f"{text} 不是有效的日期") from None
    raise ValueError(f"无法识别的日期 {text!r}, 请写成 YYYY-MM-DD, 如 2019-03-10")


class _Row:
    """One row's cells by column key, and the first problem found in each column."""

    def __init__(self, row: dict[str, str]) -> None:
        self.cells = {c.key: row.get(c.header_zh, "") for c in COLUMNS}
        self.problems: dict[str, str] = {}
        if row.get(OVERFLOW_KEY):
            self.problems[OVERFLOW_KEY] = (
                f"这些值没有对应的表头: {row[OVERFLOW_KEY]}; 可能某个值中含有未加引号的逗号")

    def fail(self, key: str, reason: str) -> None:
        self.problems.setdefault(column(key).header_zh, reason)

    def any(self, prefix: str) -> bool:
        return any(v for k, v in self.cells.items() if k.startswith(prefix))

    def text(self, key: str) -> str | None:
        return self.cells[key] or None

    def compact(self, key: str) -> str | None:
        """Numbers typed in groups ("6228 4800 ...") mean the same without the spaces."""
        return "".join(self.cells[key].split()) or None

    def date(self, key: str) -> date | None:
        return self._convert(key, parse_date)

    def flag(self, key: str) -> bool | None:
        def yes_no(text: str) -> bool:
            if text.lower() in _YES | _NO:
                return text.lower() in _YES
            raise ValueError(f"应为 是 或 否, 不是 {text!r}")
        return self._convert(key, yes_no)

    def choice(self, key: str, choices: dict[str, Any], expected: str) -> Any:
        def pick(text: str) -> Any:
            if text.lower() not in choices:
                raise ValueError(f"应为 {expected}, 不是 {text!r}")
            return choices[text.lower()]
        return self._convert(key, pick)

    def _convert(self, key: str, convert: Any) -> Any:
        text = self.cells[key]
        if not text:
            return None
        try:
            return convert(text)
        except ValueError as exc:
            self.fail(key, str(exc))
            return None


# --- a row into a family ----------------------------------------------------------------

def row_to_family(row: dict[str, str]) -> FamilyCreate:
    """Map one row (keyed by header) to a validated ``FamilyCreate``; raises :class:`RowError`.

    Every column that is wrong is reported, not only the first, so one correction
    round is enough. Converting the cells finds unreadable dates and choices; pydantic
    then checks the rest, and its error locations are translated back to headers.
    """
    cells = _Row(row)
    body = _drop_empty({
        "region_code": cells.text("region_code"),
        "hukou_type": cells.choice("hukou_type", _HUKOU, "城镇 或 农村"),
        "address": cells.text("address"),
        "honor_certificate": _certificate(cells, "honor_certificate"),
        "assistance_certificate": _certificate(cells, "assistance_certificate"),
        "mother": _person(cells, "mother"),
        "father": _person(cells, "father"),
        "child": _child(cells),
        "events": [e for e in (_child_death(cells), _disability(cells)) if e],
        "external_ref": cells.text("external_ref"),
    })
    family = None
    try:
        family = FamilyCreate.model_validate(body)
    except ValidationError as exc:
        for error in exc.errors():
            cells.problems.setdefault(_header_of(error["loc"], body), _reason(error))
    if cells.problems:
        order = {c.header_zh: i for i, c in enumerate(COLUMNS)}
        problems = sorted(cells.problems.items(), key=lambda p: order.get(p[0], -1))
        raise RowError(*problems[0], problems=problems)
    assert family is not None
    return family


def _drop_empty(values: dict[str, Any]) -> dict[str, Any]:
    """Leave out blank cells: pydantic then applies the defaults or says what is missing."""
    return {k: v for k, v in values.items() if v not in (None, "", {}, [])}


def _certificate(cells: _Row, prefix: str) -> dict[str, Any]:
    return _drop_empty({"number": cells.text(f"{prefix}_no"), "issued_on": cells.date(f"{prefix}_issued_on")})


def _person(cells: _Row, role: str) -> dict[str, Any] | None:
    if not cells.any(role + "_"):
        return None  # a parent's block left blank as a whole: that parent is not recorded
    name = cells.text(f"{role}_name")
    bank, account = cells.text(f"{role}_bank"), cells.compact(f"{role}_account_number")
    pension = cells.text(f"{role}_monthly_basic_pension")
    return _drop_empty({
        "name": name,
        "id_number": cells.compact(f"{role}_id_number"),
        "phone": cells.compact(f"{role}_phone"),
        "death_date": cells.date(f"{role}_death_date"),
        # Support is paid into the parent's own account, so the holder is the parent.
        "bank_account": _drop_empty({"bank": bank, "account_number": account, "holder": name})
        if bank or account else None,
        "in_resident_pension": cells.flag(f"{role}_in_resident_pension"),
        "monthly_basic_pension": pension.removesuffix("元").strip() if pension else None,
    })


def _child(cells: _Row) -> dict[str, Any]:
    adopted, adopted_on = cells.flag("child_adopted"), cells.date("child_adopted_on")
    if adopted_on and adopted is False:
        cells.fail("child_adopted_on", "子女是否收养为 否, 不应填写收养日期")
    id_number, birth_date = cells.compact("child_id_number"), cells.date("child_birth_date")
    if not id_number and not cells.cells["child_birth_date"]:
        cells.fail("child_birth_date", "子女没有身份证号时必填")
    return _drop_empty({
        "name": cells.text("child_name"), "id_number": id_number, "birth_date": birth_date,
        "adopted": adopted or bool(adopted_on), "adopted_on": adopted_on,
    })


def _child_death(cells: _Row) -> dict[str, Any] | None:
    died = cells.date("child_death_date")
    return {"kind": "child_died", "occurred_on": died} if died else None


def _disability(cells: _Row) -> dict[str, Any] | None:
    if not cells.any("disability_"):
        return None
    number = cells.compact("disability_certificate_no")
    category = cells.choice("disability_category", _CATEGORIES, "1-7 或 视力/听力/言语/肢体/智力/精神/多重")
    level = cells.choice("disability_level", _LEVELS, "1-4 或 一级至四级")
    # The certificate number ends in the category and level digits: fill in a blank
    # category or level from it, and refuse a row where they disagree.
    if number and re.fullmatch(r"\d{17}[\dXx]\d{2}", number):
        category = _agree(cells, "disability_category", category, _CATEGORIES.get(number[18]), 19)
        level = _agree(cells, "disability_level", level, _LEVELS.get(number[19]), 20)
    return _drop_empty({
        "kind": "disability_certified", "occurred_on": cells.date("disability_issued_on"),
        "category": category, "level": level, "certificate_no": number,
    })


def _agree(cells: _Row, key: str, given: Any, in_number: Any, position: int) -> Any:
    if in_number is None:
        cells.fail("disability_certificate_no", f"第 {position} 位不是有效的{column(key).header_zh}")
    elif given is not None and given != in_number:
        cells.fail(key, f"与残疾证号第 {position} 位 ({in_number}) 不一致")
    elif not cells.cells[key]:
        return in_number
    return given


# Column keys are mostly the pydantic location joined with "_" ("mother", "id_number" →
# mother_id_number); these parts are spelled differently in the two.
_LOC_PARTS = {"bank_account": None, "holder": "name", "number": "no", "disability_certified": "disability",
              "occurred_on": "issued_on", "child_died": "child_death_date"}
_KEYS = frozenset(c.key for c in COLUMNS)


def _header_of(loc: tuple[int | str, ...], body: dict[str, Any]) -> str:
    """The header of the column a pydantic error location points at."""
    if loc[:1] == ("events",) and len(loc) > 1 and isinstance(loc[1], int):
        # ("events", 1, "disability_certified", "level"): the event is known by its kind.
        kind = body["events"][loc[1]]["kind"]
        loc = (kind,) if kind == "child_died" else (kind, *loc[3:4])
    parts = [_LOC_PARTS.get(str(p), str(p)) for p in loc]
    parts = [p for p in parts if p]
    while parts:
        if "_".join(parts) in _KEYS:
            return column("_".join(parts)).header_zh
        parts.pop()
    return "(整行)"


def header_for_field(field: str, body: dict[str, Any]) -> str:
    """The column behind a field path the register reported ("body.events.0.occurred_on")."""
    parts: list[int | str] = [int(p) if p.isdigit() else p for p in field.split(".")]
    if parts[:1] in (["body"], ["query"]):
        parts = parts[1:]
    if parts[:1] == ["events"] and len(parts) > 2 and isinstance(parts[1], int):
        # The register names event fields without the kind pydantic puts in its locations.
        parts = [parts[0], parts[1], body["events"][parts[1]]["kind"], *parts[2:]]
    return _header_of(tuple(parts), body)


_PATTERN_HINTS = {
    "name": "姓名只能由汉字、字母、间隔号和空格组成, 最多 32 个字",
    "holder": "姓名只能由汉字、字母、间隔号和空格组成, 最多 32 个字",
    "phone": "应为 11 位手机号或带区号的固定电话",
    "account_number": "银行账号应为 12-30 位数字",
    "certificate_no": "残疾证号应为 20 位: 18 位身份证号 + 残疾类别 + 残疾等级",
}


def _reason(error: Any) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return "必填"
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])  # our validators' own messages, e.g. ResidentIdError
    if kind == "string_pattern_mismatch":
        return _PATTERN_HINTS.get(str(error["loc"][-1]), "格式不正确")
    if kind == "string_too_long":
        return f"最多 {ctx['max_length']} 个字"
    if kind == "string_too_short":
        return f"至少 {ctx['min_length']} 个字"
    return str(error["msg"])


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
