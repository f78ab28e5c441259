"""A quote as a printable HTML page: the lines, totals, currency and validity, with every piece
of user text escaped. The browser's print dialog makes it a PDF; rendering PDFs here would take
a layout engine (and its fonts for every script) in every instance of the service."""

from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session

from infra.errors import Gone, Moved, NotFound
from services.sales import quotes
from services.sales.models import Product

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
)


def render(*, session: Session, quote_id, customers) -> str:
    quote = quotes.get(session=session, record_id=quote_id)
    product_ids = {line.product_id for line in quote.lines if line.product_id}
    rows = session.execute(select(Product.id, Product.sku).where(Product.id.in_(product_ids)))
    skus = {product_id: sku for product_id, sku in rows}
    return TEMPLATES.get_template("quote.html").render(
        quote=quote,
        account=found(customers.get_account, quote.account_id),
        contact=found(customers.get_contact, quote.contact_id),
        skus=skus,
        money=money,
        decimal=decimal,
    )


def found(fetch, record_id) -> dict | None:
    """The customer record, or None if it is gone since: the page then shows its id."""
    if record_id is None:
        return None
    try:
        return fetch(str(record_id))
    except (NotFound, Gone, Moved):
        return None


def money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def decimal(number: Decimal) -> str:
    return format(number.normalize(), ",f")
