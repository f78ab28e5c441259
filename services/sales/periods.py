"""Forecast and quota periods: a month (`2026-11`) or a quarter (`2026-Q4`), as the schemas'
`Period` field accepts them."""

import calendar
from datetime import date


def is_quarter(period: str) -> bool:
    return period[5] == "Q"


def months_of(period: str) -> list[str]:
    """The months a period spans: itself, or a quarter's three."""
    if not is_quarter(period):
        return [period]
    first = (int(period[6]) - 1) * 3 + 1
    return [f"{period[:4]}-{month:02d}" for month in range(first, first + 3)]


def bounds(period: str) -> tuple[date, date]:
    """The first and the last day of the period."""
    months = months_of(period)
    year, first, last = int(period[:4]), int(months[0][5:]), int(months[-1][5:])
    return date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1])


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
