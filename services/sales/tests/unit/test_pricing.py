"""Line and document totals: decimal arithmetic, each amount rounded half up to the cent."""

import uuid
from decimal import Decimal

import pytest

from infra.errors import ValidationFailed
from services.sales import pricing
from services.sales.models import Price, PriceBook, Product, Quote, QuoteLine

BOOK = PriceBook(id=uuid.uuid4(), name="Standard")


def line(quantity: str, unit_price: str, discount: str = "0") -> dict:
    return {
        "quantity": Decimal(quantity),
        "unit_price": Decimal(unit_price),
        "discount_percent": Decimal(discount),
    }


def widget(active: bool = True) -> Product:
    price = Price(price_book_id=BOOK.id, currency="EUR", unit_price=Decimal("19.99"))
    return Product(id=uuid.uuid4(), sku="W-1", name="Widget", active=active, prices=[price])


@pytest.mark.parametrize(
    ("amount", "cents"),
    [("0.005", "0.01"), ("0.004", "0.00"), ("2.675", "2.68"), ("-0.005", "-0.01")],
)
def test_to_cents_rounds_half_up_never_to_even(amount, cents):
    assert pricing.to_cents(Decimal(amount)) == Decimal(cents)


def test_a_lines_total_is_discounted_then_rounded_once():
    assert pricing.line_total(line("3", "19.99", "12.5")) == Decimal("52.47")  # 52.47375
    assert pricing.gross(line("3", "19.99", "12.5")) == Decimal("59.97")
    assert pricing.line_total(line("0.3333", "0.10")) == Decimal("0.03")


def test_totals_tax_the_discounted_net():
    lines = [line("3", "19.99", "12.5"), line("1", "0.01")]
    for priced in lines:
        priced["line_total"] = pricing.line_total(priced)

    assert pricing.totals(lines, Decimal("19")) == {
        "subtotal": Decimal("59.98"),
        "discount_total": Decimal("7.50"),
        "tax_total": Decimal("9.97"),  # 19% of 52.48 = 9.9712
        "total": Decimal("62.45"),
    }


def test_a_product_line_takes_the_books_price_and_the_products_name():
    product = widget()

    priced = pricing.priced_line(
        {"product_id": product.id, "quantity": Decimal(2)}, {product.id: product}, BOOK, "EUR"
    )

    assert (priced["description"], priced["unit_price"]) == ("Widget", Decimal("19.99"))
    assert priced["line_total"] == Decimal("39.98")
    assert priced["discount_percent"] == 0


ONE = Decimal(1)


@pytest.mark.parametrize(
    ("line_data", "currency", "field", "message"),
    [
        ({"quantity": ONE}, "EUR", "description", "Describe"),
        ({"description": "Setup", "quantity": ONE}, "EUR", "unit_price", "Give the unit price"),
        ({"product_id": "gone", "quantity": ONE}, "EUR", "product_id", "No product"),
        ({"product_id": "inactive", "quantity": ONE}, "EUR", "product_id", "is inactive"),
        ({"product_id": "widget", "quantity": ONE}, "CNY", "unit_price", "has no CNY price"),
        (
            {"product_id": "widget", "quantity": Decimal(10**12), "unit_price": Decimal(10**5)},
            "EUR",
            "quantity",
            "too large",
        ),
    ],
)
def test_a_line_that_cannot_be_priced_names_its_field(line_data, currency, field, message):
    products = {"widget": widget(), "inactive": widget(active=False)}

    with pytest.raises(pricing.LineError) as refused:
        pricing.priced_line(line_data, products, BOOK, currency)

    assert refused.value.field == field and message in refused.value.message


def test_write_lines_sets_the_totals_and_refuses_one_too_large():
    quote = Quote()
    lines = [{**line("2", "10.00"), "description": "Setup", "product_id": None}]
    lines[0]["line_total"] = pricing.line_total(lines[0])

    pricing.write_lines(quote, lines, QuoteLine, Decimal("7"))

    assert [(ql.position, ql.line_total) for ql in quote.lines] == [(0, Decimal("20.00"))]
    assert (quote.tax_total, quote.total) == (Decimal("1.40"), Decimal("21.40"))
    huge = {**lines[0], "line_total": pricing.LARGEST_AMOUNT}
    with pytest.raises(ValidationFailed) as refused:
        pricing.write_lines(quote, [huge, huge], QuoteLine, Decimal(0))
    assert list(refused.value.errors) == ["lines"]
