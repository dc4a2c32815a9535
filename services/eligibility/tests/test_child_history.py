"""Facts over time: the child's history, the parents' divorce and a parent's own later child.

The registry's facts documents carry the child's history (certifications, level changes,
recovery, death), the marriage events and whose later child it is; the rules read them day by
day, and an older caller's single status still works.
"""

from __future__ import annotations

from datetime import date

import pytest

from tefu_common.errors import ValidationFailed
from tefu_eligibility.catalogue.schema import Trigger
from tefu_eligibility.evaluation.facts import EvaluateRequest, check_facts, to_household
from tefu_eligibility.periods import trigger_day

from .families import amount, benefit, family, refused, run

DISABLED_THEN_DIED = [("disabled", "2015-06-01", 2), ("died", "2020-08-08")]


def household_of(facts: dict, as_of: str = "2024-01-01"):
    request = EvaluateRequest.model_validate({"as_of": as_of, "family": facts})
    check_facts(request)
    return to_household(request)


def test_a_child_disabled_and_later_dead_keeps_the_disability_period():
    # 国人口发〔2007〕78号 二: "独生子女死亡或伤、病残" — the family was a disabled family (伤残)
    # from the certification until the death, and a bereaved one (死亡) after it.
    facts = family("420102", hukou="rural", history=DISABLED_THEN_DIED)
    during = run(facts, "2016-01-15")
    assert during["special_family"] is True
    assert amount(during, "special_assistance") == "150.00"  # rural disability standard (2014)
    after = run(facts, "2021-01-15")
    assert amount(after, "special_assistance") == "170.00"  # rural death standard
    assert run(facts, "2015-05-15")["special_family"] is False  # before the certification


def test_the_certification_day_stays_for_a_child_who_later_died():
    # 嘉卫人口〔2023〕2号 二: "对…独生子女伤残、死亡的父母分别发放3000元/人、5000元/人的一次性补助":
    # a child certified disabled and later dead gives both; the certification stays on record.
    household = household_of(family("310114", history=DISABLED_THEN_DIED))
    assert trigger_day(household, Trigger.child_certified) == date(2015, 6, 1).toordinal()
    assert trigger_day(household, Trigger.child_death) == date(2020, 8, 8).toordinal()
    assert trigger_day(household, Trigger.child_event) == date(2015, 6, 1).toordinal()  # whichever came first
    old_form = household_of(family("310114", child_status="deceased", event_date="2020-08-08"))
    assert trigger_day(old_form, Trigger.child_certified) > date.max.toordinal()  # a status alone: no certification


def test_jiading_pays_the_disability_and_the_death_subsidy_to_each_parent():
    facts = family("310114", history=[("disabled", "2023-08-01", 3), ("died", "2024-03-01")])
    result = run(facts, "2024-03-31")
    disability = benefit(result, "one_time_disability_subsidy")
    death = benefit(result, "one_time_condolence")
    assert disability is not None and death is not None, result["not_eligible"]
    assert str(disability["due_on"]) == "2023-08-01" and str(death["due_on"]) == "2024-03-01"
    assert amount(result, "one_time_disability_subsidy") == "3000.00"
    assert amount(result, "one_time_condolence") == "5000.00"


def test_level_changes_to_level_4_and_back_split_the_disability_period():
    # 三级以上 (levels 1–3) make a special family: a re-assessment to level 4 ends it, a later one
    # to level 2 begins it again; a recovery ends it on its own day.
    facts = family("420102", history=[("disabled", "2015-06-01", 3), ("level_changed", "2017-03-01", 4),
                                      ("level_changed", "2019-05-10", 2), ("recovered", "2022-06-30")])
    assert amount(run(facts, "2016-06-15"), "special_assistance") == "150.00"
    assert "child_disabled_at_level" in refused(run(facts, "2018-06-15"), "special_assistance")
    assert amount(run(facts, "2019-05-15"), "special_assistance") == "150.00"  # from 10 May
    assert amount(run(facts, "2022-06-15"), "special_assistance") == "150.00"  # the month of the recovery
    assert "child_disabled_at_level" in refused(run(facts, "2022-07-15"), "special_assistance")


def test_a_first_certification_at_level_4_is_not_the_qualifying_one():
    # The once-only benefit of a certification arises when the child first counts (levels 1–3).
    household = household_of(family("310114", history=[("disabled", "2012-01-01", 4), ("level_changed", "2023-09-01", 2)]))
    assert trigger_day(household, Trigger.child_certified) == date(2023, 9, 1).toordinal()
    result = run(family("310114", history=[("disabled", "2012-01-01", 4), ("level_changed", "2023-09-01", 2)]), "2023-09-30")
    assert str(benefit(result, "one_time_disability_subsidy")["due_on"]) == "2023-09-01"


def test_a_divorced_parent_must_be_49_himself():
    # 国人口发〔2007〕78号 二（扶助对象条件）: the woman has reached 49; a single surviving or divorced
    # parent must be 49 himself. The father (born 1960) is 55 in 2015; the mother (born 1970) 45.
    facts = family("420102", mother_born="1970-04-01", father_born="1960-02-01", event_date="2010-01-01")
    married = run(facts, "2015-06-15")
    assert "woman_age_at_least" in refused(married, "special_assistance")  # the couple: the woman's age
    divorced = dict(facts, marriage=[{"kind": "divorced", "on": "2012-03-01", "member": None},
                                     {"kind": "remarried", "on": "2013-05-01", "member": "father"}])
    result = run(divorced, "2015-06-15")
    grants = set(benefit(result, "special_assistance")["recipients"])
    assert grants == {"father"}  # the mother is 45; a remarriage does not undo the divorce
    assert set(benefit(run(divorced, "2019-04-15"), "special_assistance")["recipients"]) == {"mother", "father"}


def test_a_parents_own_later_child_ends_only_that_parents_benefit():
    # "未再生育或收养子女": after the divorce the father has a child with his new wife; the mother has
    # not borne or adopted another child, and still receives the special assistance.
    divorce = [{"kind": "divorced", "on": "2012-03-01", "member": None}]
    own = family("420102", event_date="2010-01-01", marriage=divorce,
                 later=[{"kind": "birth", "date": "2016-05-01", "parent": "father"}])
    result = run(own, "2017-01-15")
    assert set(benefit(result, "special_assistance")["recipients"]) == {"mother"}
    couples = family("420102", event_date="2010-01-01", later=[{"kind": "birth", "date": "2016-05-01"}])
    assert "no_later_child" in refused(run(couples, "2017-01-15"), "special_assistance")


@pytest.mark.parametrize(("history", "field", "code"), [
    ([("disabled", "2015-06-01", 2), ("level_changed", "2014-01-01", 3)], "family.child.history.1.on", "child-history-order"),
    ([("disabled", "2015-06-01", 5)], "family.child.history.0.level", "disability-level-range"),
    ([("disabled", "2015-06-01")], "family.child.history.0.level", "disability-level-missing"),
    ([("died", "2015-06-01"), ("disabled", "2016-01-01", 2)], "family.child.history.1.kind", "child-history-after-death"),
    ([("recovered", "2015-06-01")], "family.child.history.0.kind", "child-history-no-certificate"),
    ([("disabled", "2015-06-01", 2), ("recovered", "2016-01-01"), ("level_changed", "2017-01-01", 1)],
     "family.child.history.2.kind", "child-history-no-certificate"),
    ([("disabled", "1989-06-01", 2)], "family.child.history.0.on", "child-event-before-birth"),
])
def test_a_contradictory_history_is_refused_naming_the_entry(history, field, code):
    facts = family("420102", history=history)
    with pytest.raises(ValidationFailed) as refused_:
        check_facts(EvaluateRequest.model_validate({"as_of": "2020-01-01", "family": facts}))
    assert (f"body.{field}", code) in [(e.field, e.code) for e in refused_.value.errors]


async def test_the_api_refuses_a_history_that_contradicts_the_status(client, auth):
    body = {"as_of": "2020-01-01", "family": family("370306", history=DISABLED_THEN_DIED)}
    body["family"]["child"]["status"] = "disabled"
    body["family"]["later_children"] = [{"kind": "birth", "date": "2018-01-01", "parent": "father"}]
    body["family"]["parents"] = [p for p in body["family"]["parents"] if p["role"] == "mother"]
    body["family"]["marriage"] = [{"kind": "remarried", "on": "2016-01-01", "member": "mother"},
                                  {"kind": "divorced", "on": "2015-01-01", "member": None}]
    response = await client.post("/v1/evaluate", json=body, headers=auth(role="clerk", region="370306"))
    assert response.status_code == 422, response.text
    errors = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert errors == {("body.family.child.status", "child-history-contradicts-status"),
                      ("body.family.later_children.0.parent", "later-child-parent-missing"),
                      ("body.family.marriage.1.on", "marriage-order")}
    english = await client.post("/v1/evaluate", json=body,
                                headers=auth(role="clerk", region="370306") | {"Accept-Language": "en"})
    assert "contradicts the child's history" in english.text


def test_an_older_callers_single_status_still_works():
    # Without a history the status is read as before: a disabled child, its level, its recovery.
    household = household_of(family("420102", child_status="disabled", level=3, event_date="2015-06-01",
                                    recovered_on="2018-01-31"))
    assert [(p.start, p.end, p.level) for p in household.child_periods] == [
        (date(2015, 6, 1).toordinal(), date(2018, 1, 31).toordinal(), 3)]
