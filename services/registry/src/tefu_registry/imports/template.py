"""The import spreadsheet: its columns, and the blank template clerks download.

One row describes one family: where its hukou is, its certificates, the mother, the
father, the only child and the facts that make it a special family (the child's death
or disability). Headers are in Chinese because the people filling the sheet in are
county and township clerks; the English ``key`` is what the code uses.

The template marks required columns with a trailing ``*``; the parser accepts headers
with or without it. Every column is formatted as text in the XLSX template, because
Excel otherwise turns an 18-digit ID number or a bank account number into a
floating-point number and silently loses its last digits.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from tefu_common.resident_id import check_character

__all__ = [
    "COLUMNS",
    "REQUIRED_MARK",
    "Column",
    "column",
    "column_by_header",
    "example_row",
    "render_template_csv",
    "render_template_xlsx",
    "template_header",
]

REQUIRED_MARK = "*"


@dataclass(frozen=True)
class Column:
    key: str
    header_zh: str
    required: bool
    description_zh: str
    example: str


def _resident_id(first17: str) -> str:
    return first17 + check_character(first17)


# The sample family: mother, father and a son, whose only child died in 2019.
_MOTHER_ID = _resident_id("37030619650312002")
_FATHER_ID = _resident_id("37030619630708001")
_CHILD_ID = _resident_id("37030619900520003")


def _parent_columns(role: str, zh: str, name: str, id_number: str, phone: str, account: str) -> list[Column]:
    block = f"填写{zh}任一信息时必填"
    return [
        Column(f"{role}_name", f"{zh}姓名", False, f"{zh}的姓名。{block}; 整列留空表示没有{zh}的信息。", name),
        Column(f"{role}_id_number", f"{zh}身份证号", False,
               f"18 位公民身份号码(15 位旧号码会自动转换)。{block}。", id_number),
        Column(f"{role}_phone", f"{zh}电话", False, "11 位手机号或带区号的固定电话, 如 0533-6123456。", phone),
        Column(f"{role}_death_date", f"{zh}死亡日期", False, "已去世时填写, 格式 YYYY-MM-DD。", "2021-06-30"),
        Column(f"{role}_bank", f"{zh}开户银行", False,
               f"发放扶助金的开户银行及网点; 户名即{zh}本人。", "中国农业银行周村支行"),
        Column(f"{role}_account_number", f"{zh}银行账号", False, "12-30 位数字, 可含空格。", account),
        Column(f"{role}_in_resident_pension", f"{zh}是否参加城乡居民养老保险", False, "是 或 否, 留空视为否。", "是"),
        Column(f"{role}_monthly_basic_pension", f"{zh}月基础养老金", False, "每月基础养老金, 单位元, 最多两位小数。", "188.00"),
    ]


COLUMNS: list[Column] = [
    Column("region_code", "户籍地区划代码", True,
           "户籍所在地的行政区划代码(GB/T 2260), 县级或更细, 6、9 或 12 位数字。", "370306"),
    Column("hukou_type", "户口性质", True, "城镇 或 农村。", "城镇"),
    Column("address", "家庭住址", False, "现居住地址, 最多 200 字。", "山东省淄博市周村区丝绸路 18 号"),
    Column("honor_certificate_no", "光荣证编号", False, "独生子女父母光荣证编号。", "鲁周字第 001234 号"),
    Column("honor_certificate_issued_on", "光荣证发证日期", False, "格式 YYYY-MM-DD。", "1991-03-01"),
    Column("assistance_certificate_no", "特扶证编号", False, "计划生育家庭特别扶助证编号, 已发证时填写。", "TF370306-2020-0158"),
    Column("assistance_certificate_issued_on", "特扶证发证日期", False, "格式 YYYY-MM-DD。", "2020-05-12"),
    *_parent_columns("mother", "母亲", "王秀兰", _MOTHER_ID, "13905331234", "6228480012345678901"),
    *_parent_columns("father", "父亲", "李建国", _FATHER_ID, "13705335678", "6228480098765432101"),
    Column("child_name", "子女姓名", True, "独生子女(或收养子女)的姓名。", "李明"),
    Column("child_id_number", "子女身份证号", False, "子女的 18 位公民身份号码; 没有时必须填写出生日期。", _CHILD_ID),
    Column("child_birth_date", "子女出生日期", False, "格式 YYYY-MM-DD; 没有身份证号时必填。", "1990-05-20"),
    Column("child_adopted", "子女是否收养", False, "是 或 否, 留空视为否。", "否"),
    Column("child_adopted_on", "子女收养日期", False, "依法收养的日期, 收养子女填写。", "1992-08-15"),
    Column("child_death_date", "子女死亡日期", False, "子女已去世时填写, 格式 YYYY-MM-DD。", "2019-03-10"),
    Column("disability_certificate_no", "残疾证号", False,
           "第二代残疾人证号, 20 位: 子女身份证号 + 残疾类别 + 残疾等级。", _CHILD_ID + "42"),
    Column("disability_category", "残疾类别", False,
           "1-7 或 视力/听力/言语/肢体/智力/精神/多重; 留空时取残疾证号第 19 位。", "肢体"),
    Column("disability_level", "残疾等级", False, "1-4 或 一级至四级; 留空时取残疾证号第 20 位。", "二级"),
    Column("disability_issued_on", "残疾证发证日期", False, "残疾人证的发证日期, 填写残疾证号时必填。", "2018-11-02"),
    Column("external_ref", "外部编号", False, "本单位自己的编号(选填, 最多 64 字), 同一编号不会重复登记。", "ZC-2024-0001"),
]

_BY_KEY = {c.key: c for c in COLUMNS}
_BY_HEADER = {c.header_zh: c for c in COLUMNS}

# The sample row is one coherent family: parents alive, the child born to them and
# died. Columns for other situations stay blank there; their examples are in 说明.
_EXAMPLE_ROW_OMITS = frozenset({
    "mother_death_date", "father_death_date", "child_adopted_on",
    "disability_certificate_no", "disability_category", "disability_level", "disability_issued_on",
})


def column(key: str) -> Column:
    return _BY_KEY[key]


def column_by_header(header: str) -> Column | None:
    """The column a (normalised) header names, or ``None`` for an unknown header."""
    return _BY_HEADER.get(header)


def template_header(col: Column) -> str:
    return col.header_zh + REQUIRED_MARK if col.required else col.header_zh


def example_row() -> dict[str, str]:
    """The sample family, keyed by plain Chinese header (without the required mark)."""
    return {c.header_zh: ("" if c.key in _EXAMPLE_ROW_OMITS else c.example) for c in COLUMNS}


def render_template_csv() -> bytes:
    """Header and the sample row, UTF-8 with a BOM: without it Excel reads UTF-8 as GBK."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([template_header(c) for c in COLUMNS])
    sample = example_row()
    writer.writerow([sample[c.header_zh] for c in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def render_template_xlsx() -> bytes:
    """The template workbook: sheet 家庭 (header and sample row) and sheet 说明."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "家庭"
    bold = Font(bold=True)
    sample = example_row()
    for index, col in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        header = sheet.cell(row=1, column=index, value=template_header(col))
        header.font = bold
        sheet.cell(row=2, column=index, value=sample[col.header_zh]).number_format = "@"
        # Text format for the whole column keeps long numbers exactly as typed.
        sheet.column_dimensions[letter].number_format = "@"
        sheet.column_dimensions[letter].width = max(12, 2.2 * len(col.header_zh) + 2)
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet("说明")
    notes.append(["列名", "是否必填", "说明", "示例"])
    for cell in notes[1]:
        cell.font = bold
    for col in COLUMNS:
        notes.append([col.header_zh, "必填" if col.required else "选填", col.description_zh, col.example])
    notes.append([])
    notes.append([f"列名后带 {REQUIRED_MARK} 的为必填列; 每行一户, 第 1 行为表头, 示例行可删除或覆盖。"])
    for letter, width in (("A", 30), ("B", 10), ("C", 70), ("D", 28)):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2, min_col=3, max_col=3):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
