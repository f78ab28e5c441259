"""Forecast and quota periods: months and quarters, their months and their first and last days."""

from datetime import date

import pytest

from services.sales import periods


@pytest.mark.parametrize(
    ("period", "months"),
    [
        ("2026-11", ["2026-11"]),
        ("2026-Q1", ["2026-01", "2026-02", "2026-03"]),
        ("2026-Q4", ["2026-10", "2026-11", "2026-12"]),
    ],
)
def test_a_period_spans_its_months(period, months):
    assert periods.months_of(period) == months


@pytest.mark.parametrize(
    ("period", "first", "last"),
    [
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29)),  # a leap year
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
    ],
)
def test_bounds_are_the_first_and_last_day(period, first, last):
    assert periods.bounds(period) == (first, last)


@pytest.mark.parametrize(
    ("day", "quarter"),
    [
        (date(2026, 1, 1), "2026-Q1"),
        (date(2026, 3, 31), "2026-Q1"),
        (date(2026, 4, 1), "2026-Q2"),
        (date(2026, 12, 31), "2026-Q4"),
    ],
)
def test_a_day_is_in_its_quarter(day, quarter):
    assert periods.quarter_of(day) == quarter
    first, last = periods.bounds(quarter)
    assert first <= day <= last
