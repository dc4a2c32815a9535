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
