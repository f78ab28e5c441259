"""The next birthday of a contact, across the new year and for those born on 29 February."""

from datetime import date

import pytest

from services.customers.birthdays import next_birthday


@pytest.mark.parametrize(
    ("born", "today", "next_one"),
    [
        (date(1990, 12, 3), date(2026, 12, 3), date(2026, 12, 3)),  # today
        (date(1990, 12, 31), date(2026, 12, 3), date(2026, 12, 31)),
        (date(1990, 1, 2), date(2026, 12, 30), date(2027, 1, 2)),  # across the new year
        (date(2000, 2, 29), date(2026, 2, 1), date(2026, 3, 1)),  # no 29 February this year
        (date(2000, 2, 29), date(2027, 12, 1), date(2028, 2, 29)),
    ],
)
def test_the_next_birthday_is_this_years_or_next_years(born, today, next_one):
    assert next_birthday(born, today) == next_one
