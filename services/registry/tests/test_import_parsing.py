"""Reading family spreadsheets: encodings, XLSX, header checks, row mapping, rejected-row files."""

from __future__ import annotations

import csv
import re
import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from tefu_common.resident_id import check_character
from tefu_registry.imports.parsing import (
    OVERFLOW_KEY,
    REASON_HEADER,
    ROW_NUMBER_HEADER,
    ImportFileError,
    RowError,
    decode_csv,
    detect_format,
    escape_cell,
    parse_date,
    read_rows,
    rejected_rows_csv,
    rejected_rows_xlsx,
    row_to_family,
)
from tefu_registry.imports.template import COLUMNS, example_row, render_template_csv, render_template_xlsx

HEADERS = ["户籍地区划代码", "户口性质", "家庭住址", "母亲姓名", "母亲身份证号", "母亲开户银行", "母亲银行账号",
           "父亲姓名", "父亲身份证号", "子女姓名", "子女身份证号", "子女死亡日期", "外部编号"]


def resident_id(region: str, born: date, sequence: int) -> str:
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def wrong_check(id_number: str) -> str:
    wrong = "3" if id_number[17] != "3" else "4"
    return id_number[:17] + wrong


def family_row(i: int = 0) -> dict[str, str]:
    """A valid family; ``i`` varies the people so every row is distinct."""
    born = date.fromordinal(date(1960, 1, 1).toordinal() + i % 3000)
    return {
        "户籍地区划代码": "420102", "户口性质": "城镇", "家庭住址": f"武汉市江岸区胜利街 {i} 号",
        "母亲姓名": "张桂英", "母亲身份证号": resident_id("420102", born, 2 * (i % 400)),
        "母亲开户银行": "中国工商银行江岸支行", "母亲银行账号": f"62220{i:014d}",
        "父亲姓名": "陈志强", "父亲身份证号": resident_id("440604", born, 2 * (i % 400) + 1),
        "子女姓名": "陈晓", "子女身份证号": resident_id("310114", date(1988, 6, 1), 2 * (i % 400) + 1),
        "子女死亡日期": "2020-08-15", "外部编号": f"WH-{i:05d}",
    }


def csv_bytes(rows: list[dict[str, str]], headers: list[str] = HEADERS, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows([[row.get(h, "") for h in headers] for row in rows])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]], headers: list[str] = HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row_error(row: dict[str, str]) -> RowError:
    with pytest.raises(RowError) as caught:
        row_to_family(row)
    return caught.value


# --- encodings -------------------------------------------------------------------------

def test_utf8_csv_is_detected_and_maps_to_families():
    source = read_rows(csv_bytes([family_row(0), family_row(1)]), "csv")
    assert source.encoding == "utf-8"
    assert source.headers == HEADERS and source.unknown_headers == []
    rows = list(source)
    assert [n for n, _ in rows] == [2, 3]
    family = row_to_family(rows[0][1])
    assert family.region_code == "420102" and family.hukou_type == "urban"
    assert family.mother.bank_account.holder == "张桂英"
    assert family.events[0].kind == "child_died" and family.events[0].occurred_on == date(2020, 8, 15)


@pytest.mark.parametrize("declared", [None, "gbk", "GBK", "gb18030"])
def test_gbk_csv_detected_or_declared_reads_the_same(declared):
    rows = [family_row(0), family_row(1)]
    source = read_rows(csv_bytes(rows, encoding="gbk"), "csv", declared)
    assert source.encoding == (declared or "gbk").lower()
    assert [row for _, row in source] == rows


def test_utf8_with_bom_is_read_without_the_bom():
    text, encoding = decode_csv("\ufeff户籍地区划代码\n".encode("utf-8"), None)
    assert (text, encoding) == ("户籍地区划代码\n", "utf-8-sig")


def test_rare_name_characters_fall_back_to_gb18030():
    # 𠈌 is outside GBK: a GB18030 file with it is still read, and reported as such.
    data = "子女姓名\n王𠈌\n".encode("gb18030")
    assert decode_csv(data, None) == ("子女姓名\n王𠈌\n", "gb18030")


def refused(pattern: str, call) -> ImportFileError:
    """The file error ``call`` raises; its Chinese message matches ``pattern``."""
    with pytest.raises(ImportFileError) as caught:
        call()
    assert re.search(pattern, caught.value.message.zh), caught.value.message.zh
    assert caught.value.code and caught.value.message.en
    return caught.value


def test_declared_utf8_on_a_gbk_file_names_the_encoding_and_byte():
    data = b"region,name\n370306," + "王秀兰".encode("gbk")
    refused(r"utf-8.*第 19 字节（0xCD，约第 2 行）", lambda: decode_csv(data, "utf-8"))


def test_declared_gbk_on_a_utf8_file_with_an_emoji_is_refused():
    data = csv_bytes([{**family_row(), "家庭住址": "幸福小区 🏠 3 栋"}])
    refused("gbk.*UTF-8", lambda: read_rows(data, "csv", "gbk"))


def test_undecodable_bytes_and_utf16_are_refused():
    refused("无法识别文件编码", lambda: decode_csv(b"abc\x80\xff\xfe", None))
    refused("UTF-16", lambda: decode_csv("子女姓名\n".encode("utf-16"), None))
    refused("不支持的编码", lambda: decode_csv(b"a", "latin-1"))


# --- formats and headers ---------------------------------------------------------------

def test_format_is_decided_by_content():
    assert detect_format("families.csv", "application/vnd.ms-excel", xlsx_bytes([])) == "xlsx"
    assert detect_format("families.xlsx.txt", "text/csv", b"a,b\n") == "csv"
    refused(r"\.xls", lambda: detect_format("old.xls", None, b"\xd0\xcf\x11\xe0rest"))
    refused("XLSX", lambda: detect_format("families.xlsx", None, b"a,b\n"))


def test_xlsx_cells_become_text_and_row_numbers_match_the_sheet():
    row = family_row(7)
    values: list[object] = [row[h] for h in HEADERS]
    values[0] = 420102  # a region code typed as a number
    values[HEADERS.index("子女死亡日期")] = datetime(2020, 8, 15)  # a real date cell
    data = xlsx_bytes([values, [], [None] * len(HEADERS), values])
    source = read_rows(data, detect_format("f.xlsx", None, data))
    rows = list(source)
    assert source.encoding is None
    assert [n for n, _ in rows] == [2, 5]
    assert rows[0][1] == row
    assert row_to_family(rows[1][1]).external_ref == "WH-00007"


def test_unreadable_xlsx_is_a_file_error():
    refused("XLSX", lambda: read_rows(b"PK\x03\x04 not really a zip", "xlsx"))


def test_missing_required_column_rejects_the_file():
    headers = [h for h in HEADERS if h != "户口性质"]
    refused("缺少必填列：户口性质$", lambda: read_rows(csv_bytes([family_row()], headers), "csv"))


def test_parent_columns_without_name_and_id_reject_the_file():
    headers = [*HEADERS, "母亲电话"]
    headers.remove("母亲身份证号")
    refused("母亲身份证号", lambda: read_rows(csv_bytes([family_row()], headers), "csv"))


def test_headers_are_normalised_unknown_ones_reported_and_duplicates_refused():
    headers = [" 户籍地区划代码* ", "户口性质＊", "\u3000子女姓名", "备注", ""]
    text = ",".join(headers) + "\n370306,农村,李明,送达,\n,,,,\n"
    source = read_rows(text.encode(), "csv")
    assert source.headers == ["户籍地区划代码", "户口性质", "子女姓名", "备注"]
    assert source.unknown_headers == ["备注"]
    assert list(source) == [(2, {"户籍地区划代码": "370306", "户口性质": "农村", "子女姓名": "李明", "备注": "送达"})]
    refused("重复.*子女姓名", lambda: read_rows("户籍地区划代码,户口性质,子女姓名,子女姓名*\n".encode(), "csv"))


def test_a_quoted_line_break_is_one_spreadsheet_row():
    text = '户籍地区划代码,户口性质,子女姓名,家庭住址\n370306,城镇,李明,"丝绸路\n18 号"\n370306,城镇,王芳,\n'
    assert [n for n, _ in read_rows(text.encode(), "csv")] == [2, 3]


def test_values_beyond_the_header_fail_the_row():
    text = "户籍地区划代码,户口性质,子女姓名\n370306,城镇,李明,丝绸路 18 号\n"
    [(_, row)] = list(read_rows(text.encode(), "csv"))
    assert row[OVERFLOW_KEY] == "丝绸路 18 号"
    assert row_error(row).column == OVERFLOW_KEY


# --- rows ------------------------------------------------------------------------------

def test_template_example_parses_from_csv_and_xlsx():
    for data in (render_template_csv(), render_template_xlsx()):
        [(number, row)] = list(read_rows(data, detect_format(None, None, data)))
        assert number == 2
        family = row_to_family(row)
        assert family == row_to_family(example_row())
        assert family.child.name == "李明" and family.events[0].kind == "child_died"
    assert render_template_csv().startswith(b"\xef\xbb\xbf")


def test_xlsx_template_has_bold_headers_and_a_notes_sheet():
    workbook = load_workbook(io.BytesIO(render_template_xlsx()))
    sheet, notes = workbook.worksheets
    assert sheet["A1"].value == "户籍地区划代码*" and sheet["A1"].font.b
    assert sheet.column_dimensions["I"].number_format == "@"  # 母亲身份证号 stays text when typed
    described = {row[0]: row[1] for row in notes.iter_rows(min_row=2, values_only=True) if row[1]}
    assert notes.title == "说明"
    assert described == {c.header_zh: "必填" if c.required else "选填" for c in COLUMNS}


def test_5000_rows_with_one_wrong_check_character():
    rows = [family_row(i) for i in range(5000)]
    bad_index = 3214 - 2  # row 1 is the header
    rows[bad_index]["母亲身份证号"] = wrong_check(rows[bad_index]["母亲身份证号"])
    failures, families = [], 0
    for number, row in read_rows(csv_bytes(rows), "csv"):
        try:
            row_to_family(row)
            families += 1
        except RowError as error:
            failures.append((number, error.column, error.code))
    assert families == 4999
    assert failures == [(3214, "母亲身份证号", "resident-id-check-character")]


def test_bad_child_death_date_is_reported_on_its_column():
    error = row_error({**family_row(), "子女死亡日期": "2020-13-01"})
    assert (error.column, error.reason) == ("子女死亡日期", "2020-13-01 不是有效的日期")


@pytest.mark.parametrize("text", ["2019-03-10", "2019/3/10", "2019.03.10", "20190310", "2019年3月10日",
                                  "2019/3/10 0:00"])
def test_date_forms(text):
    assert parse_date(text) == date(2019, 3, 10)


def test_all_problems_of_a_row_are_reported_in_column_order():
    error = row_error({**family_row(), "户口性质": "城里", "母亲银行账号": "12ab", "子女死亡日期": "去年"})
    assert [col for col, _ in error.pairs] == ["户口性质", "母亲银行账号", "子女死亡日期"]
    assert error.pairs[1][1] == "银行账号应为 12-30 位数字"
    assert [p.code for p in error.problems] == ["choice-unknown", "string-pattern-mismatch", "date-unreadable"]
    # Each column is named once: "户口性质：应为…", never "户口性质：户口性质：…".
    assert error.summary.startswith("户口性质：应为“城镇”或“农村”，而不是“城里”；母亲银行账号：")
    assert error.summary.count("户口性质") == 1


@pytest.mark.parametrize("changes, column, reason", [
    ({"光荣证发证日期": "1991-03-01"}, "光荣证编号", "必填"),
    ({"母亲银行账号": ""}, "母亲银行账号", "必填"),
    ({"母亲姓名": "王秀兰2"}, "母亲姓名", "姓名只能由汉字、字母、间隔号和空格组成，最多 32 个字"),
    ({"户籍地区划代码": "999999"}, "户籍地区划代码", "地区码 999999 不是已知的 GB/T 2260 行政区划代码"),
    ({"母亲月基础养老金": "188.123元"}, "母亲月基础养老金", None),
    ({"家庭住址": "路" * 201}, "家庭住址", "最多 200 个字"),
    ({"子女姓名": ""}, "子女姓名", "必填"),
    ({"子女是否收养": "也许"}, "子女是否收养", "应为“是”或“否”，而不是“也许”"),
    ({"子女是否收养": "否", "子女收养日期": "1990-06-01"}, "子女收养日期", "“子女是否收养”为“否”，不应填写收养日期"),
])
def test_validation_errors_point_at_the_column(changes, column, reason):
    error = row_error({**family_row(), **changes})
    [(at, said)] = error.pairs
    assert at == column
    assert said == reason or reason is None and "两位小数" in said  # money: the shared parser's own words


def test_first_generation_id_numbers_are_converted():
    father = family_row()["父亲身份证号"]
    family = row_to_family({**family_row(), "父亲身份证号": father[:6] + father[8:17]})
    assert family.father.id_number == father


def test_a_parent_block_is_all_or_nothing():
    row = {**family_row(), "母亲姓名": "", "母亲身份证号": "", "母亲开户银行": "", "母亲银行账号": ""}
    assert row_to_family(row).mother is None
    error = row_error({**row, "母亲电话": "13905331234"})
    assert error.pairs == [("母亲姓名", "必填"), ("母亲身份证号", "必填")]


def test_cells_are_normalised_before_validation():
    row = {**family_row(), "户口性质": "rural", "母亲银行账号": "6222 0000 0000 0000 01",
           "子女身份证号": "", "子女出生日期": "1988年6月1日", "子女是否收养": "Y"}
    family = row_to_family(row)
    assert family.hukou_type == "rural"
    assert family.mother.bank_account.account_number == "622200000000000001"
    assert family.child.birth_date == date(1988, 6, 1) and family.child.adopted
    assert row_error({**row, "子女出生日期": ""}).pairs == [("子女出生日期", "子女没有身份证号时必填")]


def test_disability_columns_become_an_event():
    child_id = family_row()["子女身份证号"]
    row = {**family_row(), "子女死亡日期": "", "残疾证号": child_id + "42", "残疾等级": "二级",
           "残疾证发证日期": "2018-11-02"}
    [event] = row_to_family(row).events
    assert (event.kind, event.category, event.level, event.occurred_on) == (
        "disability_certified", "4", 2, date(2018, 11, 2))
    assert row_error({**row, "残疾等级": "五级"}).column == "残疾等级"
    assert row_error({**row, "残疾类别": "视力"}).pairs == [("残疾类别", "与残疾证号第 19 位（4）不一致")]
    assert row_error({**row, "残疾证发证日期": ""}).pairs == [("残疾证发证日期", "必填")]
    assert row_error({**row, "残疾证号": child_id[:10]}).column == "残疾证号"
    # Category 0 does not exist, and so the category cannot be taken from the number either.
    assert row_error({**row, "残疾证号": child_id + "02"}).pairs == [
        ("残疾证号", "第 19 位不是有效的残疾类别"), ("残疾类别", "必填")]


# --- rejected rows ---------------------------------------------------------------------

def rejected(rows: list[dict[str, str]]) -> list[tuple[int, dict[str, str], str]]:
    return [(n, row, "母亲身份证号：校验码应为“X”，而不是“3”") for n, row in zip((5, 9), rows)]


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_rejected_rows_csv_reads_back_with_values_and_row_numbers(encoding):
    rows = [family_row(1), {**family_row(2), "家庭住址": "=HYPERLINK(\"http://x\")"}]
    data = rejected_rows_csv(HEADERS, rejected(rows), encoding)
    text, _ = decode_csv(data, None)
    first = next(csv.reader(io.StringIO(text)))
    assert first[:2] == [ROW_NUMBER_HEADER, REASON_HEADER]
    assert "'=HYPERLINK" in text  # written escaped for spreadsheets ...
    source = read_rows(data, "csv")
    assert source.headers == HEADERS
    assert [row for _, row in source] == rows  # ... and read back as the clerk typed it
    assert [line.split(",")[0] for line in text.splitlines()[1:]] == ["5", "9"]


def test_rejected_rows_xlsx_reads_back_and_holds_no_formulas():
    rows = [family_row(1), {**family_row(2), "家庭住址": "@SUM(A1:A9)", "外部编号": "-1+2"}]
    data = rejected_rows_xlsx(HEADERS, rejected(rows))
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert [c.value for c in sheet["A"]] == [ROW_NUMBER_HEADER, 5, 9]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert sheet.cell(row=3, column=2 + HEADERS.index("家庭住址") + 1).value == "'@SUM(A1:A9)"
    source = read_rows(data, detect_format("rejected.xlsx", None, data))
    assert source.headers == HEADERS
    assert [row for _, row in source] == rows


@pytest.mark.parametrize("value, escaped", [
    ("=1+1", "'=1+1"), ("+86", "'+86"), ("-5", "'-5"), ("@A1", "'@A1"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("王秀兰", "王秀兰"), ("", ""), ("1=1", "1=1"),
])
def test_formula_injection_escaping(value, escaped):
    assert escape_cell(value) == escaped
