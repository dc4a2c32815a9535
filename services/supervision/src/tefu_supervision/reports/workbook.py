"""A report as an XLSX workbook: Chinese headings, numbers stored as numbers, a chart per figure.

Inspectors carry the workbook into their own tables and slides, so every count is an integer
cell, every rate and amount a decimal cell (never text that looks like a number), and each sheet's
chart is drawn from the cells of the sheet, so it follows when a reader filters or edits them.
Text coming from the services is guarded against formula injection (tefu_common.tables.safe_cell).
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from tefu_common.tables import safe_cell
from tefu_supervision.reports.service import HEADLINE_LABELS

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOLD = Font(bold=True)
STATUS_ZH = {"scored": "已计算", "partly_scored": "部分计算，其余待检查组核实", "inspector": "需检查组核实",
             "not_computed": "数据暂缺，未计算"}
FESTIVALS_ZH = {"spring": "春节", "dragon_boat": "端午", "mid_autumn": "中秋"}


def _number(value: Any) -> Any:
    """Decimal strings become Decimal cells (numbers); None stays an empty cell."""
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            return safe_cell(value)
    return value


def _table(sheet: Worksheet, headings: list[str], rows: list[list[Any]], *, start_row: int = 1) -> tuple[int, int]:
    """Write a heading row and the rows; (first data row, last data row)."""
    for column, title in enumerate(headings, start=1):
        cell = sheet.cell(row=start_row, column=column, value=title)
        cell.font = BOLD
    for offset, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            # The first column names the row (a benefit, a month): text; the others are figures.
            sheet.cell(row=start_row + offset, column=column, value=safe_cell(value) if column == 1 else _number(value))
    for column in range(1, len(headings) + 1):
        sheet.column_dimensions[chr(64 + column)].width = max(12, len(headings[column - 1]) * 2 + 2)
    return start_row + 1, start_row + len(rows)


def _bar(sheet: Worksheet, *, title: str, y_title: str, data_col: int, first: int, last: int, anchor: str,
         heading_row: int) -> None:
    if last < first:
        return
    chart = BarChart()
    chart.title, chart.y_axis.title = title, y_title
    chart.add_data(Reference(sheet, min_col=data_col, min_row=heading_row, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=first, max_row=last))
    chart.height, chart.width = 8, 16
    sheet.add_chart(chart, anchor)


def _summary(book: Workbook, report: dict[str, Any]) -> None:
    sheet = book.active
    sheet.title = "概要"
    sheet["A1"] = f"{report['region_name'] or report['region']} {report['period_name']} 计划生育特殊家庭扶助督导报告"
    sheet["A1"].font = Font(bold=True, size=14)
    rows = [["报告编号", report["report_id"]], ["地区代码", report["region"]], ["期间", f"{report['from']} 至 {report['to']}"],
            ["生成时间（UTC）", report["produced_at"]], ["生成人", report["produced_by"]],
            ["内容校验（SHA-256）", report["content_sha256"]]]
    for offset, (label, value) in enumerate(rows, start=3):
        sheet.cell(row=offset, column=1, value=label).font = BOLD
        sheet.cell(row=offset, column=2, value=safe_cell(value) if isinstance(value, str) else value)
    start = len(rows) + 4
    _table(sheet, ["指标", "数值"], [[HEADLINE_LABELS[key], report["headline"].get(key)] for key in HEADLINE_LABELS],
           start_row=start)
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 30, 70


def _disbursement(book: Workbook, figure: dict[str, Any]) -> None:
    sheet = book.create_sheet("发放到位率")
    if not figure["available"]:
        sheet["A1"] = f"数据暂缺：{figure['reason']}"
        return
    rows = [[b["benefit_name"], b["due"], b["paid"], b["in_batch"], b["failed"], b["outstanding"], b["due_amount"],
             b["paid_amount"], b["rate_percent"]] for b in figure["benefits"]]
    first, last = _table(sheet, ["待遇", "应发（笔）", "已发放（笔）", "在批次中（笔）", "失败（笔）", "未发放（笔）",
                                 "应发金额（元）", "已发金额（元）", "到位率（%）"], rows)
    sheet.column_dimensions["A"].width = 36
    _bar(sheet, title="发放到位率", y_title="%", data_col=9, first=first, last=last, anchor="K2", heading_row=1)


def _cards(book: Workbook, cards: dict[str, Any], visits: dict[str, Any]) -> None:
    sheet = book.create_sheet("就医优先")
    if not cards["available"]:
        sheet["A1"] = f"发卡数据暂缺：{cards['reason']}"
    else:
        rows = [[c["region_name"], c["qualifying"], c["with_active_card"], c["coverage_percent"]]
                for c in cards.get("by_county", [])]
        first, last = _table(sheet, ["地区", "符合条件（人）", "持有效卡（人）", "发卡覆盖率（%）"], rows)
        sheet.column_dimensions["A"].width = 30
        _bar(sheet, title="发卡覆盖率", y_title="%", data_col=4, first=first, last=last, anchor="F2", heading_row=1)
        sheet.cell(row=last + 2, column=1, value="本期发卡（张）").font = BOLD
        sheet.cell(row=last + 2, column=2, value=cards["issued"])
        sheet.cell(row=last + 3, column=1, value="本期注销（张）").font = BOLD
        sheet.cell(row=last + 3, column=2, value=cards["revoked"])
    if not visits["available"]:
        sheet["A40"] = f"就诊数据暂缺：{visits['reason']}"
        return
    start = 20
    first, last = _table(sheet, ["月份", "优先就诊人次", "享受优先人数"],
                         [[m["month"], m["visits"], m["holders_served"]] for m in visits["by_month"]], start_row=start)
    _bar(sheet, title="各月优先就诊人次", y_title="人次", data_col=2, first=first, last=last, anchor=f"F{start}",
         heading_row=start)


def _entitled(book: Workbook, figure: dict[str, Any]) -> None:
    sheet = book.create_sheet("应享人数")
    if not figure["available"]:
        sheet["A1"] = f"数据暂缺：{figure['reason']}"
        return
    rows = [[b["benefit_name"], b["recipients"], b["lines"], b["local"], b["national_minimum"], b["unknown"]]
            for b in figure["benefits"]]
    first, last = _table(sheet, ["待遇", f"{figure['month'] or ''} 应享（人/户）", "应发项目", "本地标准", "仅国家最低标准",
                                 "金额未配置"], rows)
    sheet.column_dimensions["A"].width = 36
    _bar(sheet, title="各项待遇应享人数", y_title="人/户", data_col=2, first=first, last=last, anchor="H2",
         heading_row=1)


def _compliance(book: Workbook, figure: dict[str, Any]) -> None:
    sheet = book.create_sheet("联系人履职")
    if not figure["available"]:
        sheet["A1"] = f"数据暂缺：{figure['reason']}"
        return
    rows = [[d["name"], d["families_due"], d["families_met"], d["missed"], d["share_percent"],
             (d.get("source") or {}).get("clause")] for d in figure.get("duties", [])]
    first, last = _table(sheet, ["职责", "应履职（户）", "已履职（户）", "未履职（户）", "履职率（%）", "依据条款"], rows)
    sheet.column_dimensions["A"].width = 36
    _bar(sheet, title="联系人履职率", y_title="%", data_col=5, first=first, last=last, anchor="H2", heading_row=1)


def _scoresheet(book: Workbook, scoresheet: dict[str, Any] | None) -> None:
    sheet = book.create_sheet("检查表")
    if scoresheet is None:
        sheet["A1"] = "该地区没有适用的检查表（目前为湖北省：鄂卫生计生通〔2016〕89号 附件2）。"
        return
    sheet["A1"] = f"{scoresheet['title']}（{scoresheet['document']}）"
    sheet["A1"].font = Font(bold=True, size=13)
    rows = [[i["section"], i["check"], i["points"], i["computed_points"] if i["deducted"] is not None else None,
             i["deducted"], STATUS_ZH[i["status"]], i["basis"], i["inspector_check"], i["deduction_rule"]]
            for i in scoresheet["items"]]
    first, last = _table(sheet, ["检查内容", "检查要点", "分值", "已计算分值", "已计算扣分", "状态", "计算依据",
                                 "需检查组核实", "扣分方法"], rows, start_row=3)
    for row in sheet.iter_rows(min_row=first, max_row=last):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for column, width in zip("ABCDEFGHI", (14, 40, 8, 10, 10, 16, 50, 40, 50)):
        sheet.column_dimensions[column].width = width
    sheet.cell(row=last + 2, column=1, value="已计算扣分合计").font = BOLD
    sheet.cell(row=last + 2, column=5, value=Decimal(scoresheet["computed_deducted"]))
    sheet.cell(row=last + 3, column=1, value="最高可得分").font = BOLD
    sheet.cell(row=last + 3, column=5, value=Decimal(scoresheet["highest_possible"]))


def _sources(book: Workbook, report: dict[str, Any]) -> None:
    sheet = book.create_sheet("数据来源")
    rows = []
    for name, figure in report["figures"].items():
        if not isinstance(figure, dict):
            continue
        for src in figure.get("sources", []):
            query = "&".join(f"{k}={v}" for k, v in src["query"].items())
            rows.append([name, src["service_name"], src["endpoint"], query, src["fetched_at"]])
        if not figure.get("available", True):
            rows.append([name, "—", "—", f"暂缺：{figure.get('reason')}", "—"])
    _table(sheet, ["指标", "来源服务", "接口", "查询条件", "取数时间（UTC）"], rows)
    for column, width in zip("ABCDE", (20, 16, 36, 60, 24)):
        sheet.column_dimensions[column].width = width


def workbook_bytes(report: dict[str, Any]) -> bytes:
    book = Workbook()
    figures = report["figures"]
    _summary(book, report)
    _disbursement(book, figures["disbursement"])
    _cards(book, figures["cards"], figures["green_channel"])
    _entitled(book, figures["entitled"])
    _compliance(book, figures["liaison_compliance"])
    _scoresheet(book, report["scoresheet"])
    _sources(book, report)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
