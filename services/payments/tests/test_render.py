"""Disbursement files: the agency's format, byte-for-byte repeatable, safe in a spreadsheet."""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tefu_payments.agencies.schemas import DEFAULT_COLUMNS
from tefu_payments.disbursement.render import Cells, FileLine, Layout, RenderError, render

CREATED = datetime(2026, 11, 22, 8, 30, tzinfo=timezone.utc)


def line(reference: str, name: str = "李秀英", amount: str = "610.00", bank: str = "中国农业银行周村支行") -> FileLine:
    return FileLine(reference=reference, name=name, id_number="370306196503021029", account="6228480012345678901",
                    holder=name, bank=bank, amount=amount, benefit="计划生育家庭特别扶助金", period="2020-06",
                    due_on="")


async def _chunks(lines):
    yield lines


async def rendered(layout: Layout, lines: list[FileLine]) -> bytes:
    out = io.BytesIO()
    total = sum((Decimal(l.amount) for l in lines), Decimal("0.00"))
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


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
async def test_one_formula_among_many_lines_is_defused_and_the_rest_left_as_they_are(start):
    """A chunk is searched as a whole first: the one cell that starts like a formula, wherever it
    is, is still found; an amount is a number and never gets the apostrophe."""
    lines = [line(f"{n:013d}") for n in range(1, 1001)]
    lines[637] = line("0000000000638", name=f"{start}1+1", amount="-5.00")
    plain = (await rendered(layout(header_row=False, summary="none"), lines)).decode().split("\r\n")
    rows = list(csv.reader(io.StringIO("\r\n".join(plain[:-1]), newline="")))
    assert len(rows) == 1000
    assert rows[637][1] == f"'{start}1+1" and rows[637][5] == "-5.00"
    assert all(row[1] == "李秀英" and row[5] == "610.00" for n, row in enumerate(rows) if n != 637)
    fixed = [{"field": "name", "header": "姓名", "width": 12}, {"field": "amount", "header": "金额", "width": 10}]
    text = (await rendered(layout(file_format="fixed", columns=fixed, header_row=False, summary="none"), lines)).decode()
    assert text.split("\r\n")[637] == f"'{start}1+1".ljust(12) + "-5.00".rjust(10)
    # The very first cell of a chunk, too.
    lines = [line("0000000000001", name=f"{start}SUM(A1)")] + [line(f"{n:013d}") for n in range(2, 1001)]
    first = (await rendered(layout(columns=fixed, header_row=False, summary="none"), lines)).decode().split("\r\n")[0]
    assert first.startswith(f"'{start}SUM(A1)" if start != "\r" else f'"\'\rSUM(A1)"')


@pytest.mark.parametrize("seed", range(40))
async def test_csv_lines_are_what_the_csv_module_writes_of_the_defused_cells(seed):
    """The CSV of a chunk is written by joining cells unless a cell needs quoting or defusing:
    for any cells at all, the bytes are those of the csv module over the defused cells."""
    plain = ["李", "a", "1", ""]
    special = [",", '"', "\r", "\n", "\r\n", "=", "-", "+", "@", "\t", " ", "'", "\0"]
    chooser = random.Random(seed)
    # Plain cells only, or plain cells and now and then one kind of special piece, or any mix.
    rare = [] if seed < 4 else [special[seed % len(special)]] if seed < 30 else special

    def cell() -> str:
        return "".join(chooser.choice(rare) if rare and chooser.random() < 0.002 else chooser.choice(plain)
                       for _ in range(chooser.randrange(4)))

    lines = [FileLine(f"{n:013d}", cell(), cell(), cell(), cell(), cell(), "-5.00" if seed % 7 == 0 and n == 99 else "610.00",
                      cell(), cell(), cell()) for n in range(200)]
    columns = chooser.sample(list(FileLine._fields), 1 if seed % 10 == 9 else chooser.randrange(2, len(FileLine._fields) + 1))

    def defused(value: str) -> str:
        return "'" + value if value and value[0] in "=+-@\t\r" else value

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(
        [getattr(line, f) if f == "amount" else defused(getattr(line, f)) for f in columns] for line in lines)
    assert Cells(columns).csv(lines) == buffer.getvalue()


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
