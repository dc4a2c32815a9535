"""The payment period a day falls in, as the payments service names periods."""

from __future__ import annotations

from datetime import date

from tefu_common.calendar import today


def period_of(day: date, frequency: str) -> str:
    if frequency == "yearly":
        return f"{day.year}"
    if frequency == "quarterly":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def this_month() -> str:
    return period_of(today(), "monthly")


def period_zh(label: str) -> str:
    """2026-Q4 → 2026年第4季度; 2026-12 → 2026年12月; 2026 → 2026年."""
    if len(label) == 4:
        return f"{label}年"
    year, rest = label.split("-", 1)
    return f"{year}年第{rest[1:]}季度" if rest.startswith("Q") else f"{year}年{int(rest)}月"


def recent_periods(day: date, *, months: int = 12, quarters: int = 8, years: int = 3) -> list[tuple[str, list[str]]]:
    """The periods a selector offers, newest first: the last months, quarters and years (this one included)."""
    index = day.year * 12 + day.month - 1
    month_list = [f"{(index - i) // 12:04d}-{(index - i) % 12 + 1:02d}" for i in range(months)]
    quarter_index = day.year * 4 + (day.month - 1) // 3
    quarter_list = [f"{(quarter_index - i) // 4}-Q{(quarter_index - i) % 4 + 1}" for i in range(quarters)]
    year_list = [f"{day.year - i}" for i in range(years)]
    return [("月", month_list), ("季度", quarter_list), ("年", year_list)]
