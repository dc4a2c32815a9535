"""The rows of a return Tefu fills itself, each from one figure the report gathering already has.

A computation names the figure it reads (:func:`tefu_supervision.figures.gather.gather` asks only
for those a return needs) and answers the value with its basis in Chinese. A figure whose service
did not answer gives no value: the row says the data is missing and is left to the district,
never filled with a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

Figures = dict[str, Any]


@dataclass(frozen=True)
class Value:
    value: int | Decimal
    basis: str


@dataclass(frozen=True)
class Computation:
    figure: str  # the figure of the gathering it reads
    compute: Callable[[dict[str, Any]], Value]
    benefit: str | None = None  # a cash benefit whose disbursement the figure must include


def _benefit(figure: dict[str, Any], code: str) -> dict[str, Any] | None:
    return next((row for row in figure.get("benefits", []) if row["benefit"] == code), None)


def _special_families(figure: dict[str, Any]) -> Value:
    return Value(int(figure["special"]), f"登记在册的计划生育特殊家庭 {figure['special']} 户")


def _green_channel_visits(figure: dict[str, Any]) -> Value:
    return Value(int(figure["visits"]), f"定点医院登记的优先就诊 {figure['visits']} 人次，"
                                        f"涉及 {figure['hospitals_used']} 家医院")


def _families_with_liaison(figure: dict[str, Any]) -> Value:
    with_liaison = int(figure["liaisons"]["families_with_liaison"])
    return Value(with_liaison, f"本期末 {figure['families']} 户中已确定帮扶联系人 {with_liaison} 户")


def _paid(code: str, name: str, unit: str) -> Callable[[dict[str, Any]], Value]:
    def compute(figure: dict[str, Any]) -> Value:
        row = _benefit(figure, code)
        if row is None:
            return Value(0, f"本期没有应发的{name}")
        return Value(int(row["paid"]), f"{name}应发 {row['due']} {unit}，已发放 {row['paid']} {unit}，"
                                       f"发放金额 {row['paid_amount']} 元")
    return compute


def _paid_amount(code: str, name: str) -> Callable[[dict[str, Any]], Value]:
    def compute(figure: dict[str, Any]) -> Value:
        row = _benefit(figure, code)
        if row is None:
            return Value(Decimal("0.00"), f"本期没有应发的{name}")
        return Value(Decimal(row["paid_amount"]), f"{name}应发金额 {row['due_amount']} 元，已发放 {row['paid_amount']} 元")
    return compute


COMPUTATIONS: dict[str, Computation] = {
    "special_families": Computation("families", _special_families),
    "green_channel_visits": Computation("green_channel", _green_channel_visits),
    "families_with_liaison": Computation("liaison_compliance", _families_with_liaison),
    "special_assistance_paid": Computation("disbursement", _paid("special_assistance", "特别扶助金", "人次"),
                                           benefit="special_assistance"),
    "rebirth_grant_paid": Computation("disbursement", _paid("rebirth_grant", "再生育扶助金", "户"),
                                      benefit="rebirth_grant"),
    "rebirth_grant_paid_amount": Computation("disbursement", _paid_amount("rebirth_grant", "再生育扶助金"),
                                             benefit="rebirth_grant"),
}
