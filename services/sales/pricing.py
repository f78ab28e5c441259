"""Lines and totals of quotes and orders, in decimal arithmetic rounded half up to cents
(`schemas.TOTALS_RULE` states the rule for the API's readers).

A line names a product or describes itself; its unit price defaults to the product's price in
the document's price book and currency. Every line is checked before anything is written, and
each problem is reported at its line: `{"lines": {"2": {"unit_price": [...]}}}`.
"""

from decimal import ROUND_HALF_UP, Decimal, localcontext

from sqlalchemy import select
from sqlalchemy.orm import Session

from infra.errors import ValidationFailed
from services.sales.models import PriceBook, Product

CENT = Decimal("0.01")
LARGEST_AMOUNT = Decimal("9999999999999999.99")  # NUMERIC(18, 2)
# Quantities have 4 places and 12 digits, prices 2 and 16: room for every digit of a product.
PRECISION = 50


def to_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def gross(line: dict) -> Decimal:
    with localcontext(prec=PRECISION):
        return to_cents(line["quantity"] * line["unit_price"])


def line_total(line: dict) -> Decimal:
    with localcontext(prec=PRECISION):
        kept = 1 - line["discount_percent"] / 100
        return to_cents(line["quantity"] * line["unit_price"] * kept)


def totals(lines: list[dict], tax_rate: Decimal) -> dict[str, Decimal]:
    subtotal = sum((gross(line) for line in lines), Decimal(0))
    net = sum((line["line_total"] for line in lines), Decimal(0))
    with localcontext(prec=PRECISION):
        tax_total = to_cents(net * tax_rate / 100)
    return {
        "subtotal": subtotal,
        "discount_total": subtotal - net,
        "tax_total": tax_total,
        "total": net + tax_total,
    }


def priced_lines(
    session: Session, lines: list[dict], *, book: PriceBook, currency: str
) -> list[dict]:
    """The lines with their descriptions, unit prices and totals filled in; a 422 naming each
    line that names an unknown or inactive product or has no price."""
    products = {
        product.id: product
        for product in session.scalars(
            select(Product).where(Product.id.in_({line.get("product_id") for line in lines}))
        )
    }
    priced, errors = [], {}
    for index, line in enumerate(lines):
        try:
            priced.append(priced_line(line, products, book, currency))
        except LineError as problem:
            errors[str(index)] = {problem.field: [problem.message]}
    if errors:
        raise ValidationFailed("Some lines cannot be priced.", {"lines": errors})
    return priced


class LineError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def priced_line(line: dict, products: dict, book: PriceBook, currency: str) -> dict:
    product = None
    if line.get("product_id") is not None:
        product = products.get(line["product_id"])
        if product is None:
            raise LineError("product_id", f"No product with id {line['product_id']}.")
        if not product.active:
            raise LineError("product_id", f"{product.sku} ({product.name}) is inactive.")
    description = line.get("description") or (product.name if product else None)
    if description is None:
        raise LineError("description", "Describe a line that names no product.")
    unit_price = line.get("unit_price")
    if unit_price is None:
        unit_price = list_price(product, book, currency)
    priced = {
        "product_id": product.id if product else None,
        "description": description[:500],
        "quantity": line["quantity"],
        "unit_price": unit_price,
        "discount_percent": line.get("discount_percent", Decimal(0)),
    }
    priced["line_total"] = line_total(priced)
    if gross(priced) > LARGEST_AMOUNT:
        raise LineError("quantity", "The line's amount is too large.")
    return priced


def list_price(product: Product | None, book: PriceBook, currency: str) -> Decimal:
    if product is None:
        raise LineError("unit_price", "Give the unit price of a line that names no product.")
    for price in product.prices:
        if price.price_book_id == book.id and price.currency == currency:
            return price.unit_price
    raise LineError(
        "unit_price",
        f"{product.sku} has no {currency} price in the price book {book.name!r}: give one.",
    )


def write_lines(document, lines: list[dict], line_model: type, tax_rate: Decimal) -> None:
    """Set a quote's or an order's lines (in their order), tax rate and totals."""
    amounts = totals(lines, tax_rate)
    if amounts["total"] > LARGEST_AMOUNT:
        raise ValidationFailed("The total is too large.", {"lines": ["The total is too large."]})
    document.lines = [line_model(position=index, **line) for index, line in enumerate(lines)]
    document.tax_rate = tax_rate
    for name, amount in amounts.items():
        setattr(document, name, amount)


LINE_FIELDS = ("product_id", "description", "quantity", "unit_price", "discount_percent")


def line_values(line) -> dict:
    """A stored line as `priced_lines` gives one: to copy it, or compare it with new ones."""
    return {name: getattr(line, name) for name in (*LINE_FIELDS, "line_total")}


def accessors(line_model: type) -> dict:
    """How `events.updated` reads and writes a document's lines and tax rate: a change to
    either rewrites the lines and the totals."""

    def read_lines(document) -> list[dict]:
        return [line_values(line) for line in document.lines]

    def replace_lines(document, lines: list[dict]) -> None:
        write_lines(document, lines, line_model, document.tax_rate)

    def change_tax_rate(document, tax_rate: Decimal) -> None:
        write_lines(document, read_lines(document), line_model, tax_rate)

    return {
        "lines": (read_lines, replace_lines),
        "tax_rate": (lambda document: document.tax_rate, change_tax_rate),
    }
