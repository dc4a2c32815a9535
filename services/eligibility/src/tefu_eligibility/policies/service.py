"""Views of the catalogue: the files as loaded, and the rule set of a region on a date."""

from __future__ import annotations

from datetime import date
from typing import Any

from tefu_common.errors import FieldError, Invalid, ValidationFailed
from tefu_common.paging import PageRequest, page_of
from tefu_common.regions import region_level, region_table, validate_region_code
from tefu_eligibility.catalogue.catalogue import Catalogue, CompiledRule, Layer, RuleSet
from tefu_eligibility.evaluation.facts import EARLIEST, too_early
from tefu_eligibility.household import to_date


def document_view(layer: Layer) -> dict[str, Any]:
    document = layer.file.document
    return {
        "file": f"{layer.name}.yaml",
        "region_code": layer.region,
        "region_name": layer.file.region_name,
        "document": document.number,
        "status": document.status.value,
        "title": document.title,
        "issuer": document.issuer,
        "issued_on": document.issued_on,
        "effective_from": document.effective_from,
        "effective_to": document.effective_to,
        "special_family": layer.file.special_family,
        "rules": [rule.code for rule in layer.file.rules],
        "parameters": sorted(layer.file.parameters),
    }


def documents_page(catalogue: Catalogue, page: PageRequest) -> dict[str, Any]:
    """A page of the rule files, in the catalogue's order: the nation first, then by level and region."""
    layers, next_cursor = page_of(catalogue.layers, key=lambda l: (l.level, l.region, l.start, l.name), page=page)
    return {"items": [document_view(layer) for layer in layers], "next_cursor": next_cursor}


def _version_view(rules: RuleSet, version: CompiledRule, on: int) -> dict[str, Any]:
    rule = version.rule
    amounts = []
    for condition, formula in version.amount_cases:
        names = formula.parameter_names
        found = rules.resolved(names[0], on) if names else None
        amounts.append({
            "when": condition.to_data() if getattr(condition, "parts", None) != [] else None,
            "formula": formula.model_dump(exclude_none=True, by_alias=True, mode="json"),
            "value_on_date": found.value if found else None,
            "amount_status": found.status if found else None,
            "amount_reason": found.reason if found else None,
            "value_from": found.citation() if found and found.source is not None else None,
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
        "standing": rule.standing.model_dump(mode="json") if rule.standing else None,
        "optional": rule.optional,
        "to_verify": list(rule.to_verify),
        "draft": version.layer.draft,
        "note": rule.note,
    }


def check_region_request(region_code: str, as_of: date, *, field: str = "region_code", location: str = "path",
                         date_field: str = "as_of") -> None:
    """422 naming each of a bad region code (a 6-digit GB/T 2260 code, or 000000) and a date before 1950."""
    errors: list[FieldError] = []
    try:
        validate_region_code(region_code)
        if region_level(region_code) in ("township", "village"):
            raise Invalid("region-code-county", f"请给出 6 位的行政区划代码，而不是“{region_code}”",
                          f"give a 6-digit division code, not {region_code!r}")
    except Invalid as problem:
        errors.append(problem.error(field, location=location))
    if as_of < EARLIEST:
        errors.append(too_early(as_of).error(date_field, location="query"))
    if errors:
        raise ValidationFailed(errors)


def rule_set_view(catalogue: Catalogue, region_code: str, as_of: date) -> dict[str, Any]:
    check_region_request(region_code, as_of)
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
