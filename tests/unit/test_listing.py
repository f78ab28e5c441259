"""List cursors: a page's last sort value and id, given back with its type, and only for the
sort it was issued for."""

import base64
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from infra import listing
from infra.errors import ValidationFailed
from services.customers.models import Contact
from services.sales.models import Opportunity

ROW_ID = uuid.UUID("534f45ff-1dca-417f-83f1-0aec28440936")


@pytest.mark.parametrize(
    ("value", "column"),
    [
        (datetime(2026, 12, 3, 8, 30, 0, 123456, tzinfo=UTC), Contact.created_at),
        (date(2026, 12, 31), Opportunity.expected_close_date),
        (Decimal("7000.50"), Opportunity.amount),
        ("张", Contact.last_name),
    ],
)
def test_a_cursor_gives_back_its_sort_value_with_its_type_and_the_row_id(value, column):
    cursor = listing._encode(value, ROW_ID)

    assert "=" not in cursor
    decoded = listing._decode(cursor, column, Contact.id)
    assert decoded == (value, ROW_ID) and type(decoded[0]) is type(value)


@pytest.mark.parametrize(
    "cursor",
    [
        listing._encode("Li", ROW_ID),  # issued for a sort by name
        listing._encode(date(2026, 12, 3), ROW_ID),  # a date is not a datetime
        listing._encode(datetime(2026, 12, 3, tzinfo=UTC), "not-a-uuid"),
        base64.urlsafe_b64encode(b'[{"dt": "yesterday"}, "x"]').decode(),
        base64.urlsafe_b64encode(b'{"value": 1}').decode(),
        "not base64 at all!",
        "",
    ],
    ids=["another sort", "a date", "a bad id", "a bad datetime", "no pair", "not base64", "empty"],
)
def test_a_forged_cursor_or_one_of_another_sort_is_a_422_naming_cursor(cursor):
    with pytest.raises(ValidationFailed) as refused:
        listing._decode(cursor, Contact.created_at, Contact.id)

    assert list(refused.value.errors) == ["cursor"]


def test_a_sort_is_a_field_ascending_or_with_a_minus_descending():
    allowed = {"amount": Opportunity.amount, "created_at": Opportunity.created_at}

    assert listing.parse_sort("amount", allowed) == ("amount", False)
    assert listing.parse_sort("-created_at", allowed) == ("created_at", True)
    with pytest.raises(ValidationFailed) as refused:
        listing.parse_sort("-password", allowed)
    assert refused.value.errors == {"sort": ["Must be one of: amount, created_at."]}
