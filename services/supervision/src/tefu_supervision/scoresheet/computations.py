"""What Tefu can compute of a score sheet's deductions, from the figures it gathered.

Each computation reads the figures and answers the points to deduct (at most the item's computed
points) with its basis in Chinese: the numbers an inspector can check against the sources. A
figure that is missing (its service did not answer) gives ``None``: the item is then left open,
never scored as if all were well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

Figures = dict[str, Any]


@dataclass(frozen=True)
class Deduction:
    points: Decimal | None  # None: the figures needed are missing, nothing is scored
    basis: str


def _figure(figures: Figures, name: str) -> dict[str, Any] | None:
    figure = figures.get(name)
    return figure if figure and figure.get("available") else None


def _missing(figures: Figures, name: str, what: str) -> Deduction:
    figure = figures.get(name) or {}
    return Deduction(None, f"{what}暂缺：{figure.get('reason') or '来源服务未应答'}")


def _benefit(figures: Figures, code: str) -> dict[str, Any] | None:
    rows = (_figure(figures, "disbursement") or {}).get("benefits", [])
    return next((row for row in rows if row["benefit"] == code), None)


def _capped(count: int, each: Decimal, cap: Decimal) -> Decimal:
    return min(each * count, cap)


def assistance_paid_in_period(figures: Figures, cap: Decimal) -> Deduction:
    if _figure(figures, "disbursement") is None:
        return _missing(figures, "disbursement", "发放到位率")
    row = _benefit(figures, "special_assistance")
    if row is None or row["due"] == 0:
        return Deduction(Decimal("0"), "本期没有应发的特别扶助金")
    basis = f"特别扶助金应发 {row['due']} 笔，已发放 {row['paid']} 笔，到位率 {row['rate_percent']}%"
    return Deduction(cap if row["paid"] < row["due"] else Decimal("0"), basis)


def _subsidy(figures: Figures, code: str, name: str, cap: Decimal) -> Deduction:
    entitled = _figure(figures, "entitled")
    if entitled is None:
        return _missing(figures, "entitled", "应享人数")
    if _figure(figures, "disbursement") is None:
        return _missing(figures, "disbursement", "发放到位率")
    persons = next((row for row in entitled["benefits"] if row["benefit"] == code), None)
    if persons and persons["unknown"]:
        return Deduction(None, f"{name}应享 {persons['recipients']} 人，但资助额未在本系统配置，"
                               "发放不经本系统：需与主管部门的名单比对")
    row = _benefit(figures, code)
    if row is None or row["due"] == 0:
        return Deduction(Decimal("0"), f"本期没有应发的{name}")
    missed = row["due"] - row["paid"]
    return Deduction(_capped(missed, Decimal("1"), cap), f"{name}应发 {row['due']} 人次，已发放 {row['paid']} 人次，"
                                                           f"未发放 {missed} 人次（每例扣 1 分）")


def pension_subsidy_paid(figures: Figures, cap: Decimal) -> Deduction:
    return _subsidy(figures, "pension_premium_subsidy", "城乡居民养老保险缴费补贴", cap)


def medical_insurance_subsidy_paid(figures: Figures, cap: Decimal) -> Deduction:
    return _subsidy(figures, "medical_insurance_premium_subsidy", "城乡居民基本医疗保险个人缴费资助", cap)


def cards_issued(figures: Figures, cap: Decimal) -> Deduction:
    cards = _figure(figures, "cards")
    if cards is None or cards.get("qualifying") is None:
        return _missing(figures, "cards", "发卡情况")
    basis = f"符合条件 {cards['qualifying']} 人，持有效卡 {cards['with_active_card']} 人，未发卡 {cards['without_card']} 人"
    return Deduction(cap if cards["without_card"] else Decimal("0"), basis)


def certificates_in_hand(figures: Figures, cap: Decimal) -> Deduction:
    cards = _figure(figures, "cards")
    if cards is None or cards.get("qualifying") is None:
        return _missing(figures, "cards", "发卡情况")
    return Deduction(_capped(cards["without_card"], Decimal("2"), cap),
                     f"符合条件而未持有效优诊证（就医优先卡）{cards['without_card']} 人（每例扣 2 分）")


def festival_visits(figures: Figures, cap: Decimal) -> Deduction:
    compliance = _figure(figures, "liaison_compliance")
    if compliance is None:
        return _missing(figures, "liaison_compliance", "联系人履职情况")
    festivals = [duty for duty in compliance.get("duties", []) if duty["kind"] == "festival_visit"]
    if not festivals:
        return Deduction(Decimal("0"), "本期没有到期的节日走访")
    missed = sum(duty["missed"] for duty in festivals)
    parts = "；".join(f"{duty['name']}应走访 {duty['families_due']} 户，已走访 {duty['families_met']} 户" for duty in festivals)
    return Deduction(_capped(missed, Decimal("2"), cap), f"{parts}；未走访 {missed} 户次（每例扣 2 分）")


def liaison_support(figures: Figures, cap: Decimal) -> Deduction:
    compliance = _figure(figures, "liaison_compliance")
    if compliance is None:
        return _missing(figures, "liaison_compliance", "联系人履职情况")
    families = int(compliance.get("families", 0))
    if families == 0:
        return Deduction(Decimal("0"), "本期没有计划生育特殊家庭")
    liaisons, contacts = compliance["liaisons"], compliance["contacts"]
    deducted, parts = Decimal("0"), []
    if liaisons["families_with_liaison"] == 0:
        deducted += 5
        parts.append("没有一户确定了联系人（未建立联系人制度，扣 5 分）")
    else:
        parts.append(f"{liaisons['families_with_liaison']}/{families} 户确定了联系人")
    if contacts["contacts"] == 0:
        deducted += 5
        parts.append("本期没有联系人工作记录（扣 5 分）")
    without = families - contacts["families_with_contact"]
    if without:
        deducted += _capped(without, Decimal("1"), Decimal("5"))
        parts.append(f"{without} 户本期没有任何联系帮扶记录（每例扣 1 分，至多 5 分）")
    return Deduction(min(deducted, cap), "；".join(parts))


COMPUTATIONS: dict[str, Callable[[Figures, Decimal], Deduction]] = {
    "assistance_paid_in_period": assistance_paid_in_period,
    "pension_subsidy_paid": pension_subsidy_paid,
    "medical_insurance_subsidy_paid": medical_insurance_subsidy_paid,
    "cards_issued": cards_issued,
    "certificates_in_hand": certificates_in_hand,
    "festival_visits": festival_visits,
    "liaison_support": liaison_support,
}
