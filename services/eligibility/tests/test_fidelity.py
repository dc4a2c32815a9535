"""Where documents meet over time: standing rules, lapsed documents, unknown amounts, floors, drafts,
and the clauses the catalogue reads narrowly or widely. Each test quotes the sentence that decides it.
"""

from __future__ import annotations

from tefu_eligibility.catalogue.catalogue import default_catalogue
from tefu_eligibility.policies.health import catalogue_health

from .families import amount, benefit, family, refused, run

# --- Standing rules a document restates ----------------------------------------------------------


def test_jiading_restates_shanghais_one_time_subsidy_so_a_death_before_the_document_counts():
    # 嘉卫人口〔2023〕2号 二 "按照本市有关规定，落实独生子女伤残、死亡父母一次性补助": Shanghai's existing measure,
    # not one that starts on 2023-07-13. The amounts the document gives are known only from that day.
    result = run(family("310114", event_date="2023-05-10"), "2023-06-15")
    subsidy = benefit(result, "one_time_condolence")
    assert subsidy is not None and str(subsidy["due_on"]) == "2023-05-10"
    assert subsidy["amount"] is None and subsidy["amount_status"] == "unknown"
    assert "2023-07-13" in subsidy["amount_reason"] and "未知" in subsidy["amount_reason"]
    assert subsidy["provenance"]["standing"] is True and subsidy["provenance"]["since_unknown"] is True
    assert subsidy["provenance"]["quote"].startswith("按照本市有关规定")
    # From the document's first day the amount is known.
    assert amount(run(family("310114", event_date="2023-07-13"), "2023-08-01"), "one_time_condolence") == "5000.00"


def test_jiading_free_health_check_is_shanghais_standing_measure():
    # 三（二）3 "按照本市有关规定，各街镇对持有《计划生育家庭特别扶助证》的人员，每年提供一次规定项目的免费体检"
    check = benefit(run(family("310114", assistance=True), "2022-06-15"), "free_health_check")
    assert check is not None and check["provenance"]["standing"] is True


def test_hubei_condolence_payment_is_owed_before_the_2016_campaign():
    # 鄂卫生计生通〔2016〕89号 二（一）"…独生子女死亡的计划生育特殊家庭一次性抚慰金发放到位率100%": the campaign
    # enforces the payment of 鄂政办发〔2015〕81号; it does not create it on 2016-08-26.
    result = run(family("420102", event_date="2016-05-01"), "2016-06-30")
    condolence = benefit(result, "one_time_condolence")
    assert condolence is not None and str(condolence["due_on"]) == "2016-05-01"
    assert condolence["provenance"]["source"] == "鄂政办发〔2015〕81号"
    assert condolence["amount"] is None and condolence["amount_status"] == "unknown"
    assert "未规定标准" in condolence["amount_reason"]


# --- Values known only from a date, floors, lapses ------------------------------------------------


def test_zhoucun_535_is_not_extrapolated_to_2010():
    # 二（三）"由每人每月535元提高到610元" says what applied when the document was issued (2018-12-26), not
    # since when: in 2010 the district standard is unknown and only the national floor (100) is known.
    sa = benefit(run(family(event_date="2009-01-01", mother_born="1955-01-01"), "2010-06-15"), "special_assistance")
    assert f"{sa['amount']:.2f}" == "100.00" and sa["amount_status"] == "national_minimum"
    assert "全国最低标准" in sa["amount_reason"]
    january = benefit(run(family(event_date="2009-01-01"), "2019-01-15"), "special_assistance")
    assert f"{january['amount']:.2f}" == "535.00" and january["amount_status"] == "local"


def test_jiading_special_assistance_is_shown_as_the_national_floor():
    # 二 "根据本市经济社会发展水平等因素，实行计划生育家庭特别扶助制度扶助标准动态调整": the municipal standard is
    # not in the catalogue, so 340 is the floor and the clerk is told so.
    sa = benefit(run(family("310114", hukou="urban", event_date="2015-01-01"), "2025-03-15"), "special_assistance")
    assert f"{sa['amount']:.2f}" == "340.00" and sa["amount_status"] == "national_minimum"
    assert "动态调整" in sa["amount_reason"]


def test_foshan_and_hubei_defer_to_a_raised_standard():
    # Foshan 三（十）"结合社会经济发展水平适时提高扶助金标准"; Hubei 三（一）"特别扶助金要按提标后的标准落实".
    for region in ("440604", "420102"):
        sa = benefit(run(family(region, event_date="2015-01-01"), "2021-06-15"), "special_assistance")
        assert sa["amount_status"] == "national_minimum", region


def test_zhoucun_lapse_is_listed_in_the_catalogue_health_report():
    # 周政发〔2018〕85号 "本实施意见自2019年2月1日起执行，有效期至2022年1月31日。"
    from datetime import date

    report = catalogue_health(default_catalogue(), "370306", date(2023, 1, 1))
    zhoucun = next(r for r in report["regions"] if r["region_code"] == "370306")
    kinds = {item["kind"] for item in zhoucun["items"]}
    assert "lapsed_document" in kinds and "amount_unknown" in kinds
    lapsed = next(item for item in zhoucun["items"] if item["kind"] == "lapsed_document")
    assert lapsed["document"] == "周政发〔2018〕85号"
    assert "参数 special_assistance.death.rural" in lapsed["without_successor"]
    unknown = {item["parameter"] for item in zhoucun["items"] if item["kind"] == "amount_unknown"}
    assert "special_assistance.death.rural" in unknown


def test_health_lists_floors_drafts_and_values_without_a_source():
    from datetime import date

    report = catalogue_health(default_catalogue(), "440000", date(2021, 6, 1))
    foshan = next(r for r in report["regions"] if r["region_code"] == "440600")
    kinds = {item["kind"] for item in foshan["items"]}
    assert {"draft_in_use", "national_minimum"} <= kinds
    # Every packaged value cites its clause or its source document.
    everywhere = catalogue_health(default_catalogue(), "000000", date(2025, 1, 1))
    assert not [item for region in everywhere["regions"] for item in region["items"]
                if item["kind"] == "value_without_source"]


def test_shanghai_hourly_minimum_wage_values_cite_their_notice():
    catalogue = default_catalogue()
    shanghai = next(layer for layer in catalogue.layers if layer.region == "310000")
    assert all(value.source for value in shanghai.file.parameters["shanghai.hourly_minimum_wage"].values)


# --- Drafts -----------------------------------------------------------------------------------------


def test_the_foshan_draft_is_flagged_on_every_answer_that_uses_it():
    # 佛山市计划生育特殊家庭精准扶助实施方案（征求意见稿）
    result = run(family("440604", event_date="2019-01-01"), "2021-01-15")
    assert any(number.startswith("佛山市") for number in result["drafts"])
    assert benefit(result, "family_doctor")["drafts"]
    assert benefit(result, "special_assistance")["drafts"] == []  # the national rule itself is not a draft
    assert run(family("370306"), "2020-06-15")["drafts"] == []


# --- Clauses read too wide or too narrow ----------------------------------------------------------


def test_foshan_rebirth_grant_needs_the_mother_under_49():
    # 三（四）"为母亲未满49周岁、独生子女死亡且有再生育需求的计划生育特殊家庭提供辅助再生育服务"; 4."对符合条件…的家庭
    # …一次性发放20000元再生育扶助金"
    later = [{"kind": "birth", "date": "2021-03-01", "assisted_reproduction": True}]
    young = run(family("440606", mother_born="1978-01-01", later=later, event_date="2018-01-01"), "2021-03-31")
    grant = benefit(young, "rebirth_grant")
    assert f"{grant['amount']:.2f}" == "20000.00" and grant["to_verify"] == ["在具有辅助生殖技术治疗资质的医疗机构进行治疗"]
    old = run(family("440606", mother_born="1970-01-01", later=later, event_date="2018-01-01"), "2021-03-31")
    assert "mother_age_below" in refused(old, "rebirth_grant")


def test_jiading_card_is_for_the_special_assistance_recipients():
    # 三（二）2 "凭《上海市计生特别扶助对象就医便利卡》或者电子证照"
    young = run(family("310114", mother_born="1980-01-01", father_born="1980-01-01", event_date="2023-01-01"), "2024-01-15")
    assert "woman_age_at_least" in refused(young, "medical_priority")
    card = benefit(run(family("310114", event_date="2023-01-01"), "2024-01-15"), "medical_priority")
    assert card["recipients"] == ["mother", "father"]


def test_zhoucun_yearly_allowance_is_shared_by_the_months_held():
    # 二（九）1 "对城区失独家庭发放家政金每户每年300元": 2019 holds eleven months of the document.
    assert amount(run(family(event_date="2015-01-01"), "2019-06-15"), "household_service_allowance") == "275.00"
    assert amount(run(family(event_date="2015-01-01"), "2020-06-15"), "household_service_allowance") == "300.00"


def test_the_one_child_era_ends_on_2015_12_31():
    # 湘政办发〔2023〕36号 "在国家提倡一对夫妻生育一个子女期间"; Foshan 二 "在2015年12月31日前": once Foshan's
    # file has lapsed, a child born in 2017 still does not make a special family.
    late = run(family("440604", child_born="2017-03-01", event_date="2020-01-01"), "2025-06-15")
    assert late["special_family"] is False
    assert "child_joined_on_or_before" in [r["condition"] for r in late["special_family_reasons"] if not r["met"]]
    assert run(family("110101", child_born="2015-12-31", event_date="2020-01-01"), "2025-06-15")["special_family"] is True


# --- Clauses that were missing ----------------------------------------------------------------------


def test_hunan_item_13_carer_subsidy_while_in_hospital_for_a_serious_illness():
    # 13."计划生育特殊家庭夫妻因重病、大病住院期间，按规定向其发放护理补贴。"
    carer = benefit(run(family("430102", event_date="2015-01-01"), "2024-05-10"), "hospital_carer_subsidy")
    assert carer["frequency"] == "per_hospital_day" and carer["recipients"] == ["mother", "father"]
    assert carer["amount"] is None and carer["amount_status"] == "unknown"
    assert carer["to_verify"] == ["因重病、大病住院"]


def test_hubei_measures_for_special_assistance_recipients_aged_60():
    # 三（二）"对年满60周岁的计划生育特殊家庭特别扶助对象，要按规定采取五保供养、优先安排入住政府兴办养老机构、发放护理
    # 补贴等方式给予养老保障。"
    old = family("420102", mother_born="1955-01-01", father_born="1962-01-01", event_date="2015-01-01",
                 extreme_poverty=True)
    result = run(old, "2020-06-15")
    assert benefit(result, "elderly_services")["recipients"] == ["mother"]
    assert benefit(result, "extreme_poverty_support")["recipients"] == ["mother"]
    assert refused(result, "elderly_care_subsidy") == ["optional"]  # one of the ways; no amount set
    assert "extreme_poverty" in refused(run({**old, "extreme_poverty": False}, "2020-06-15"), "extreme_poverty_support")


def test_hubei_rebirth_subsidy():
    # 三（三）"对有再生育意愿的计划生育特殊家庭夫妻，要按照《…》（鄂卫生计生通〔2016〕36号）要求落实再生育补助措施。"
    later = [{"kind": "birth", "date": "2018-04-01", "assisted_reproduction": True}]
    grant = benefit(run(family("420102", later=later, event_date="2015-01-01"), "2018-04-30"), "rebirth_grant")
    assert grant is not None and grant["amount_status"] == "unknown"


def test_zhoucun_pension_premium_care_subsidy_and_medical_assistance():
    # 二（七）1 "参加居民基本养老保险且当年按期缴费的，按照缴费档次给予缴费补贴"
    member = run(family(pension={"mother": "150.00"}), "2020-06-15")
    premium = benefit(member, "pension_premium_subsidy")
    assert premium["recipients"] == ["mother"] and premium["amount_status"] == "unknown"
    assert premium["to_verify"] == ["当年按期缴费"]
    # 二（七）3 "对…生活长期不能自理、经济困难的老年人发放护理补贴"
    care = benefit(run(family(mother_born="1955-01-01", father_born="1955-06-01"), "2020-06-15"), "elderly_care_subsidy")
    assert care["recipients"] == ["mother", "father"] and care["to_verify"] == ["生活长期不能自理", "经济困难"]
    # 二（五）2 "将符合条件的低收入计划生育特殊家庭成员纳入城乡医疗救助范围"
    assert benefit(run(family(low_income=True), "2020-06-15"), "medical_assistance") is not None
    assert benefit(run(family(), "2020-06-15"), "medical_assistance") is None


def test_assistance_is_not_counted_as_family_income():
    # 湘政办发〔2023〕36号 1."计划生育特殊家庭扶助金、抚慰金等不计入家庭收入"; 嘉卫人口〔2023〕2号 五（一）3
    # "凭《计划生育家庭特别扶助证》，在核算其家庭收入时，特别扶助金等计划生育奖励与补助不计入家庭收入"
    assert benefit(run(family("430102", event_date="2023-01-01"), "2024-01-15"), "income_disregard") is not None
    assert benefit(run(family("310114", assistance=True), "2024-01-15"), "income_disregard")["recipients"] == ["household"]
    assert "assistance_certificate" in refused(run(family("310114"), "2024-01-15"), "income_disregard")


def test_every_answer_names_the_catalogue_version():
    result = run(family(), "2020-06-15")
    assert result["catalogue_version"] == default_catalogue().version and len(result["catalogue_version"]) == 16
