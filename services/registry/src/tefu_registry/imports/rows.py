"""Turning one spreadsheet row (keyed by header) into a validated ``FamilyCreate``.

Every wrong column of a row is reported, not only the first, so one round of corrections is
enough; pydantic's error locations are translated back to the Chinese column headers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from tefu_common.errors import Invalid, pydantic_field_error
from tefu_common.i18n import Text
from tefu_registry.families.schemas import FamilyCreate
from tefu_registry.imports.template import COLUMNS, column

# Row key for values standing under no header; row_to_family refuses such a row.
OVERFLOW_KEY = "(表头之外的单元格)"
# str.strip() already covers ASCII and full-width (U+3000) spaces; these are invisible too.
_INVISIBLE = "\ufeff\u200b\u200c\u200d"


@dataclass(frozen=True)
class RowProblem:
    """One wrong column of a row: its header, a stable code, and why (Chinese and English)."""

    column: str
    code: str
    message: Text


def summary(problems: list[RowProblem]) -> Text:
    """Every problem of a row in one line, each column named once (the 错误原因 column)."""
    return Text("；".join(f"{p.column}：{p.message.zh}" for p in problems),
                "; ".join(f"{p.column}: {p.message.en}" for p in problems))


class RowError(ValueError):
    """A row that cannot become a family: ``problems`` lists every wrong column, in column order."""

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems
        first = problems[0]
        self.column, self.code, self.message = first.column, first.code, first.message
        super().__init__(summary(problems).en)

    @property
    def reason(self) -> str:
        """The first problem, in Chinese."""
        return self.message.zh

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """(column, Chinese reason) of every problem."""
        return [(p.column, p.message.zh) for p in self.problems]

    @property
    def summary(self) -> str:
        return summary(self.problems).zh


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
    """A date in any of the ways clerks write one; :class:`Invalid` otherwise."""
    for form in _DATE_FORMS:
        match = form.fullmatch(text)
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                raise Invalid("date-invalid", f"{text} 不是有效的日期", f"{text} is not a valid date") from None
    raise Invalid("date-unreadable", f"无法识别的日期“{text}”，请写成 YYYY-MM-DD，如 2019-03-10",
                  f"{text!r} is not a date; write it as YYYY-MM-DD, e.g. 2019-03-10")


class _Row:
    """One row's cells by column key, and the first problem found in each column."""

    def __init__(self, row: dict[str, str]) -> None:
        self.cells = {c.key: row.get(c.header_zh, "") for c in COLUMNS}
        self.problems: dict[str, RowProblem] = {}
        if row.get(OVERFLOW_KEY):
            self.problem(OVERFLOW_KEY, "cells-outside-header",
                         f"这些值没有对应的表头：{row[OVERFLOW_KEY]}；可能某个值中含有未加引号的逗号",
                         f"these values stand under no header: {row[OVERFLOW_KEY]}; a value may hold an unquoted comma")

    def problem(self, header: str, code: str, zh: str, en: str) -> None:
        """The first problem found in a column is the one reported."""
        self.problems.setdefault(header, RowProblem(header, code, Text(zh, en)))

    def fail(self, key: str, code: str, zh: str, en: str) -> None:
        self.problem(column(key).header_zh, code, zh, en)

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
            raise Invalid("yes-no-expected", f"应为“是”或“否”，而不是“{text}”", f"should be 是 or 否, not {text!r}")
        return self._convert(key, yes_no)

    def choice(self, key: str, choices: dict[str, Any], expected: Text) -> Any:
        def pick(text: str) -> Any:
            if text.lower() not in choices:
                raise Invalid("choice-unknown", f"应为{expected.zh}，而不是“{text}”", f"should be {expected.en}, not {text!r}")
            return choices[text.lower()]
        return self._convert(key, pick)

    def _convert(self, key: str, convert: Any) -> Any:
        text = self.cells[key]
        if not text:
            return None
        try:
            return convert(text)
        except Invalid as exc:
            self.fail(key, exc.code, exc.message.zh, exc.message.en)
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
        "hukou_type": cells.choice("hukou_type", _HUKOU, Text("“城镇”或“农村”", "城镇 (urban) or 农村 (rural)")),
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
            code, message = _reason(error)
            cells.problem(_header_of(error["loc"], body), code, message.zh, message.en)
    if cells.problems:
        order = {c.header_zh: i for i, c in enumerate(COLUMNS)}
        raise RowError(sorted(cells.problems.values(), key=lambda p: order.get(p.column, -1)))
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
        cells.fail("child_adopted_on", "adoption-date-without-adoption", "“子女是否收养”为“否”，不应填写收养日期",
                   "the child is not adopted (子女是否收养 is 否), so there is no adoption date")
    id_number, birth_date = cells.compact("child_id_number"), cells.date("child_birth_date")
    if not id_number and not cells.cells["child_birth_date"]:
        cells.fail("child_birth_date", "child-birth-date-missing", "子女没有身份证号时必填",
                   "required when the child has no ID number")
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
    category = cells.choice("disability_category", _CATEGORIES,
                            Text("1-7 或 视力/听力/言语/肢体/智力/精神/多重", "1-7 or 视力/听力/言语/肢体/智力/精神/多重"))
    level = cells.choice("disability_level", _LEVELS, Text("1-4 或 一级至四级", "1-4 or 一级 to 四级"))
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
        cells.fail("disability_certificate_no", "certificate-digit-invalid",
                   f"第 {position} 位不是有效的{column(key).header_zh}",
                   f"character {position} is not a valid {'category' if position == 19 else 'level'}")
    elif given is not None and given != in_number:
        cells.fail(key, "certificate-digit-mismatch", f"与残疾证号第 {position} 位（{in_number}）不一致",
                   f"differs from character {position} of the certificate number ({in_number})")
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


_NAME_HINT = Text("姓名只能由汉字、字母、间隔号和空格组成，最多 32 个字",
                  "a name is Chinese characters, letters, middle dots and spaces, at most 32")
_PATTERN_HINTS = {
    "name": _NAME_HINT,
    "holder": _NAME_HINT,
    "phone": Text("应为 11 位手机号或带区号的固定电话", "should be an 11-digit mobile number or a landline with its area code"),
    "account_number": Text("银行账号应为 12-30 位数字", "a bank account number is 12-30 digits"),
    "certificate_no": Text("残疾证号应为 20 位：18 位身份证号 + 残疾类别 + 残疾等级",
                           "a disability certificate number is 20 characters: the ID number, the category, the level"),
}


def _reason(error: Any) -> tuple[str, Text]:
    """A pydantic error as (code, reason): our validators keep their own, pydantic's get Chinese."""
    found = pydantic_field_error(error, location="")
    kind = error["type"]
    if kind == "missing":
        return found.code, Text("必填", "required")
    if kind == "string_pattern_mismatch":
        return found.code, _PATTERN_HINTS.get(str(error["loc"][-1]), Text("格式不正确", "wrong format"))
    if kind == "string_too_long":
        return found.code, Text(f"最多 {error['ctx']['max_length']} 个字", f"at most {error['ctx']['max_length']} characters")
    return found.code, found.message
