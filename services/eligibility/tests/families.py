"""Facts of test families, built the way the registry sends them, and a shortcut to evaluate them."""

from __future__ import annotations

import copy
from typing import Any

from tefu_eligibility.catalogue.catalogue import Catalogue, default_catalogue
from tefu_eligibility.evaluation.facts import EvaluateRequest
from tefu_eligibility.evaluation.service import evaluate


def family(
    region: str = "370306",
    *,
    hukou: str = "rural",
    mother_born: str | None = "1965-03-02",
    father_born: str | None = "1963-07-09",
    mother_died: str | None = None,
    father_died: str | None = None,
    child_status: str = "deceased",
    event_date: str | None = "2019-03-10",
    level: int | None = None,
    recovered_on: str | None = None,
    child_born: str = "1990-05-01",
    adopted_on: str | None = None,
    later: list[dict[str, Any]] | None = None,
    honor: bool = True,
    assistance: bool = False,
    low_income: bool = False,
    extreme_poverty: bool = False,
    pension: dict[str, str] | None = None,
    history: list[tuple] | None = None,
    marriage: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``history``: the child's entries as (kind, on[, level]) tuples; the single status is then
    the one the history implies, as the registry sends it."""
    parents = []
    if mother_born is not None:
        parents.append({"id": 1, "role": "mother", "birth_date": mother_born, "death_date": mother_died})
    if father_born is not None:
        parents.append({"id": 2, "role": "father", "birth_date": father_born, "death_date": father_died})
    for parent in parents:
        if pension and parent["role"] in pension:
            parent["in_resident_pension"] = True
            parent["monthly_basic_pension"] = pension[parent["role"]]
    if child_status == "disabled" and level is None:
        level = 2
    facts = {
        "region_code": region, "hukou_type": hukou, "honor_certificate": honor,
        "assistance_certificate": assistance, "low_income": low_income, "extreme_poverty": extreme_poverty,
        "parents": parents,
        "child": {"id": 3, "birth_date": child_born, "adopted": adopted_on is not None, "adopted_on": adopted_on,
                  "status": child_status, "event_date": event_date if child_status != "living" else None,
                  "disability_level": level if child_status == "disabled" else None, "recovered_on": recovered_on},
        "later_children": later or [],
    }
    if history is not None:
        entries = [{"kind": e[0], "on": e[1], "level": e[2] if len(e) > 2 else None,
                    "certificate": "4" if e[0] == "disabled" else None} for e in history]
        died = next((e["on"] for e in entries if e["kind"] == "died"), None)
        certified = next((e["on"] for e in entries if e["kind"] == "disabled"), None)
        levels = [e["level"] for e in entries if e["level"] is not None]
        facts["child"].update(history=entries, status="deceased" if died else "disabled" if certified else "living",
                              event_date=died or certified, disability_level=levels[-1] if levels else None,
                              recovered_on=None)
    if marriage is not None:
        facts["marriage"] = marriage
    return facts


def run(facts: dict[str, Any], as_of: str, catalogue: Catalogue | None = None, *, on_the_day: bool = False) -> dict[str, Any]:
    request = EvaluateRequest.model_validate({"as_of": as_of, "family": copy.deepcopy(facts), "family_id": 99,
                                              "on_the_day": on_the_day})
    return evaluate(catalogue or default_catalogue(), request)


def benefit(result: dict[str, Any], code: str) -> dict[str, Any] | None:
    return next((b for b in result["benefits"] if b["code"] == code), None)


def amount(result: dict[str, Any], code: str) -> str | None:
    found = benefit(result, code)
    assert found is not None, f"{code} not due: {[n for n in result['not_eligible'] if n['code'] == code]}"
    return None if found["amount"] is None else f"{found['amount']:.2f}"


def refused(result: dict[str, Any], code: str) -> list[str]:
    """The failed conditions of a benefit that is not due (fails if it is due)."""
    assert benefit(result, code) is None, f"{code} is due but should not be"
    entry = next(n for n in result["not_eligible"] if n["code"] == code)
    return [r["condition"] for r in entry["reasons"]]
