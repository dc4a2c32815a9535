import csv
from importlib import resources

import pytest
from pydantic import BaseModel, ValidationError

from tefu_common.regions import (
    COUNTRY_CODE,
    Region,
    RegionCodeStr,
    RegionTable,
    covering_region,
    region_contains,
    region_level,
    region_prefix,
    region_table,
)


@pytest.fixture(scope="module")
def table() -> RegionTable:
    return region_table()


# -- the shipped data -----------------------------------------------------------------------


def test_table_is_loaded_once():
    assert region_table() is region_table() is RegionTable.default()


def test_csv_shape():
    text = resources.files("tefu_common.regions").joinpath("data", "gb2260.csv").read_text("utf-8")
    rows = list(csv.reader(text.splitlines()))
    assert rows[0] == ["code", "name", "valid_from_year", "valid_to_year"]
    body = rows[1:]
    assert len(body) > 7000
    assert body == sorted(body, key=lambda r: (r[0], int(r[2] or 0), int(r[3] or 9999), r[1]))
    for code, name, start, end in body:
        assert len(code) == 6 and code.isdigit() and name
        assert start == "" or 1980 <= int(start) <= 2100
        assert end == "" or 1980 <= int(end) <= 2100


def test_provinces(table):
    assert table.name("420000") == "湖北省"
    assert table.name("430000") == "湖南省"
    provinces = table.children(COUNTRY_CODE)
    assert len(provinces) == 34  # 23 provinces, 5 autonomous regions, 4 municipalities, HK, MO
    assert all(p.level == "province" for p in provinces)


# -- lookups --------------------------------------------------------------------------------


def test_county_chain(table):
    chain = table.chain("370306")
    assert [r.name for r in chain] == ["山东省", "淄博市", "周村区"]
    assert [r.code for r in chain] == ["370000", "370300", "370306"]
    assert table.full_name("370306") == "山东省淄博市周村区"


def test_parents(table):
    assert table.parent("370306") == "370300"
    assert table.parent("370300") == "370000"
    assert table.parent("370000") is None
    assert table.parent(COUNTRY_CODE) is None


def test_municipality_district(table):
    region = table.get("310114")
    assert region == Region("310114", "嘉定区", 1992, None)
    assert region.current
    assert table.parent("310114") == "310100"  # 市辖区
    assert [r.name for r in table.chain("310114")] == ["上海市", "市辖区", "嘉定区"]
    assert table.full_name("310114") == "上海市嘉定区"


def test_county_without_city_row_goes_to_province():
    small = RegionTable([Region("990000", "测试省", None, None), Region("990102", "测试县", None, None)])
    assert small.parent("990102") == "990000"
    assert [r.code for r in small.chain("990102")] == ["990000", "990102"]


def test_children(table):
    codes = [r.code for r in table.children("440600")]
    assert {"440604", "440605", "440606", "440607", "440608"} <= set(codes)
    assert "440603" not in codes  # 石湾区, retired 2002
    assert "440603" in [r.code for r in table.children("440600", ever=True)]
    assert codes == sorted(codes)


def test_retired_code(table):
    assert table.exists("110103")
    assert not table.exists("110103", ever=False)
    assert not table.is_current("110103")
    region = table.get("110103")
    assert region.name == "崇文区" and region.valid_to_year == 2009 and not region.current


def test_renamed_code_reports_latest_name_and_keeps_history(table):
    assert table.name("130503") == "信都区"
    assert [(r.name, r.valid_from_year, r.valid_to_year) for r in table.periods("130503")] == [
        ("桥西区", 1983, 2019),
        ("信都区", 2020, None),
    ]


def test_unknown_and_malformed_codes(table):
    assert table.get("999999") is None
    assert not table.exists("999999")
    assert not table.exists("abc")
    assert not table.exists(COUNTRY_CODE)
    assert table.chain("999999") == []
    assert table.full_name("999999") is None


def test_township_and_village_codes(table):
    assert table.exists("370306001")
    assert table.is_current("370306001002")
    assert not table.exists("999999001")
    assert table.get("370306001") is None
    assert table.parent("370306001002") == "370306001"
    assert table.parent("370306001") == "370306"
    assert [r.code for r in table.chain("370306001")] == ["370000", "370300", "370306"]


# -- levels and scoping ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "code, level",
    [
        ("000000", "country"),
        ("370000", "province"),
        ("370300", "city"),
        ("370306", "county"),
        ("370306001", "township"),
        ("370306001002", "village"),
    ],
)
def test_levels(code, level):
    assert region_level(code) == level


@pytest.mark.parametrize("bad", ["", "37030", "3703060", "37030600100", "37O306", "３７０３０６"])
def test_malformed_level(bad):
    with pytest.raises(ValueError):
        region_level(bad)


@pytest.mark.parametrize(
    "code, prefix",
    [
        ("000000", ""),
        ("370000", "37"),
        ("370300", "3703"),
        ("370306", "370306"),
        ("370306001", "370306001"),
        ("370306001002", "370306001002"),
    ],
)
def test_region_prefix(code, prefix):
    assert region_prefix(code) == prefix


@pytest.mark.parametrize(
    "scope, code, covered",
    [
        ("370000", "370306", True),
        ("370300", "370306", True),
        ("370306", "370306", True),
        ("370306", "370302", False),
        ("370306", "370306001", True),
        ("370306001", "370306002", False),
        ("370300", "370000", False),
        ("370000", "310114", False),
        ("000000", "370306", True),
        ("000000", "310114001002", True),
        ("000000", "000000", True),
        ("370000", "000000", False),
    ],
)
def test_region_contains(scope, code, covered):
    assert region_contains(scope, code) is covered


def test_region_contains_rejects_malformed():
    with pytest.raises(ValueError):
        region_contains("370000", "37")


# -- pydantic -------------------------------------------------------------------------------


class Scoped(BaseModel):
    region_code: RegionCodeStr


@pytest.mark.parametrize("code", ["000000", "370306", "110103", "370306001", "370306001002", " 310114 "])
def test_region_code_str_accepts(code):
    assert Scoped(region_code=code).region_code == code.strip()


@pytest.mark.parametrize(
    "code, message",
    [
        ("999999", "not a known GB/T 2260"),
        ("999999001", "not a known GB/T 2260"),
        ("37030", "6, 9 or 12 digits"),
        ("37030600", "6, 9 or 12 digits"),
        ("abcdef", "6, 9 or 12 digits"),
    ],
)
def test_region_code_str_rejects(code, message):
    with pytest.raises(ValidationError) as info:
        Scoped(region_code=code)
    assert message in info.value.errors()[0]["msg"]


def test_the_smallest_region_covering_codes():
    assert covering_region(["370306001", "370306002"]) == "370306"
    assert covering_region(["370306001001", "370306001002"]) == "370306001"
    assert covering_region(["370306001", "370302"]) == "370300"
    assert covering_region(["370306", "371102"]) == "370000"
    assert covering_region(["370306", "420102"]) == COUNTRY_CODE
    assert covering_region(["420102"]) == "420102"
    assert covering_region(["370300", "370306"]) == "370300"  # a city covers its own counties
    assert covering_region([]) == COUNTRY_CODE
