"""What makes two contacts the same person: normalized emails and phones."""

import pytest

from services.customers.matching import normalize_email, normalize_phone


def test_an_email_is_trimmed_and_lower_cased():
    assert normalize_email("  Zhang.Wei@Example.CN ") == "zhang.wei@example.cn"


@pytest.mark.parametrize(
    ("number", "country", "normalized"),
    [
        ("+86 152 8749 2460", None, "+8615287492460"),
        ("152 8749 2460", "CN", "+8615287492460"),  # the contact's country gives the code
        ("030 1234567", "DE", "+49301234567"),
        ("(269)785-6039", None, "2697856039"),  # no country: its digits
        ("269.785.6039", None, "2697856039"),
        ("12 x34", None, "12"),  # an extension is not part of the number
    ],
)
def test_a_phone_is_e164_when_it_parses_else_its_digits(number, country, normalized):
    assert normalize_phone(number, country) == normalized
