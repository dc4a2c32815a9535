"""Periods: the month, quarter and year forms as before, and half-years beside them."""

from datetime import date

import pytest

from tefu_common.periods import half_year_of, months_back, next_half_year, parse_half_year, parse_period


@pytest.mark.parametrize("text, first, last, frequency, zh", [
    ("2026-06", date(2026, 6, 1), date(2026, 6, 30), "monthly", "2026年6月"),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "monthly", "2024年2月"),
    ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30), "quarterly", "2026年第二季度"),
    ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), "quarterly", "2026年第四季度"),
    ("2026", date(2026, 1, 1), date(2026, 12, 31), "yearly", "2026年"),
    ("2026-H1", date(2026, 1, 1), date(2026, 6, 30), "half-yearly", "2026年上半年"),
    ("2026-H2", date(2026, 7, 1), date(2026, 12, 31), "half-yearly", "2026年下半年"),
])
def test_each_form_names_its_days_schedule_and_chinese_label(text, first, last, frequency, zh):
    period = parse_period(text)
    assert period is not None
    assert (period.label, period.first, period.last) == (text, first, last)
    assert period.frequency == frequency and period.label_zh == zh


@pytest.mark.parametrize("text", ["2026-H0", "2026-H3", "2026-h1", "2026-13", "2026-Q5", "26-H1", "2026H1", "", "2026-06-01"])
def test_what_is_no_period(text):
    assert parse_period(text) is None


def test_a_half_year_has_its_six_months():
    assert list(parse_period("2026-H1").months()) == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    assert list(parse_period("2026-H2").months())[0] == "2026-07"
    assert list(parse_period("2026-H2").months())[-1] == "2026-12"


def test_as_frequency_knows_half_years_and_keeps_the_others():
    assert parse_period("2026-08").as_frequency("half-yearly") == "2026-H2"
    assert parse_period("2026-Q2").as_frequency("half-yearly") == "2026-H1"
    assert parse_period("2026-H2").as_frequency("quarterly") == "2026-Q3"
    assert parse_period("2026-H2").as_frequency("monthly") == "2026-07"
    assert parse_period("2026-H2").as_frequency("yearly") == "2026"
    assert parse_period("2026-05").as_frequency("quarterly") == "2026-Q2"


def test_parse_half_year_takes_only_half_years():
    assert parse_half_year("2026-H1") == parse_period("2026-H1")
    for text in ("2026", "2026-Q1", "2026-06", "2026-H3", "nonsense"):
        assert parse_half_year(text) is None


def test_the_half_year_of_a_day_and_the_next():
    assert half_year_of(date(2026, 6, 30)).label == "2026-H1"
    assert half_year_of(date(2026, 7, 1)).label == "2026-H2"
    assert half_year_of(date(2026, 1, 1)).label == "2026-H1"
    assert next_half_year(parse_period("2026-H1")).label == "2026-H2"
    assert next_half_year(parse_period("2026-H2")).label == "2027-H1"
    assert next_half_year(parse_period("2026-Q3")).label == "2027-H1"  # after the quarter's last day


def test_months_back_is_unchanged():
    assert months_back(date(2026, 3, 15), 3) == "2025-12"
    assert months_back(date(2026, 3, 15), 0) == "2026-03"
