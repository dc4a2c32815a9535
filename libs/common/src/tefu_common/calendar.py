"""Dates are calendar dates in China (Asia/Shanghai), whatever the server's time zone."""

from datetime import date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")  # no daylight saving since 1991


def today() -> date:
    return datetime.now(CHINA).date()
