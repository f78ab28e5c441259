"""marshmallow fields every service's wire shapes use: ISO countries and currencies, money as
a decimal string, lists that also take one bare value (repeated query parameters), and a schema
base that trims text."""

from decimal import Decimal

import pycountry
from marshmallow import Schema, ValidationError, fields, pre_load

# ISO 4217 codes that are not money one prices in: metals, funds, test and "no currency".
NOT_MONEY = {
    "XAG",
    "XAU",
    "XBA",
    "XBB",
    "XBC",
    "XBD",
    "XDR",
    "XPD",
    "XPT",
    "XSU",
    "XTS",
    "XUA",
    "XXX",
}


class Country(fields.String):
    """An ISO 3166-1 alpha-2 code, in either case on the way in, upper case stored."""

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
            raise ValidationError("Must be an ISO 3166 country code, like CN or DE.")
        return code


class Currency(fields.String):
    """An ISO 4217 currency code, like EUR or CNY."""

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if len(code) != 3 or code in NOT_MONEY or pycountry.currencies.get(alpha_3=code) is None:
            raise ValidationError(f"Unknown currency {value!r}: use an ISO 4217 code like EUR.")
        return code


class Money(fields.Decimal):
    """An amount as a decimal string ("1234.50"), never a float, not negative, at most two
    decimal places. Floats on the way in are refused: 0.1 + 0.2 is not money."""

    def __init__(self, **kwargs):
        # The OpenAPI document says what travels: a string, not a JSON number.
        kwargs["metadata"] = {"type": "string", "example": "1234.50", **kwargs.get("metadata", {})}
        super().__init__(places=None, as_string=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, float):
            raise ValidationError('Send amounts as decimal strings, like "1234.50".')
        amount = super()._deserialize(value, attr, data, **kwargs)
        if amount < 0:
            raise ValidationError("Must not be negative.")
        if amount != amount.quantize(Decimal("0.01")):
            raise ValidationError("At most two decimal places.")
        return amount


class OneOrMany(fields.List):
    """A list that also takes one bare value: `?tag=vip` as well as `?tag=vip&tag=2026`."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(
            value if isinstance(value, list | tuple) else [value], attr, data, **kwargs
        )


class Trimmed(Schema):
    """A schema whose text fields drop surrounding spaces, which are never meant: "  Ada "
    loads as "Ada", and "" or "  " as null (the field is then cleared, or missing if required)."""

    @pre_load
    def strip_strings(self, data, **kwargs):
        if not isinstance(data, dict):
            return data
        return {
            key: (value.strip() or None) if isinstance(value, str) and key in self.fields else value
            for key, value in data.items()
        }
