"""Keeping the hospital directory: one hospital at a time, or a whole file of them."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from pydantic import ValidationError

from tefu_common.errors import Forbidden, FieldError, Invalid, ValidationFailed, pydantic_field_error
from tefu_common.i18n import Text
from tefu_common.scoping import require_within
from tefu_common.tables import TableFileError, heading_index, off_the_loop, read_table
from tefu_medical_priority.cards.vocabulary import FEE_NAMES
from tefu_medical_priority.hospitals.models import Hospital
from tefu_medical_priority.hospitals.repository import HospitalRepository
from tefu_medical_priority.hospitals.schemas import HospitalIn, ImportIssue, ImportReport

CODE_PATTERN = r"^[A-Za-z0-9_-]{2,32}$"
FILE_COLUMNS = {
    "code": ("医院编码", "机构编码", "code"),
    "name": ("医院名称", "机构名称", "name"),
    "region_code": ("行政区划代码", "区划代码", "region_code"),
    "level": ("医院等级", "等级", "level"),
    "designated": ("是否定点", "定点", "designated"),
    "fee_waivers": ("减免项目", "免除费用", "fee_waivers"),
}
YES = {"是", "y", "yes", "true", "1", "定点"}
NO = {"否", "n", "no", "false", "0", ""}
FEE_BY_NAME = {name: code for code, name in FEE_NAMES.items()}
# A province's directory is a few thousand hospitals and clinics: a file far beyond that is not one.
MAX_ROWS = 50_000
MAX_COLUMNS = 50
# What tefu_common.tables says of a file it cannot read, in Chinese.
UNREADABLE = {
    "the file is empty": "文件是空的",
    "the file is neither": "文件既不是 UTF-8 或 GBK 编码的文本，也不是 XLSX 工作簿",
    "the XLSX file cannot be opened": "XLSX 文件无法打开",
}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _elsewhere(code: str, region_code: str) -> Text:
    return Text(f"医院编码 {code} 已属于辖区外的 {region_code}", f"hospital {code} belongs to region {region_code}, "
                "outside yours")


async def put_hospital(hospitals: HospitalRepository, code: str, body: HospitalIn) -> tuple[Hospital, bool]:
    """Create or replace; True if created. The caller's region must hold the hospital's."""
    require_within(hospitals.caller, body.region_code, field="region_code")
    hospital = await hospitals.any_region(code)
    created = hospital is None
    if hospital is None:
        hospital = Hospital(code=code, created_at=_now())
        hospitals.add(hospital)
    elif not hospitals.covers(hospital.region_code):
        raise Forbidden(_elsewhere(code, hospital.region_code), code="hospital-outside-region")
    _apply(hospital, body)
    await hospitals.flush()
    return hospital, created


def _apply(hospital: Hospital, body: HospitalIn) -> bool:
    """Set the fields; True if anything changed."""
    values = {"name": body.name, "region_code": body.region_code, "level": body.level.value,
              "designated": body.designated, "fee_waivers": [fee.value for fee in body.fee_waivers],
              "active": body.active}
    changed = any(getattr(hospital, key, None) != value for key, value in values.items())
    if changed:
        for key, value in values.items():
            setattr(hospital, key, value)
        hospital.updated_at = _now()
    return changed


# --- a file of hospitals ---------------------------------------------------------------------------

def _row_body(cells: list[str], columns: dict[str, int]) -> tuple[str, dict[str, object]]:
    def cell(name: str) -> str:
        index = columns.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    designated = cell("designated").lower()
    fees = [part.strip() for part in cell("fee_waivers").replace("；", ";").replace("、", ";").split(";") if part.strip()]
    body = {"name": cell("name"), "region_code": cell("region_code"), "level": cell("level"),
            "designated": True if designated in YES else False if designated in NO else designated,
            "fee_waivers": [FEE_BY_NAME.get(fee, fee) for fee in fees]}
    return cell("code"), body


class _Rejected(list[tuple[int, str, str, Text]]):
    """Rows not loaded: (row, column heading, code, reason)."""

    def add(self, row: int, field: str, code: str, message: Text) -> None:
        self.append((row, FILE_COLUMNS.get(field, (field,))[0], code, message))

    def issues(self) -> list[ImportIssue]:
        return [ImportIssue(row=row, column=column, code=code, detail=message.render())
                for row, column, code, message in self]

    def problem(self) -> ValidationFailed:
        return ValidationFailed([FieldError(f"file.row{row}.{column}", code, message) for row, column, code, message in self],
                                detail=Text(f"文件中没有一行能够导入（{len(self)} 行有误）", f"no row could be loaded "
                                            f"({len(self)} rejected)"))


def _check_heading(heading: list[str]) -> None:
    """Before any row is read: a file without the directory's columns is refused at once."""
    columns = heading_index(heading, FILE_COLUMNS)
    missing = [names[0] for field, names in FILE_COLUMNS.items() if field not in columns and field != "fee_waivers"]
    if missing:
        raise Invalid("file-columns-missing", f"表头缺少 {'、'.join(missing)} 列（现有：{'、'.join(heading[:20])}）",
                      f"the heading row lacks {', '.join(missing)} (it has: {', '.join(heading[:20])})").at("", location="file")


def _read(content: bytes, filename: str | None) -> list[tuple[int, list[str]]]:
    try:
        return read_table(content, filename, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS, check_heading=_check_heading)
    except TableFileError as exc:
        if exc.code:  # unsafe to open (a compression or entity bomb) or too large: said as it is
            raise Invalid(exc.code, exc.zh or str(exc), str(exc)).at("", location="file") from None
        reason = str(exc)
        chinese = next((zh for start, zh in UNREADABLE.items() if reason.startswith(start)), "文件无法读取")
        raise Invalid("file-unreadable", f"{chinese}：请上传 CSV（UTF-8 或 GBK）或 XLSX 文件",
                      f"the file cannot be read: {reason}").at("", location="file") from None


async def import_hospitals(hospitals: HospitalRepository, content: bytes, filename: str | None) -> ImportReport:
    """Load every good row (create or update), report every bad one with its row, column and code."""
    table = await off_the_loop(_read, content, filename)
    (_, heading), rows = table[0], table[1:]
    columns = heading_index(heading, FILE_COLUMNS)
    report = ImportReport(created=0, updated=0, unchanged=0, rejected=[])
    rejected = _Rejected()
    seen: dict[str, int] = {}
    for number, cells in rows:
        code, raw = _row_body(cells, columns)
        if not re.match(CODE_PATTERN, code):
            rejected.add(number, "code", "hospital-code-format", Text(
                f"“{code}”不是医院编码（2 至 32 位字母、数字、- 或 _）",
                f"{code!r} is not a hospital code (2-32 letters, digits, - or _)"))
            continue
        if code in seen:
            rejected.add(number, "code", "hospital-code-repeated", Text(
                f"{code} 已在第 {seen[code]} 行出现", f"{code} is already on row {seen[code]}"))
            continue
        seen[code] = number
        try:
            body = HospitalIn.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors():
                problem = pydantic_field_error(error, location="")
                rejected.add(number, problem.field.split(".")[0], problem.code, problem.message)
            continue
        if not hospitals.covers(body.region_code):
            rejected.add(number, "region_code", "region-outside-scope", Text(
                f"{body.region_code} 不在你的辖区 {hospitals.caller.region} 之内",
                f"{body.region_code} is outside your region {hospitals.caller.region}"))
            continue
        hospital = await hospitals.any_region(code)
        if hospital is None:
            hospital = Hospital(code=code, created_at=_now())
            _apply(hospital, body)
            hospitals.add(hospital)
            report.created += 1
        elif not hospitals.covers(hospital.region_code):
            rejected.add(number, "code", "hospital-outside-region", _elsewhere(code, hospital.region_code))
        elif _apply(hospital, body):
            report.updated += 1
        else:
            report.unchanged += 1
    if rejected and not (report.created or report.updated or report.unchanged):
        raise rejected.problem()
    report.rejected = rejected.issues()
    await hospitals.flush()
    return report
