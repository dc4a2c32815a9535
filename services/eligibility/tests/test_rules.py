"""Each rule of the catalogue checked against its source text, boundaries included.

The quotes name the clause the expectation comes from.
"""

from __future__ import annotations

from pathlib import Path

import pytest


from tefu_eligibility.catalogue.catalogue import Catalogue

from .families import amount, benefit, family, refused, run

FILES = Path(__file__).resolve().parents[1] / "src" / "tefu_eligibility" / "catalogue" / "files"


# --- National base: who is a special family, special assistance -------------------------------

def test_the_example_family_of_zhoucun_on_2020_06_15():
    result = run(family(later=[{"kind": "birth", "date": "2021-05-01", "assisted_reproduction": True}]), "2020-06-15")
    assert result["special_family"] is True
    assert result["rule_region"] == "370306"
    assert amount(result, "special_assistance") == "610.00"
    sa = benefit(result, "special_assistance")
    assert sa["recipients"] == ["mother", "father"] and f"{sa['total']:.2f}" == "1220.00"
    assert sa["citation"]["document"] == "国人口发〔2007〕78号"
    assert sa["amount_source"]["document"] == "周政发〔2018〕85号" and sa["amount_source"]["clause"] == "二（三）"
    # 二（四）: the condolence payment arose on the day the child died, in force that day.
    condolence = benefit(result, "one_time_condolence")
    assert str(condolence["due_on"]) == "2019-03-10" and amount(result, "one_time_condolence") == "2000.00"
    # The rebirth is after the evaluation date: the grant has not arisen yet.
    assert refused(result, "rebirth_grant") == ["trigger"]


def test_special_assistance_starts_in_the_month_the_woman_turns_49():
    # The mother turns 49 on 2014-03-02: March 2014 is due (one eligible day is enough), February is not.
    facts = family("420102", mother_born="1965-03-02", event_date="2010-01-05")
    assert "woman_age_at_least" in refused(run(facts, "2014-02-28"), "special_assistance")
    march = run(facts, "2014-03-01")
    assert amount(march, "special_assistance") == "170.00"  # rural death standard from 2014
    assert str(benefit(march, "special_assistance")["recipient_details"][0]["eligible_from"]) == "2014-03-02"


def test_a_single_father_must_be_49_himself():
    facts = family("420102", mother_born=None, father_born="1970-08-20", event_date="2015-01-01")
    assert "woman_age_at_least" in refused(run(facts, "2019-07-15"), "special_assistance")
    assert benefit(run(facts, "2019-08-15"), "special_assistance")["recipients"] == ["father"]


def test_when_the_mother_dies_the_father_counts_his_own_age():
    facts = family("420102", mother_born="1960-01-01", father_born="1975-01-01", mother_died="2016-05-10",
                   event_date="2012-01-01")
    # May 2016: the mother was alive and 49+ on some day of the month; both are due.
    assert benefit(run(facts, "2016-05-20"), "special_assistance")["recipients"] == ["mother", "father"]
    # From June 2016 the father (41) is a single surviving parent under 49: nothing is due.
    assert "woman_age_at_least" in refused(run(facts, "2016-06-01"), "special_assistance")


def test_parents_born_before_1933_are_outside_the_system():
    facts = family("420102", mother_born="1932-12-31", father_born="1930-01-01", event_date="2010-01-01")
    assert "parents_born_on_or_after" in refused(run(facts, "2015-01-15"), "special_assistance")


def test_disability_level_3_counts_and_level_4_does_not():
    level3 = family("420102", child_status="disabled", level=3, event_date="2015-06-01", hukou="urban")
    assert run(level3, "2016-01-15")["special_family"] is True
    assert amount(run(level3, "2016-01-15"), "special_assistance") == "270.00"  # urban disability standard
    level4 = family("420102", child_status="disabled", level=4, event_date="2015-06-01")
    result = run(level4, "2016-01-15")
    assert result["special_family"] is False
    assert "child_disabled_at_level" in refused(result, "special_assistance")


def test_a_later_birth_stops_payment_from_the_next_month():
    facts = family("420102", event_date="2012-01-01",
                   later=[{"kind": "birth", "date": "2017-05-01", "assisted_reproduction": False}])
    assert benefit(run(facts, "2017-05-31"), "special_assistance") is not None  # eligible on 1 May itself
    assert "no_later_child" in refused(run(facts, "2017-06-01"), "special_assistance")


def test_an_adoption_stops_it_too():
    facts = family("420102", event_date="2012-01-01", later=[{"kind": "adoption", "date": "2018-02-10"}])
    assert "no_later_child" in refused(run(facts, "2018-03-01"), "special_assistance")


def test_a_death_stops_payment_from_the_next_month():
    facts = family("420102", event_date="2012-01-01", father_died="2018-09-30")
    assert benefit(run(facts, "2018-09-15"), "special_assistance")["recipients"] == ["mother", "father"]
    assert benefit(run(facts, "2018-10-15"), "special_assistance")["recipients"] == ["mother"]


def test_recovery_of_the_child_stops_it():
    facts = family("420102", child_status="disabled", level=2, event_date="2012-01-01", recovered_on="2019-04-15")
    assert benefit(run(facts, "2019-04-20"), "special_assistance") is not None
    assert run(facts, "2019-05-01")["special_family"] is False


def test_national_standards_by_date():
    facts = family("420102", event_date="2005-01-01", mother_born="1950-01-01", father_born="1950-01-01")
    assert amount(run(facts, "2009-06-01"), "special_assistance") == "100.00"
    assert amount(run(facts, "2012-06-01"), "special_assistance") == "135.00"
    assert amount(run(facts, "2014-06-01"), "special_assistance") == "170.00"
    assert amount(run({**facts, "hukou_type": "urban"}, "2014-06-01"), "special_assistance") == "340.00"


# --- Zhoucun 周政发〔2018〕85号 ----------------------------------------------------------------------

def test_zhoucun_raised_535_to_610_on_2019_02_01():
    # 二（三）"由每人每月535元提高到610元": 535 is what applied just before 2019-02-01.
    facts = family(event_date="2015-01-01")
    assert amount(run(facts, "2019-01-31"), "special_assistance") == "535.00"
    assert amount(run(facts, "2019-02-01"), "special_assistance") == "610.00"
    disabled = family(child_status="disabled", level=1, event_date="2015-01-01")
    assert amount(run(disabled, "2019-01-31"), "special_assistance") == "400.00"
    assert amount(run(disabled, "2019-02-15"), "special_assistance") == "480.00"


def test_zhoucun_expired_on_2022_01_31():
    facts = family(event_date="2015-01-01", hukou="urban")
    january = run(facts, "2022-01-31")
    assert amount(january, "special_assistance") == "610.00"
    assert benefit(january, "household_service_allowance") is not None
    february = run(facts, "2022-02-01")
    # The district standard lapses with the document ("认真执行国家和省、市有关…制度" does not say it falls to
    # the national minimum): unknown until a successor is configured, the national floor shown beside it.
    lapsed = benefit(february, "special_assistance")
    assert lapsed["amount"] is None and lapsed["amount_status"] == "unknown"
    assert "周政发〔2018〕85号已于2022-01-31失效" in lapsed["amount_reason"] and f"{lapsed['amount_floor']:.2f}" == "340.00"
    assert benefit(february, "medical_priority") is None
    # A yearly benefit is due for 2022 (January was in force), for that one month of it: "每户每年300元".
    assert amount(february, "household_service_allowance") == "25.00"
    assert refused(run(facts, "2023-02-01"), "household_service_allowance") == ["in_force"]


def test_zhoucun_rules_never_apply_in_another_district_of_zibo():
    result = run(family("370302", event_date="2020-01-01"), "2020-06-15")
    assert result["rule_region"] == "000000"
    codes = {b["code"] for b in result["benefits"]} | {n["code"] for n in result["not_eligible"]}
    assert codes == {"special_assistance"}


def test_zhoucun_condolence_for_the_families_bereaved_in_a_year_the_document_is_in_force():
    # 二（四）"对当年失独家庭进行紧急救助，发放一次性扶助金每户2000元": a death on 2019-01-15 makes a 2019
    # 当年失独 family, due from the document's first day.
    january = benefit(run(family(event_date="2019-01-15"), "2019-06-01"), "one_time_condolence")
    assert str(january["due_on"]) == "2019-02-01" and f"{january['amount']:.2f}" == "2000.00"
    assert str(benefit(run(family(event_date="2019-02-01"), "2019-06-01"), "one_time_condolence")["due_on"]) == "2019-02-01"
    # A death in 2018 is not of a year the document is in force; one after its end is not either.
    assert refused(run(family(event_date="2018-12-31"), "2019-06-01"), "one_time_condolence") == ["in_force"]
    assert refused(run(family(event_date="2022-02-10"), "2022-06-01"), "one_time_condolence") == ["in_force"]


def test_zhoucun_household_service_allowance_is_named_by_hukou():
    assert benefit(run(family(hukou="urban"), "2020-06-15"), "household_service_allowance")["name"] == "家政金"
    assert benefit(run(family(hukou="rural"), "2020-06-15"), "household_service_allowance")["name"] == "助农金"
    # 失独 only: a disabled child's family gets neither.
    assert benefit(run(family(child_status="disabled"), "2020-06-15"), "household_service_allowance") is None


def test_zhoucun_pension_supplement_is_a_share_of_the_own_basic_pension_from_60():
    death = family(mother_born="1960-07-01", father_born="1958-02-01", pension={"mother": "150.00", "father": "123.45"})
    result = run(death, "2020-06-15")
    details = {d["role"]: f"{d['amount']:.2f}" for d in benefit(result, "pension_supplement")["recipient_details"]}
    assert details == {"father": "246.90"}  # 200%; the mother turns 60 only in July
    assert benefit(run(death, "2020-07-01"), "pension_supplement")["recipients"] == ["mother", "father"]
    disabled = family(child_status="disabled", mother_born="1955-01-01", pension={"mother": "150.00"})
    assert amount(run(disabled, "2020-06-15"), "pension_supplement") == "150.00"  # 100%


def test_zhoucun_commercial_insurance_for_lost_only_child_couples_with_the_woman_49():
    assert amount(run(family(), "2020-06-15"), "commercial_insurance") == "300.00"
    assert "woman_age_at_least" in refused(run(family(mother_born="1975-01-01"), "2020-06-15"), "commercial_insurance")
    assert "child_deceased" in refused(run(family(child_status="disabled"), "2020-06-15"), "commercial_insurance")


def test_zhoucun_low_income_measures():
    poor = run(family(low_income=True), "2020-06-15")
    assert benefit(poor, "medical_insurance_premium_subsidy")["amount"] is None  # the year's premium
    assert benefit(poor, "low_income_uplift") is not None
    assert "low_income" in refused(run(family(), "2020-06-15"), "low_income_uplift")


def test_zhoucun_rebirth_grant_for_ivf_only():
    ivf = family(later=[{"kind": "birth", "date": "2020-09-01", "assisted_reproduction": True}])
    result = run(ivf, "2020-12-01")
    assert str(benefit(result, "rebirth_grant")["due_on"]) == "2020-09-01"
    assert amount(result, "rebirth_grant") == "10000.00"
    natural = family(later=[{"kind": "birth", "date": "2020-09-01", "assisted_reproduction": False}])
    assert benefit(run(natural, "2020-12-01"), "rebirth_grant") is None


def test_zhoucun_free_health_check_needs_the_woman_49():
    assert benefit(run(family(mother_born="1972-05-01"), "2020-06-15"), "free_health_check") is None
    assert benefit(run(family(mother_born="1971-12-31"), "2020-06-15"), "free_health_check") is not None


# --- Hunan 湘政办发〔2023〕36号 ---------------------------------------------------------------------

def test_hunan_requires_the_honour_certificate_for_its_own_measures_from_2023_09_01():
    without = family("430102", honor=False, event_date="2015-01-01")
    assert run(without, "2023-08-31")["special_family"] is True
    result = run(without, "2023-09-01")
    assert result["special_family"] is False
    assert "honor_certificate" in refused(result, "medical_priority")
    # 1."落实计划生育特殊家庭特别扶助制度": the national system as it stands, not narrowed by the definition.
    assert benefit(result, "special_assistance")["recipients"] == ["mother", "father"]
    # "动态调整扶助标准": only the national floor is known, and the answer says so.
    standard = benefit(run(family("430102", event_date="2015-01-01"), "2023-09-01"), "special_assistance")
    assert f"{standard['amount']:.2f}" == "170.00" and standard["amount_status"] == "national_minimum"
    assert "动态调整" in standard["amount_reason"]


def test_hunan_optional_measures_are_not_due_where_no_amount_is_set():
    # 1."有条件的地区可向独生子女死亡家庭发放一次性抚慰金，向年满60周岁计划生育特殊家庭成员发放老龄护理补贴，
    # 发放标准、发放对象、发放形式等由各地根据实际情况自行确定"
    result = run(family("430102", event_date="2023-10-05"), "2023-10-31")
    assert refused(result, "one_time_condolence") == ["optional"]
    assert refused(run(family("430102", mother_born="1960-01-01"), "2023-10-31"), "elderly_care_subsidy") == ["optional"]


def test_a_county_can_set_the_amount_its_province_left_open(tmp_path):
    for path in FILES.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "430102-furong.yaml").write_text(
        'region: "430102"\nregion_name: 长沙市芙蓉区\n'
        "document: {number: 芙政办发〔2024〕1号, title: 一次性抚慰金标准, issuer: 芙蓉区人民政府, effective_from: 2024-01-01}\n"
        "parameters:\n  hunan.one_time_condolence:\n    description: 一次性抚慰金\n    unit: yuan\n"
        '    values: [{value: "5000.00", clause: 一}]\n',
        encoding="utf-8")
    catalogue = Catalogue.load(tmp_path)
    set_here = benefit(run(family("430102", event_date="2024-03-05"), "2024-03-31", catalogue), "one_time_condolence")
    assert f"{set_here['amount']:.2f}" == "5000.00" and set_here["amount_status"] == "local"
    assert set_here["amount_source"]["document"] == "芙政办发〔2024〕1号"
    # Before the county's document the optional measure is not set there; other counties are untouched.
    assert refused(run(family("430102", event_date="2023-12-05"), "2023-12-31", catalogue), "one_time_condolence") == ["optional"]
    assert refused(run(family("430103", event_date="2024-03-05"), "2024-03-31", catalogue), "one_time_condolence") == ["optional"]


# --- Shanghai / Jiading 嘉卫人口〔2023〕2号 ------------------------------------------------------------

def test_jiading_one_time_subsidy_per_parent_with_the_honour_certificate():
    # 二"对本区户籍且持有《独生子女父母光荣证》的独生子女伤残、死亡的父母分别发放3000元/人、5000元/人的一次性补助"
    died = run(family("310114", event_date="2023-08-01"), "2023-09-01")
    assert amount(died, "one_time_condolence") == "5000.00"
    assert f"{benefit(died, 'one_time_condolence')['total']:.2f}" == "10000.00"
    disabled = run(family("310114", child_status="disabled", level=3, event_date="2023-08-01"), "2023-09-01")
    assert amount(disabled, "one_time_disability_subsidy") == "3000.00"
    assert "honor_certificate" in refused(run(family("310114", honor=False, event_date="2023-08-01"), "2023-09-01"),
                                          "one_time_condolence")


def test_jiading_hospital_carer_subsidy_uses_that_years_hourly_minimum_wage():
    result = run(family("310114"), "2023-09-01")
    carer = benefit(result, "hospital_carer_subsidy")
    assert f"{carer['amount']:.2f}" == "120.00" and carer["max_days"] == 90  # 5 h × 24 yuan
    assert carer["amount_source"]["region_code"] == "310000"


def test_jiading_services_that_need_the_special_assistance_certificate():
    holder = run(family("310114", assistance=True, mother_born="1960-01-01", father_born="1972-01-01"), "2023-09-01")
    assert benefit(holder, "group_accident_insurance")["recipients"] == ["mother", "father"]  # both 50+
    assert benefit(holder, "elderly_services")["recipients"] == ["mother"]  # 60+
    assert "assistance_certificate" in refused(run(family("310114"), "2023-09-01"), "free_health_check")


# --- Foshan (draft) ------------------------------------------------------------------------------

def test_foshan_only_children_born_or_adopted_by_2015_12_31():
    assert run(family("440604", child_born="2015-12-31", event_date="2019-01-01"), "2021-01-15")["special_family"] is True
    late = run(family("440604", child_born="2016-01-01", event_date="2019-01-01"), "2021-01-15")
    assert late["special_family"] is False
    assert "child_joined_on_or_before" in refused(late, "special_assistance")
    adopted_late = family("440605", child_born="2015-06-01", adopted_on="2016-02-01", event_date="2019-01-01")
    assert run(adopted_late, "2021-01-15")["special_family"] is False


def test_foshan_rebirth_grant_and_expiry():
    ivf = family("440606", later=[{"kind": "birth", "date": "2021-03-01", "assisted_reproduction": True}],
                 event_date="2018-01-01", mother_born="1978-01-01")
    assert amount(run(ivf, "2021-03-31"), "rebirth_grant") == "20000.00"
    after = family("440606", later=[{"kind": "birth", "date": "2025-01-02", "assisted_reproduction": True}],
                   event_date="2018-01-01", mother_born="1978-01-01")
    assert refused(run(after, "2025-02-01"), "rebirth_grant") == ["in_force"]


def test_foshan_assisted_reproduction_service_while_the_mother_is_under_49():
    assert benefit(run(family("440604", mother_born="1975-01-01"), "2021-01-15"), "assisted_reproduction") is not None
    assert "mother_age_below" in refused(run(family("440604", mother_born="1970-01-01"), "2021-01-15"),
                                         "assisted_reproduction")


# --- Hubei 鄂卫生计生通〔2016〕89号 -------------------------------------------------------------------

def test_hubei_pension_premium_subsidy_for_verified_poor_couples_and_the_disabled_child():
    facts = family("420102", child_status="disabled", level=2, event_date="2014-01-01", extreme_poverty=True,
                   pension={"mother": "100.00"})
    facts["child"]["in_resident_pension"] = True
    subsidy = benefit(run(facts, "2017-03-01"), "pension_premium_subsidy")
    assert subsidy["recipients"] == ["mother", "child"] and f"{subsidy['amount']:.2f}" == "100.00"
    facts["extreme_poverty"] = False
    assert "extreme_poverty" in refused(run(facts, "2017-03-01"), "pension_premium_subsidy")


def test_hubei_rules_start_with_the_document():
    facts = family("420102", event_date="2014-01-01")
    assert benefit(run(facts, "2016-07-31"), "medical_priority") is None
    # August 2016 is due: the document came into force on one of its days.
    august = benefit(run(facts, "2016-08-01"), "fee_waiver")
    assert str(august["recipient_details"][0]["eligible_from"]) == "2016-08-26"


# --- Every other rule: who gets it, from its clause ---------------------------------------------

FOSHAN_ADOPTED_IN_TIME = {"adopted_on": "2015-12-31", "child_born": "2015-06-01"}


@pytest.mark.parametrize(
    ("region", "code", "change", "as_of", "recipients"),
    [
        # Zhoucun 二（五）6: family doctors for members; 二（七）4: 60+ members, priority in public homes.
        ("370306", "family_doctor", {"child_status": "disabled"}, "2020-06-15", ["mother", "father", "child"]),
        ("370306", "family_doctor", {}, "2020-06-15", ["mother", "father"]),  # the child died
        ("370306", "elderly_services", {"mother_born": "1962-01-01", "father_born": "1959-01-01"}, "2020-06-15", ["father"]),
        # Hunan 二（二）6: pension premium subsidy for members in the resident pension scheme.
        ("430102", "pension_premium_subsidy", {"pension": {"father": "120.00"}}, "2024-03-01", ["father"]),
        ("430102", "elderly_services", {"mother_born": "1966-01-01"}, "2024-03-01", ["father"]),
        ("430102", "medical_priority", {"child_status": "disabled"}, "2024-03-01", ["mother", "father", "child"]),
        ("430102", "free_ambulance", {}, "2024-03-01", ["mother", "father"]),
        ("430102", "family_doctor", {}, "2024-03-01", ["mother", "father"]),
        # Hunan 二（三）15: the persons in the special-assistance system (the woman 49+).
        ("430102", "health_insurance", {}, "2024-03-01", ["mother", "father"]),
        ("430102", "health_insurance", {"mother_born": "1980-01-01", "father_born": "1978-01-01"}, "2024-03-01", None),
        ("430102", "assisted_reproduction", {}, "2024-03-01", ["household"]),
        # Jiading 五（三）2: 失独 parents holding the special assistance certificate.
        ("310114", "livelihood_insurance", {"assistance": True}, "2023-09-01", ["mother", "father"]),
        ("310114", "livelihood_insurance", {"assistance": True, "child_status": "disabled"}, "2023-09-01", None),
        ("310114", "medical_priority", {}, "2023-09-01", ["mother", "father"]),
        ("310114", "family_doctor", {"child_status": "disabled"}, "2023-09-01", ["mother", "father", "child"]),
        # Foshan 三（二）: parents 49+ each; 三（三）, 三（一）, 三（七）/（九）.
        ("440604", "free_health_check", {"mother_born": "1975-01-01"}, "2021-03-01", ["father"]),
        # Foshan 三（三）"为计划生育特殊家庭父母开通便利就医绿色通道": the parents (the child only where a district extends it).
        ("440604", "medical_priority", {"child_status": "disabled"}, "2021-03-01", ["mother", "father"]),
        ("440604", "family_doctor", FOSHAN_ADOPTED_IN_TIME, "2021-03-01", ["mother", "father"]),
        ("440604", "elderly_services", {"mother_born": "1960-01-01", "father_born": "1966-01-01"}, "2021-03-01", ["mother"]),
        # Hubei 三（一）: the one-time condolence payment exists, its amount left open.
        ("420102", "one_time_condolence", {"event_date": "2018-04-02"}, "2018-05-01", ["household"]),
        # Hubei 三（三）: verified poor couples and their disabled child; card holders' services.
        ("420102", "medical_insurance_premium_subsidy", {"extreme_poverty": True, "child_status": "disabled"},
         "2019-05-01", ["mother", "father", "child"]),
        ("420102", "medical_insurance_premium_subsidy", {}, "2019-05-01", None),
        ("420102", "free_ambulance", {"child_status": "disabled"}, "2019-05-01", ["mother", "father", "child"]),
        ("420102", "free_health_check", {}, "2019-05-01", ["mother", "father"]),
    ],
)
def test_each_rule_goes_to_whom_its_clause_says(region, code, change, as_of, recipients):
    result = run(family(region, **change), as_of)
    found = benefit(result, code)
    if recipients is None:
        assert found is None, f"{code} should not be due"
    else:
        assert found is not None, [n for n in result["not_eligible"] if n["code"] == code]
        assert found["recipients"] == recipients
        assert found["citation"]["clause"]


def test_hubei_condolence_amount_is_left_open():
    assert benefit(run(family("420102", event_date="2018-04-02"), "2018-05-01"), "one_time_condolence")["amount"] is None


# --- Hospital green channel (medical priority) -------------------------------------------------

@pytest.mark.parametrize(("region", "as_of", "services"), [
    # Hunan item 11: 挂号、就诊、入院、转诊、取药、收费
    ("430102", "2024-06-15", ["registration", "consultation", "admission", "referral", "pharmacy", "payment"]),
    # Zhoucun 二（五）7: 优先挂号、优先就医、优先交费、优先检查、优先取药、优先住院
    ("370306", "2020-06-15", ["registration", "consultation", "payment", "examination", "pharmacy", "admission"]),
    # Jiading 三（二）2: 挂号、就诊、转诊、化验、检查、取药、收费
    ("310114", "2024-06-15", ["registration", "consultation", "referral", "lab", "examination", "pharmacy", "payment"]),
    # Foshan 三（三）: 挂号、就诊、转诊、取药
    ("440604", "2021-06-15", ["registration", "consultation", "referral", "pharmacy"]),
    # Hubei 三（三）: 急诊和普通门诊（挂号、缴费、化验、取药、住院）
    ("420102", "2021-06-15", ["registration", "payment", "lab", "pharmacy", "admission"]),
])
def test_each_green_channel_lists_the_services_its_document_names(region, as_of, services):
    priority = benefit(run(family(region, event_date="2012-01-01"), as_of), "medical_priority")
    assert priority["services"] == services
    assert priority["kind"] == "service" and priority["amount"] is None


def test_a_benefit_held_on_the_day_ends_with_the_death_not_with_the_month():
    facts = family("420102", event_date="2012-01-01", father_died="2021-06-10")
    # A payment's question: the father was eligible on some day of June.
    assert benefit(run(facts, "2021-06-15"), "medical_priority")["recipients"] == ["mother", "father"]
    # A card desk's question: on 2021-06-15 he holds nothing; on 2021-06-10 he still did.
    on_day = run(facts, "2021-06-15", on_the_day=True)
    assert benefit(on_day, "medical_priority")["recipients"] == ["mother"]
    assert benefit(on_day, "medical_priority")["period"] == "2021-06-15"
    assert benefit(run(facts, "2021-06-10", on_the_day=True), "medical_priority")["recipients"] == ["mother", "father"]


def test_on_the_day_a_later_birth_ends_the_green_channel_at_once():
    facts = family("420102", event_date="2012-01-01", later=[{"kind": "birth", "date": "2021-06-10"}])
    # As for a death, the day of the birth itself still counts; the day after does not.
    assert benefit(run(facts, "2021-06-10", on_the_day=True), "medical_priority") is not None
    assert benefit(run(facts, "2021-06-11", on_the_day=True), "medical_priority") is None
    assert benefit(run(facts, "2021-06-20"), "medical_priority") is not None  # the month still had eligible days
