"""The shared wire fields: what they accept, and a clear message for what they refuse."""

from decimal import Decimal

import pytest
from marshmallow import Schema, ValidationError

from infra.fields import Country, Currency, Money, OneOrMany


class Shape(Schema):
    amount = Money()
    currency = Currency()
    country = Country()
    tags = OneOrMany(Country())


def test_good_values_load_in_their_canonical_form():
    loaded = Shape().load({"amount": "12.50", "currency": "cny", "country": " de", "tags": "cn"})

    assert loaded == {
        "amount": Decimal("12.50"),
        "currency": "CNY",
        "country": "DE",
        "tags": ["CN"],
    }
    assert Shape().dump({"amount": Decimal("12.50")}) == {"amount": "12.50"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "-1"}, "negative"),
        ({"amount": 0.1}, "decimal strings"),
        ({"amount": "1.005"}, "two decimal places"),
        ({"amount": "NaN"}, "not permitted"),
        ({"currency": "ABC"}, "Unknown currency"),
        ({"currency": "XAU"}, "Unknown currency"),
        ({"country": "XX"}, "country code"),
        ({"country": "China"}, "country code"),
    ],
)
def test_bad_values_are_refused_saying_why(data, message):
    with pytest.raises(ValidationError) as refused:
        Shape().load(data)

    [field] = data
    assert message in refused.value.messages[field][0]
