"""Views of the catalogue: the files as loaded, and the rule set of a region on a date."""

from __future__ import annotations

from datetime import date
from typing import Any

from tefu_common.regions import region_table
from tefu_eligibility.catalogue.catalogue import Catalogue, CompiledRule, Layer, RuleSet
from tefu_eligibility.household import to_date


def document_view(layer: Layer) -> dict[str, Any]:
    document = layer.file.document
    return {
        "file": f"{layer.name}.yaml",
        "region_code": layer.region,
        "region_name": layer.file.region_name,
        "document": document.number,
        "title": document.title,
        "issuer": document.issuer,
        "issued_on": document.issued_on,
        "effective_from": document.effective_from,
        "effective_to": document.effective_to,
        "special_family": layer.file.special_family,
        "rules": [rule.code for rule in layer.file.rules],
        "parameters": sorted(layer.file.parameters),
    }


def catalogue_view(catalogue: Catalogue) -> dict[str, Any]:
    return {"documents": [document_view(layer) for layer in catalogue.layers]}


def _version_view(rules: RuleSet, version: CompiledRule, on: int) -> dict[str, Any]:
    rule = version.rule
    amounts = []
    for condition, formula in version.amount_cases:
        names = formula.parameter_names
        value = rules.parameter(names[0], on) if names else None
        amounts.append({
            "when": condition.to_data() if getattr(condition, "parts", None) != [] else None,
            "formula": formula.model_dump(exclude_none=True, by_alias=True, mode="json"),
            "value_on_date": value[0] if value else None,
            "value_from": _value_from(value),
        })
    return {
        "code": rule.code,
        "name": rule.name,
        "names_by_hukou": rule.names_by_hukou,
        "kind": rule.kind.value,
        "basis": rule.basis.value,
        "frequency": rule.frequency.value,
        "recipients": rule.recipients,
        "trigger": rule.trigger.value if rule.trigger else None,
        "conditions": rule.conditions,
        "amount": amounts or None,
        "effective_from": to_date(version.start),
        "effective_to": to_date(version.end),
        "citation": version.citation,
        "rule_id": version.rule_id,
        "note": rule.note,
    }


def _value_from(found: Any) -> dict[str, Any] | None:
    if not found:
        return None
    _, layer, value = found
    citation = layer.citation(value.clause)
    if value.source:
        citation.update(document=value.source, title=None, issuer=None, clause=None)
    return citation


def rule_set_view(catalogue: Catalogue, region_code: str, as_of: date) -> dict[str, Any]:
    rules = catalogue.rule_set(region_code)
    on = as_of.toordinal()
    in_force, overridden = [], []
    for code in sorted(rules.benefits):
        benefit = rules.benefits[code]
        applies = benefit.version_on(on)
        for version in benefit.versions:
            if version is applies:
                in_force.append(_version_view(rules, version, on))
            elif version.in_force(on):
                overridden.append({"rule_id": version.rule_id, "by": applies.rule_id if applies else None})
    return {
        "region_code": region_code,
        "region_name": region_table().full_name(region_code) if len(region_code) == 6 else None,
        "as_of": as_of,
        "layers": [document_view(layer) | {"in_force": layer.start <= on <= layer.end} for layer in rules.layers],
        "special_family": rules.special_family.to_data(),
        "rules": in_force,
        "overridden": overridden,
    }
