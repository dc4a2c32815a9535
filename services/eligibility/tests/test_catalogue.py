"""Loading the catalogue: every file validated at start-up, layers by region."""

from __future__ import annotations

from pathlib import Path

import pytest

from tefu_eligibility.catalogue.catalogue import Catalogue, default_catalogue
from tefu_eligibility.catalogue.errors import CatalogueError

FILES = Path(__file__).resolve().parents[1] / "src" / "tefu_eligibility" / "catalogue" / "files"


def test_the_packaged_catalogue_holds_the_five_documents_and_the_national_base():
    catalogue = default_catalogue()
    numbers = {layer.file.document.number for layer in catalogue.layers}
    assert {"国人口发〔2007〕78号", "湘政办发〔2023〕36号", "周政发〔2018〕85号", "嘉卫人口〔2023〕2号",
            "鄂卫生计生通〔2016〕89号"} <= numbers
    assert any(number.startswith("佛山市计划生育特殊家庭精准扶助实施方案") for number in numbers)
    for layer in catalogue.layers:
        for rule in layer.file.rules:
            assert rule.clause, f"{layer.name}: {rule.code} has no clause"


def test_layers_run_from_the_nation_down():
    catalogue = default_catalogue()
    assert [layer.region for layer in catalogue.rule_set("310114").layers] == ["000000", "310000", "310114"]
    assert [layer.region for layer in catalogue.rule_set("310114001").layers] == ["000000", "310000", "310114"]
    assert [layer.region for layer in catalogue.rule_set("440605").layers] == ["000000", "440600"]
    assert [layer.region for layer in catalogue.rule_set("370302").layers] == ["000000"]


def _catalogue_with(tmp_path: Path, name: str, text: str) -> Catalogue:
    for path in FILES.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / name).write_text(text, encoding="utf-8")
    return Catalogue.load(tmp_path)


HEADER = 'region: "420102"\nregion_name: 江岸区\ndocument: {number: 测试〔2024〕1号, title: 测试, issuer: 测试}\n'
RULE = ("rules:\n  - {code: %s, name: 测试, kind: cash, basis: person, frequency: monthly, recipients: [mother],"
        " conditions: %s, clause: 一, amount_basis: 测试%s}\n")


@pytest.mark.parametrize(
    ("text", "code", "message", "chinese"),
    [
        (HEADER + RULE % ("x_benefit", "{age_over: 3}", ""), "condition-unknown", "unknown condition 'age_over'",
         "不认识的条件 'age_over'"),
        (HEADER + RULE % ("x_benefit", "{ref: nowhere}", ""), "condition-not-defined",
         "condition 'nowhere' is not defined", "没有定义条件 'nowhere'"),
        (HEADER + RULE % ("x_benefit", "{child_disabled_at_level: 7}", ""), "condition-disability-level", "1 to 4",
         "1 至 4"),
        (HEADER + RULE % ("x_benefit", "{ref: special_family}", ", amount: {parameter: missing.one}"),
         "parameter-not-defined", "parameter 'missing.one' is not defined", "没有定义参数 'missing.one'"),
        (HEADER + "parameters:\n  x.amount: {description: d, unit: yuan, values: [{value: 1.5}]}\n",
         "amount-not-a-string", "quoted strings", "带引号的文字"),
        (HEADER + RULE % ("x_benefit", "{ref: special_family}", ", trigger: child_death"), "rule-trigger",
         "once-only benefits need a trigger", "一次性待遇须写明触发事件"),
        ('region: "999999"\nregion_name: x\ndocument: {number: a, title: b, issuer: c}\n', "region-code-unknown",
         "999999", "999999"),
    ],
)
def test_a_broken_file_stops_the_load_naming_the_file_and_the_fault(tmp_path, text, code, message, chinese):
    with pytest.raises(CatalogueError) as failure:
        _catalogue_with(tmp_path, "420102-test.yaml", text)
    fault = failure.value
    assert fault.code == code
    english, zh = fault.render("en"), fault.render("zh")
    assert "420102-test.yaml" in english and message in english
    assert "420102-test.yaml" in zh and chinese in zh
    assert str(fault) == f"{english}\n{zh}"


def test_two_versions_of_a_benefit_may_not_overlap_in_one_region(tmp_path):
    rule = RULE % ("special_assistance", "{ref: special_assistance_recipient}", "")
    (tmp_path / "x").mkdir()
    for path in FILES.glob("*.yaml"):
        (tmp_path / "x" / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "x" / "420102-a.yaml").write_text(HEADER + rule, encoding="utf-8")
    (tmp_path / "x" / "420102-b.yaml").write_text(HEADER.replace("1号", "2号") + rule, encoding="utf-8")
    with pytest.raises(CatalogueError, match="overlaps") as failure:
        Catalogue.load(tmp_path / "x")
    assert failure.value.code == "rule-versions-overlap"
