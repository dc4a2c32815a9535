"""Evaluate a family: facts in, entitlements with citations and reasons out."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from tefu_common.auth import Principal
from tefu_common.errors import Forbidden, ValidationFailed, pydantic_field_error
from tefu_common.i18n import Text
from tefu_common.scoping import covers
from tefu_eligibility.catalogue.amounts import LOCAL, NATIONAL_MINIMUM, UNKNOWN
from tefu_eligibility.catalogue.catalogue import Catalogue, CompiledRule, Layer, RuleSet
from tefu_eligibility.evaluation.engine import Grant, Outcome, evaluate_household, explain
from tefu_eligibility.evaluation.facts import EARLIEST, EvaluateRequest, check_facts, to_household, too_early
from tefu_eligibility.household import Household, to_date
from tefu_eligibility.registry import RegistryClient


def evaluate_sent_facts(catalogue: Catalogue, body: EvaluateRequest, caller: Principal) -> dict[str, Any]:
    """``POST /v1/evaluate``: facts a caller sent, for a family of the caller's region."""
    check_facts(body)  # a bad region code is a 422 before it can be a 403
    region = body.family.region_code
    if not covers(caller, region):
        raise Forbidden(Text(f"家庭所在地 {region} 不在你的辖区 {caller.region} 之内",
                             f"the family's region {region} is outside your region {caller.region}"),
                        code="region-outside-scope")
    return evaluate(catalogue, body, checked=True)


async def evaluate_registered_family(catalogue: Catalogue, registry: RegistryClient, family_id: int, as_of: date,
                                     *, on_the_day: bool) -> dict[str, Any]:
    """``GET /v1/families/{id}/evaluation``: the registry's facts of the family (read with the
    caller's token, so the registry scopes and logs the read), evaluated on ``as_of``."""
    if as_of < EARLIEST:
        raise too_early(as_of).at("as_of", location="query")
    document = await registry.family_facts(family_id, as_of)
    document["on_the_day"] = on_the_day
    try:
        request = EvaluateRequest.model_validate(document)
    except ValidationError as exc:
        # The register holds facts the rules cannot read: name them, under `facts.`, to be fixed there.
        raise ValidationFailed([pydantic_field_error(error, location="facts") for error in exc.errors()]) from None
    check_facts(request, location="facts")
    return evaluate(catalogue, request, checked=True)


def evaluate(catalogue: Catalogue, request: EvaluateRequest, *, checked: bool = False) -> dict[str, Any]:
    if not checked:
        check_facts(request)
    household = to_household(request)
    rules = catalogue.rule_set(household.region_code)
    as_of_day = request.as_of.toordinal()
    benefits, not_eligible = [], []
    drafts: dict[str, None] = {layer.file.document.number: None for layer in rules.layers
                               if layer.draft and layer.file.special_family and layer.start <= as_of_day <= layer.end}
    for outcome in evaluate_household(rules, household, request.as_of, on_the_day=request.on_the_day):
        if outcome.grants:
            benefit = _benefit(rules, household, outcome)
            benefits.append(benefit)
            drafts.update(dict.fromkeys(benefit["drafts"]))
        else:
            rule = outcome.benefit.versions[0].rule
            not_eligible.append({"code": rule.code, "name": rule.name, "reasons": [r.as_dict() for r in outcome.reasons]})
    return {
        "family_id": request.family_id,
        "as_of": request.as_of,
        "region_code": household.region_code,
        "rule_region": rules.region,
        "catalogue_version": catalogue.version,
        "drafts": list(drafts),
        "special_family": rules.special_family.holds(household, None, as_of_day),
        "special_family_reasons": [r.as_dict() for r in explain(rules.special_family, household, None, as_of_day)],
        "benefits": benefits,
        "not_eligible": not_eligible,
    }


def benefit_name(version: CompiledRule, household: Household) -> str:
    names = version.rule.names_by_hukou
    return names["urban" if household.urban else "rural"] if names else version.rule.name


def _benefit(rules: RuleSet, household: Household, outcome: Outcome) -> dict[str, Any]:
    version = outcome.grants[0].version
    rule = version.rule
    amounts = {grant.amount for grant in outcome.grants}
    known = [grant.amount for grant in outcome.grants if grant.amount is not None]
    total = sum(known, Decimal("0.00")) if len(known) == len(outcome.grants) else None
    recipient = outcome.grants[0]
    status, reason, floor = _status(outcome.grants)
    source = recipient.priced.resolved if recipient.priced else None
    documents = [version.layer] + ([source.layer] if source is not None and source.layer is not None else [])
    return {
        "code": rule.code,
        "name": benefit_name(version, household),
        "kind": rule.kind.value,
        "frequency": rule.frequency.value,
        "basis": rule.basis.value,
        "amount": amounts.pop() if len(amounts) == 1 else None,
        "amount_status": status,
        "amount_reason": reason,
        "amount_floor": floor,
        "recipients": [grant.role for grant in outcome.grants],
        "recipient_details": [
            {"role": g.role, "member_id": g.member_id, "amount": g.amount,
             "amount_status": g.priced.status if g.priced else None, "eligible_from": to_date(g.first_day)}
            for g in outcome.grants
        ],
        "period": outcome.period.label if outcome.period else None,
        "total": total,
        "due_on": outcome.due_on,
        "max_days": _max_days(version),
        "services": list(rule.services),
        "citation": version.citation,
        "amount_source": _amount_source(version, source),
        "rule_id": version.rule_id,
        "provenance": _provenance(version),
        "drafts": list(dict.fromkeys(l.file.document.number for l in documents if l.draft)),
        "to_verify": list(rule.to_verify),
        "reasons": [r.as_dict() for r in explain(version.condition, household, None if recipient.role == "household" else
                                                 _person(household, recipient.role), recipient.first_day)],
    }


def _person(household: Household, role: str):  # type: ignore[no-untyped-def]
    return {"mother": household.mother, "father": household.father, "child": household.child}[role]


def _max_days(version: CompiledRule) -> int | None:
    for _, formula in version.amount_cases:
        if formula.max_days is not None:
            return formula.max_days
    return None


def _amount_source(version: CompiledRule, source: Any) -> dict[str, Any] | None:
    """The file and clause the amount's value comes from, when it is not the rule's own clause."""
    if source is None or source.layer is None or source.source is None:
        return None
    value = source.source
    if source.layer is version.layer and value.clause in (None, version.rule.clause) and not value.source:
        return None
    return source.citation()


# The status shown for a benefit whose recipients' amounts differ in status: the least certain.
_CERTAINTY = {LOCAL: 0, NATIONAL_MINIMUM: 1, UNKNOWN: 2}


def _status(grants: list[Grant]) -> tuple[str | None, str | None, Decimal | None]:
    priced = [g.priced for g in grants if g.priced is not None]
    if not priced:
        return None, None, None
    worst = max(priced, key=lambda p: _CERTAINTY[p.status])
    return worst.status, worst.reason, worst.floor


def _provenance(version: CompiledRule) -> dict[str, Any]:
    """Where the rule's force comes from: the document itself, or a standing measure it restates."""
    standing = version.rule.standing
    layer: Layer = version.layer
    if standing is None:
        return {"standing": False, "in_force_from": to_date(version.start), "since_unknown": False,
                "source": None, "quote": None}
    return {"standing": True, "in_force_from": to_date(version.start), "since_unknown": version.since_unknown,
            "source": standing.source, "quote": standing.quote, "restated_by": layer.file.document.number}
