"""The two evaluators of one catalogue agree: explaining (one family) and bulk (numpy, a batch).

Random families across every jurisdiction of the catalogue, evaluated month by month both ways,
must give the same (family, recipient, benefit, amount, due date) lines. Most children have a
history (certified, level changes to level 4 and back, recoveries, certified again, died after a
disability), the rest only the single status older callers send; parents divorce and remarry,
and a later child can be one parent's own.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import orjson
import pytest

from tefu_eligibility.catalogue.catalogue import default_catalogue
from tefu_eligibility.catalogue.schema import Frequency
from tefu_eligibility.entitlements.service import Counts, batch_lines, bulk_codes
from tefu_eligibility.evaluation.engine import evaluate_household
from tefu_eligibility.evaluation.facts import EvaluateRequest, check_facts, to_household
from tefu_eligibility.household import to_date
from tefu_eligibility.periods import month_period

REGIONS = ["370306", "310114", "440604", "440608", "420102", "430102", "370302", "110101"]


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def random_family(rng: random.Random, family_id: int) -> dict:
    mother_born = _day(rng, date(1932, 6, 1), date(1985, 12, 31))
    if rng.random() < 0.05:
        mother_born = date(rng.choice([1964, 1968, 1972]), 2, 29)
    father_born = mother_born + timedelta(days=rng.randint(-3000, 1500))
    child_born = mother_born + timedelta(days=rng.randint(7000, 12000))
    status = rng.choice(["deceased", "deceased", "disabled", "living"])
    event = _day(rng, child_born + timedelta(days=1), date(2024, 6, 30)) if status != "living" else None
    parents = []
    for member_id, role, born in ((family_id * 10 + 1, "mother", mother_born), (family_id * 10 + 2, "father", father_born)):
        if rng.random() < 0.1:
            continue  # divorced or never recorded
        died = _day(rng, date(2012, 1, 1), date(2025, 6, 30)) if rng.random() < 0.2 else None
        in_pension = rng.random() < 0.6
        parents.append({"id": member_id, "role": role, "birth_date": born.isoformat(),
                        "death_date": died.isoformat() if died and died > born else None,
                        "in_resident_pension": in_pension,
                        "monthly_basic_pension": f"{rng.randint(80, 400)}.{rng.randint(0, 99):02d}" if in_pension and rng.random() < 0.9 else None})
    adopted = rng.random() < 0.1
    adopted_on = child_born + timedelta(days=rng.randint(30, 4000)) if adopted else None
    joined = adopted_on or child_born
    later = []
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
        # A later child of the couple, or of one parent alone (with a new spouse).
        parent = rng.choice([None, None, *[p["role"] for p in parents]])
        later.append({"kind": rng.choice(["birth", "adoption"]), "date": _day(rng, joined + timedelta(days=400), date(2025, 1, 31)).isoformat(),
                      "assisted_reproduction": rng.random() < 0.5, "parent": parent})
    level = rng.randint(1, 4) if status == "disabled" else None
    recovered = None
    if status == "disabled" and rng.random() < 0.15:
        recovered = _day(rng, event, date(2025, 1, 1)).isoformat()
    child = {"id": family_id * 10 + 3, "birth_date": child_born.isoformat(), "adopted": adopted,
             "adopted_on": adopted_on.isoformat() if adopted_on else None,
             "status": status, "event_date": event.isoformat() if event else None,
             "disability_level": level, "recovered_on": recovered, "in_resident_pension": rng.random() < 0.3}
    if rng.random() < 0.7:
        child.update(random_history(rng, child_born))
    marriage = []
    if rng.random() < 0.3:
        divorced = _day(rng, child_born + timedelta(days=1), date(2024, 12, 31))
        marriage.append({"kind": "divorced", "on": divorced.isoformat(), "member": None})
        for role in ("mother", "father"):
            if rng.random() < 0.4:
                marriage.append({"kind": "remarried", "on": _day(rng, divorced, date(2025, 1, 31)).isoformat(), "member": role})
        marriage.sort(key=lambda m: m["on"])
    return {
        "family_id": family_id,
        "as_of": "2025-01-01",
        "family": {
            "region_code": rng.choice(REGIONS), "hukou_type": rng.choice(["urban", "rural"]),
            "honor_certificate": rng.random() < 0.85, "assistance_certificate": rng.random() < 0.5,
            "low_income": rng.random() < 0.2, "extreme_poverty": rng.random() < 0.15,
            "parents": parents,
            "child": child,
            "later_children": later,
            "marriage": marriage,
        },
    }


def random_history(rng: random.Random, born: date) -> dict:
    """A possible history of the child (as the registry sends it) and the single status it implies."""
    history: list[dict] = []
    day, held, level = born, False, None
    for _ in range(rng.choice([0, 1, 1, 2, 3, 4, 6])):
        day = day if rng.random() < 0.1 else _day(rng, day + timedelta(days=1), min(day + timedelta(days=3000), date(2025, 1, 31)))
        kinds = ["disabled", "died"] + (["level_changed", "level_changed", "recovered"] if held else [])
        kind = rng.choice(kinds)
        if kind in ("disabled", "level_changed"):
            level = rng.choice([1, 2, 3, 4, 4]) if rng.random() < 0.7 else (3 if level == 4 else 4)  # to 4 and back
        history.append({"kind": kind, "on": day.isoformat(), "level": level if kind in ("disabled", "level_changed") else None,
                        "certificate": rng.choice("1234567") if kind == "disabled" else None})
        held = kind in ("disabled", "level_changed") or (held and kind != "recovered")
        if kind == "died":
            break
    died = next((e["on"] for e in history if e["kind"] == "died"), None)
    certified = next((e["on"] for e in history if e["kind"] == "disabled"), None)
    recoveries = [e["on"] for e in history if e["kind"] == "recovered"]
    return {"history": history, "status": "deceased" if died else "disabled" if certified else "living",
            "event_date": died or certified, "disability_level": level if certified else None,
            "recovered_on": recoveries[-1] if recoveries and not held else None}


def explained_lines(document: dict, year: int, month: int) -> set[tuple]:
    catalogue = default_catalogue()
    period = month_period(year, month)
    request = EvaluateRequest.model_validate({**document, "as_of": period.last_day.isoformat()})
    check_facts(request)
    household = to_household(request)
    rules = catalogue.rule_set(household.region_code)
    codes = set(bulk_codes(rules, None))
    lines = set()
    for outcome in evaluate_household(rules, household, period.last_day):
        rule = outcome.benefit.versions[0].rule
        if rule.code not in codes:
            continue
        for grant in outcome.grants:
            if rule.frequency.once and not period.start <= grant.first_day <= period.end:
                continue
            if rule.frequency is Frequency.yearly and not period.start <= grant.first_day <= period.end:
                continue
            amount = f"{grant.amount:.2f}" if grant.amount is not None else None
            due_on = to_date(grant.first_day).isoformat() if rule.frequency.once else None
            status = grant.priced.status if grant.priced else None
            lines.add((document["family_id"], grant.member_id, grant.role, rule.code, amount, status, due_on,
                       grant.version.rule_id))
    return lines


def bulk_lines(documents: list[dict], year: int, month: int) -> set[tuple]:
    raw = batch_lines(default_catalogue(), documents, month_period(year, month), None, Counts())
    found = set()
    for line in raw.splitlines():
        item = orjson.loads(line)
        assert item["catalogue_version"] == default_catalogue().version
        found.add((item["family_id"], item["member_id"], item["role"], item["benefit"], item["amount"],
                   item["amount_status"], item["due_on"], item["rule_id"]))
    return found


FAMILIES = 400


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_bulk_lines_equal_the_explained_evaluation(seed):
    rng = random.Random(seed)
    documents = [random_family(rng, i) for i in range(1, FAMILIES + 1)]
    months = [(rng.randint(2012, 2025), rng.randint(1, 12)) for _ in range(6)] + [
        (2019, 1), (2019, 2), (2022, 1), (2022, 2), (2023, 7), (2023, 9)]
    total = 0
    for year, month in months:
        expected = set().union(*(explained_lines(d, year, month) for d in documents))
        assert bulk_lines(documents, year, month) == expected, (year, month)
        total += len(expected)
    assert total > 500  # the families are varied enough to be due many things


def test_a_yearly_benefit_appears_in_one_month_of_the_year():
    document = random_family(random.Random(9), 1)
    document["family"].update(region_code="370306", hukou_type="urban")
    document["family"]["child"].update(status="deceased", event_date="2018-05-10", disability_level=None, recovered_on=None,
                                       history=None)
    document["family"].update(later_children=[], marriage=[])
    for parent in document["family"]["parents"]:
        parent["death_date"] = None
    months = [m for m in range(1, 13) if any(line[3] == "household_service_allowance" for line in bulk_lines([document], 2020, m))]
    assert months == [1]
    months_2019 = [m for m in range(1, 13) if any(line[3] == "household_service_allowance" for line in bulk_lines([document], 2019, m))]
    assert months_2019 == [2]  # the document came into force on 2019-02-01
