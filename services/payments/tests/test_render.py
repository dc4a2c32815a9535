"""Disbursement files: the agency's format, byte-for-byte repeatable, safe in a spreadsheet."""

from __future__ import annotations

import io
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tefu_payments.agencies.schemas import DEFAULT_COLUMNS
from tefu_payments.disbursement.render import FileLine, Layout, RenderError, render

CREATED = datetime(2026, 11, 22, 8, 30, tzinfo=timezone.utc)


def line(reference: str, name: str = "李秀英", amount: str = "610.00", bank: str = "中国农业银行周村支行") -> FileLine:
    return FileLine(reference=reference, name=name, id_number="370306196503021029", account="6228480012345678901",
                    holder=name, bank=bank, amount=Decimal(amount), benefit="计划生育家庭特别扶助金", period="2020-06",
                    due_on="")


async def _chunks(lines):
    yield lines


async def rendered(layout: Layout, lines: list[FileLine]) -> bytes:
    out = io.BytesIO()
    total = sum((l.amount for l in lines), Decimal("0.00"))
    await render(layout, _chunks(lines), len(lines), total, CREATED, out)
    return out.getvalue()


def layout(**change) -> Layout:
    values = {"file_format": "csv", "encoding": "utf-8", "columns": DEFAULT_COLUMNS, "header_row": True,
              "summary": "trailer", **change}
    return Layout(**values)


async def test_gbk_csv_with_a_trailer():
    data = await rendered(layout(encoding="gbk"), [line("0000010000001"), line("0000010000002", amount="480.00")])
    text = data.decode("gbk")
    assert text.splitlines()[0] == "流水号,姓名,身份证号码,银行账号,开户银行,金额,补助项目,所属期间"
    assert text.splitlines()[-1] == "合计,2,1090.00,,,,,"
    assert text.endswith("\r\n") and "\r\n" in text


async def test_a_name_gbk_cannot_write_is_named_not_mangled():
    with pytest.raises(RenderError, match="0000010000002"):
        await rendered(layout(encoding="gbk"), [line("0000010000001"), line("0000010000002", name="王㛃")])


async def test_cells_that_would_be_formulas_are_defused():
    text = (await rendered(layout(), [line("0000010000001", bank='=HYPERLINK("http://x")')])).decode()
    assert ',"\'=HYPERLINK(""http' in text  # quoted by CSV, defused by the apostrophe
    workbook = load_workbook(io.BytesIO(await rendered(layout(file_format="xlsx"), [line("1", name="@SUM(A1)")])))
    values = [cell.value for row in workbook.active.iter_rows() for cell in row]
    assert "'@SUM(A1)" in values and not any(isinstance(v, str) and v.startswith("=") for v in values)


async def test_fixed_width_counts_bytes_of_the_encoding():
    columns = [{"field": "reference", "header": "流水号", "width": 14}, {"field": "name", "header": "姓名", "width": 10},
               {"field": "account", "header": "账号", "width": 20}, {"field": "amount", "header": "金额", "width": 12}]
    data = await rendered(layout(file_format="fixed", encoding="gbk", columns=columns, header_row=False, summary="none"),
                          [line("0000010000001")])
    first = data.split(b"\r\n")[0]
    assert len(first) == 14 + 10 + 20 + 12
    assert first.decode("gbk").endswith("      610.00")
    with pytest.raises(RenderError, match="wider"):
        await rendered(layout(file_format="fixed", columns=[{**columns[0], "width": 5}, *columns[1:]]), [line("0000010000001")])


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "fixed"])
async def test_the_same_batch_renders_to_the_same_bytes(file_format):
    columns = [{**c, "width": 40} for c in DEFAULT_COLUMNS]
    lines = [line(f"{n:013d}") for n in range(1, 50)]
    first = await rendered(layout(file_format=file_format, columns=columns), lines)
    second = await rendered(layout(file_format=file_format, columns=columns), lines)
    assert first == second
