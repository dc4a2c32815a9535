"""The Hubei score sheet (鄂卫生计生通〔2016〕89号 附件2) applied to figures, item by item."""

from __future__ import annotations

from decimal import Decimal

from tefu_supervision.scoresheet.scoring import check_sheets, score
from tefu_supervision.scoresheet.sheet import sheet_for


def figures(**overrides):
    base = {
        "families": {"available": True, "special": 10, "not_special": 2},
        "disbursement": {"available": True, "benefits": [
            {"benefit": "special_assistance", "benefit_name": "特别扶助金", "due": 120, "paid": 118, "rate_percent": "98.33"},
            {"benefit": "pension_premium_subsidy", "benefit_name": "养老保险缴费补贴", "due": 4, "paid": 1,
             "rate_percent": "25.00"}]},
        "cards": {"available": True, "qualifying": 20, "with_active_card": 17, "without_card": 3,
                  "coverage_percent": "85.00"},
        "green_channel": {"available": True, "visits": 9},
        "entitled": {"available": True, "benefits": [
            {"benefit": "medical_insurance_premium_subsidy", "recipients": 6, "unknown": 6}]},
        "liaison_compliance": {"available": True, "families": 10,
                               "liaisons": {"families_with_liaison": 10}, "contacts": {"contacts": 40, "families_with_contact": 8},
                               "duties": [{"kind": "festival_visit", "name": "中秋走访", "families_due": 10,
                                           "families_met": 9, "missed": 1},
                                          {"kind": "contact_frequency", "name": "每周电话", "families_due": 10,
                                           "families_met": 4, "missed": 6}]},
    }
    return {**base, **overrides}


def test_sheets_load_and_add_up():
    check_sheets()
    sheet = sheet_for("420984")
    assert sheet is not None and sheet.total == 100 and len(sheet.items) == 13
    assert sheet_for("430000") is None


def test_each_computed_item_follows_its_deduction_rule():
    result = score("420100", figures())
    items = {item["id"]: item for item in result["items"]}
    # 2015 年度…未发放的扣 2.5 分: two of 120 lines unpaid.
    assert items["assistance_payment"]["deducted"] == "2.5"
    assert items["assistance_payment"]["status"] == "partly_scored"
    # 未给予缴费补贴的，1例扣 1分: three of four.
    assert items["pension_subsidy"]["deducted"] == "3" and items["pension_subsidy"]["status"] == "scored"
    # The medical premium is paid outside Tefu where no amount is configured: left to the inspector.
    assert items["medical_insurance_subsidy"]["status"] == "not_computed" and "应享 6 人" in items["medical_insurance_subsidy"]["basis"]
    # 未发放就诊服务卡的扣 5分; 未将医疗优诊证发放到对象手中的，1例扣2分 (three: 6).
    assert items["green_channel"]["deducted"] == "5"
    assert items["priority_certificate"]["deducted"] == "6"
    # 未走访慰问的，1例扣 2分.
    assert items["festival_visits"]["deducted"] == "2"
    # Two families without any contact in the period: 1 each.
    assert items["liaison_support"]["deducted"] == "2" and "2 户本期没有任何联系帮扶记录" in items["liaison_support"]["basis"]
    assert Decimal(result["computed_deducted"]) == Decimal("2.5") + 3 + 5 + 6 + 2 + 2
    assert Decimal(result["highest_possible"]) == 100 - Decimal(result["computed_deducted"])


def test_deductions_stop_at_the_items_points():
    many = figures(cards={"available": True, "qualifying": 40, "with_active_card": 10, "without_card": 30,
                          "coverage_percent": "25.00"})
    items = {item["id"]: item for item in score("420000", many)["items"]}
    assert items["priority_certificate"]["deducted"] == "10"  # 本项分数扣完为止


def test_no_liaison_and_no_record_cost_five_points_each():
    none = figures(liaison_compliance={"available": True, "families": 10, "duties": [],
                                       "liaisons": {"families_with_liaison": 0},
                                       "contacts": {"contacts": 0, "families_with_contact": 0}})
    items = {item["id"]: item for item in score("420000", none)["items"]}
    assert items["liaison_support"]["deducted"] == "15"
    assert items["festival_visits"]["deducted"] == "0"
