"""marshmallow fields every service's wire shapes use: ISO countries and currencies, money as
a decimal string, lists that also take one bare value (repeated query parameters), and a schema
base that trims text."""

from decimal import Decimal

import pycountry
from marshmallow import Schema, ValidationError, fields, pre_load, validate

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


COUNTRIES = sorted(country.alpha_2 for country in pycountry.countries)
CURRENCIES = sorted(c.alpha_3 for c in pycountry.currencies if c.alpha_3 not in NOT_MONEY)


class Country(fields.String):
    """An ISO 3166-1 alpha-2 code, in either case on the way in, upper case stored."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # The codes it takes, for the OpenAPI document (`_deserialize` refuses others first).
        self.validators.append(validate.OneOf(COUNTRIES))

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
            raise ValidationError("Must be an ISO 3166 country code, like CN or DE.")
        return code


class Currency(fields.String):
    """An ISO 4217 currency code, like EUR or CNY."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(validate.OneOf(CURRENCIES))

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if len(code) != 3 or code in NOT_MONEY or pycountry.currencies.get(alpha_3=code) is None:
            raise ValidationError(f"Unknown currency {value!r}: use an ISO 4217 code like EUR.")
        return code


# What NUMERIC(18, 2), the columns money is kept in, holds.
MONEY_LIMIT = Decimal(10) ** 16


def decimal_string(places: int, validators) -> dict:
    """The JSON Schema of a decimal sent as a string, its `Range` bounds written into the
    pattern (JSON Schema bounds a number, not a string): what a client or a fuzzer generates
    from it loads. A bound must be 0 or a power of ten to be written so."""
    low, low_inclusive, high, high_inclusive = _bounds(validators)
    if low not in (None, 0):
        raise ValueError(f"A decimal string's lower bound must be 0 or none, not {low}.")
    if high is None:
        number = r"[0-9]+"
    else:
        exponent = len(str(int(high))) - 1
        if high != 10**exponent:
            raise ValueError(f"A decimal string's upper bound must be a power of ten, not {high}.")
        number = rf"[0-9]{{1,{exponent}}}"
    fraction = rf"(\.[0-9]{{1,{places}}})?" if places else ""
    alternatives = [number + fraction]
    if high is not None and high_inclusive:
        alternatives.insert(0, f"{int(high)}" + (rf"(\.0{{1,{places}}})?" if places else ""))
    sign = "-?" if low is None else ""
    schema = {
        "type": "string",
        "format": "decimal",
        "pattern": f"^{sign}({'|'.join(alternatives)})$",
    }
    if low == 0 and not low_inclusive:
        schema["not"] = {"pattern": r"^0*(\.0*)?$"}
    return schema


def _bounds(validators) -> tuple:
    """The tightest (low, low_inclusive, high, high_inclusive) of a field's `Range`s."""
    ranges = [v for v in validators if isinstance(v, validate.Range)]
    lows = [(r.min, r.min_inclusive) for r in ranges if r.min is not None]
    highs = [(r.max, r.max_inclusive) for r in ranges if r.max is not None]
    # The tightest bound first; of two equal ones, the exclusive one (False sorts first).
    low, low_inclusive = max(lows, key=lambda b: (b[0], not b[1]), default=(None, True))
    high, high_inclusive = min(highs, default=(None, True))
    return low, low_inclusive, high, high_inclusive


def more_places_than(number: Decimal, places: int) -> bool:
    """Whether `number` has more than `places` decimal places, trailing zeros not counted
    ("1.500" has two). Exact at any size, where `quantize` fails past 28 digits."""
    _, digits, exponent = number.as_tuple()
    beyond = -places - exponent  # digits written past the last allowed place
    return beyond > 0 and any(digits[-beyond:])


class Money(fields.Decimal):
    """An amount as a decimal string ("1234.50"), never a float, at most two decimal places,
    not negative unless `signed` (a difference, such as the gap to a quota). Floats on the way
    in are refused: 0.1 + 0.2 is not money."""

    def __init__(self, signed: bool = False, **kwargs):
        super().__init__(places=None, as_string=True, **kwargs)
        if not signed:
            self.validators.append(validate.Range(min=0, error="Must not be negative."))
        self.validators.append(
            validate.Range(
                max=MONEY_LIMIT, max_inclusive=False, error=f"Must be less than {MONEY_LIMIT:,}."
            )
        )
        # Documented as what travels: a string (apispec would say "number" for a Decimal).
        self.metadata = {
            **decimal_string(2, self.validators),
            "example": "1234.50",
            **self.metadata,
        }

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, float):
            raise ValidationError('Send amounts as decimal strings, like "1234.50".')
        amount = super()._deserialize(value, attr, data, **kwargs)
        if more_places_than(amount, 2):
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
