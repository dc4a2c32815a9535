"""A produced return as an XLSX workbook, the way the district hands it to the city.

Chinese headings; every count an integer cell and every amount a decimal cell (never text that
looks like a number); a column saying whether Tefu computed the row or the district fills it in,
and where each computed figure came from. Manual rows are left empty for the district.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from tefu_common.tables import safe_cell

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOLD = Font(bold=True)
FILL_ZH = {"computed": "系统计算", "manual": "人工填报"}
HEADINGS = ["序号", "条款", "服务项目", "统计内容", "单位", "数值", "填报方式", "数据来源", "计算依据 / 说明"]


def _number(row: dict[str, Any]) -> int | Decimal | None:
    value = row["value"]
    return Decimal(value) if isinstance(value, str) else value


def _source(row: dict[str, Any]) -> str | None:
    if not row["sources"]:
        return None
    return "；".join(f"{s['service_name']} {s['endpoint']}（{'&'.join(f'{k}={v}' for k, v in s['query'].items())}）"
                    for s in row["sources"])


def _line(sheet: Any, number: int | None, row: dict[str, Any], at: int) -> None:
    values = [number, row["clause"], row["name"], row["measure"], row["unit"], _number(row), FILL_ZH[row["fill"]],
              _source(row), row["basis"] or row["note"]]
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=at, column=column, value=safe_cell(value))
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if column == 6 and isinstance(value, Decimal):
            cell.number_format = "#,##0.00"


def workbook_bytes(produced: dict[str, Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = produced["annex"]
    sheet["A1"] = produced["name"]
    sheet["A1"].font = Font(bold=True, size=14)
    facts = [("填报单位", produced["region_name"] or produced["region"]), ("地区代码", produced["region"]),
             ("统计期间", f"{produced['period_label']}（{produced['from']} 至 {produced['to']}）"),
             ("报送截止", produced["due_on"]), ("报送", f"{produced['submitted_by']} → {produced['submitted_to']}"),
             ("依据", f"{produced['source']['document']} {produced['source']['clause']}"),
             ("报表编号", produced["id"]), ("生成时间（UTC）", produced["produced_at"]), ("生成人", produced["produced_by"]),
             ("内容校验（SHA-256）", produced["content_sha256"])]
    if produced["note"]:
        facts.append(("说明", produced["note"]))
    at = 3
    for label, value in facts:
        sheet.cell(row=at, column=1, value=label).font = BOLD
        sheet.cell(row=at, column=3, value=safe_cell(value))
        at += 1
    at += 1
    for column, title in enumerate(HEADINGS, start=1):
        sheet.cell(row=at, column=column, value=title).font = BOLD
    for row in produced["header"]:
        at += 1
        _line(sheet, None, row, at)
    for number, row in enumerate(produced["rows"], start=1):
        at += 1
        _line(sheet, number, row, at)
    for column, width in zip("ABCDEFGHI", (8, 14, 28, 44, 8, 14, 12, 50, 50)):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
