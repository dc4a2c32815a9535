"""The catalogue's health on a day: what a policy officer must configure or check, per region.

A family loses money silently where the catalogue does not know: a local document lapsed with no
successor, an amount only known as the national floor, a draft applied as if adopted. This report
lists each such place for every region of the catalogue at or below the one asked about (and the
levels above it, whose gaps it inherits), so that an admin can set the missing values as overlays.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tefu_common.regions import COUNTRY_CODE, region_contains, region_table
from tefu_eligibility.catalogue.amounts import LOCAL, NATIONAL_MINIMUM, UNKNOWN, window
from tefu_eligibility.catalogue.catalogue import Catalogue, Layer, RuleSet
from tefu_eligibility.catalogue.schema import Kind
from tefu_eligibility.household import to_date

KINDS = {
    "lapsed_document": "已失效且未配置后续规定的文件",
    "amount_unknown": "金额未知（未配置）",
    "national_minimum": "只知全国最低标准（本地标准未配置）",
    "optional_not_set": "可选待遇，本地未设置标准（不发放）",
    "draft_in_use": "正在适用的征求意见稿",
    "no_amount": "没有金额公式的现金待遇",
    "value_without_source": "未注明出处的参数值",
}


def catalogue_health(catalogue: Catalogue, region: str, on: date) -> dict[str, Any]:
    day_number = on.toordinal()
    regions = [r for r in catalogue.regions if region_contains(r, region) or region_contains(region, r)]
    report = []
    for code in regions:
        rules = catalogue.rule_set(code)
        if rules.region != code:
            continue
        items = _items(rules, day_number)
        report.append({"region_code": code, "region_name": _name(code), "items": items})
    return {"region": region, "on": on, "catalogue_version": catalogue.version, "regions": report}


def _items(rules: RuleSet, day_number: int) -> list[dict[str, Any]]:
    own = [layer for layer in rules.layers if layer.region == rules.region]
    items: list[dict[str, Any]] = []
    for layer in own:
        if layer.overlay:
            continue
        if layer.end < day_number:
            missing = _without_successor(rules, layer, day_number)
            if missing:
                benefits = sum(1 for m in missing if m.startswith("待遇"))
                items.append(_item("lapsed_document", layer, text=(
                    f"{layer.file.document.number}已于{to_date(layer.end)}失效，未配置后续规定："
                    f"{benefits} 项待遇不再有规定，{len(missing) - benefits} 个参数的标准未知（见 without_successor）"),
                    without_successor=missing))
        elif layer.draft and layer.start <= day_number:
            items.append(_item("draft_in_use", layer, text=f"{layer.file.document.number}是征求意见稿，仍按其规定计算"))
        for name, parameter in layer.file.parameters.items():
            for value in parameter.values:
                if not value.clause and not value.source:
                    items.append(_item("value_without_source", layer, parameter=name, text=(
                        f"参数 {name} 的取值 {value.value}（自{value.start or value.known_from or '文件施行之日'}）未注明条款或出处")))
    seen: set[str] = set()
    for code in sorted(rules.benefits):
        version = rules.benefits[code].version_on(day_number)
        if version is None or version.layer.region != rules.region and not _gap_here(rules, version, day_number):
            continue
        rule = version.rule
        if rule.kind is Kind.cash and not version.amount_cases:
            items.append(_item("no_amount", version.layer, rules=[code], text=f"{rule.name}：{rule.amount_basis}"))
        for _, formula in version.amount_cases:
            for name in formula.parameter_names:
                if name in seen:
                    continue
                seen.add(name)
                found = rules.resolved(name, day_number)
                if found.status == LOCAL:
                    continue
                kind = "national_minimum" if found.status == NATIONAL_MINIMUM else (
                    "optional_not_set" if rule.optional else "amount_unknown")
                if kind == "national_minimum" and rules.region == COUNTRY_CODE:
                    continue  # the national file's own values are the floor by definition
                users = sorted(c for c, b in rules.benefits.items() if (v := b.version_on(day_number)) is not None
                               and any(name in f.parameter_names for _, f in v.amount_cases))
                items.append(_item(kind, found.layer or version.layer, parameter=name, rules=users,
                                   text=f"{name}：{found.reason}", value=found.value, floor=found.floor))
    return items


def _gap_here(rules: RuleSet, version: Any, day_number: int) -> bool:
    """A rule of a level above whose amount this region decides (its own layer defines the parameter)."""
    own = {name for layer in rules.layers if layer.region == rules.region for name in layer.file.parameters}
    return any(name in own for _, f in version.amount_cases for name in f.parameter_names)


def _without_successor(rules: RuleSet, layer: Layer, day_number: int) -> list[str]:
    """What the lapsed layer set that nothing configured replaces on the day."""
    missing = []
    for rule in layer.file.rules:
        current = rules.benefits[rule.code].version_on(day_number)
        if current is None:
            missing.append(f"待遇 {rule.code}（{rule.name}）")
    for name, parameter in layer.file.parameters.items():
        _, end = window(layer, parameter)
        if end < day_number and parameter.values and rules.resolved(name, day_number).status == UNKNOWN:
            missing.append(f"参数 {name}")
    return missing


def _item(kind: str, layer: Layer, *, text: str, **extra: Any) -> dict[str, Any]:
    item = {"kind": kind, "title": KINDS[kind], "document": layer.file.document.number,
            "file": None if layer.overlay else f"{layer.name}.yaml", "text": text,
            "parameter": None, "rules": [], "value": None, "floor": None, "without_successor": []}
    item.update(extra)
    return item


def _name(code: str) -> str | None:
    try:
        return region_table().full_name(code) if code != "000000" else "全国"
    except Exception:  # a code outside the division table (an overlay's region is validated on entry)
        return None
