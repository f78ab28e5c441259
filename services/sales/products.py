"""Products: what is sold, by SKU, with a unit price per price book and currency."""

import uuid
from decimal import Decimal

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from contracts.sales import product_read
from infra import records
from infra.context import Actor
from infra.errors import Conflict, ValidationFailed
from services.sales import events, price_books
from services.sales.models import OrderLine, Price, PriceBook, Product, QuoteLine

SORTABLE = {
    "created_at": Product.created_at,
    "updated_at": Product.updated_at,
    "sku": Product.sku,
    "name": func.lower(Product.name),
}


def get(*, session: Session, record_id) -> Product:
    return records.get(session, Product, record_id)


def get_all(*, session: Session, params: dict, actor: Actor) -> tuple[list[Product], str | None]:
    query = select(Product)
    if "active" in params:
        query = query.where(Product.active == params["active"])
    if "q" in params:
        pattern = records.substring(params["q"].lower())
        query = query.where(
            func.lower(Product.sku).like(pattern, escape="\\")
            | func.lower(Product.name).like(pattern, escape="\\")
        )
    priced = [Price.product_id == Product.id]
    if "price_book_id" in params:
        priced.append(Price.price_book_id == params["price_book_id"])
    if "currency" in params:
        priced.append(Price.currency == params["currency"])
    if len(priced) > 1:
        query = query.where(exists().where(*priced))
    return records.list_page(session, query, Product, params, SORTABLE)


def create(*, session: Session, data: dict, actor: Actor) -> Product:
    data = dict(data)
    prices = checked_prices(session, data.pop("prices", []))
    check_sku(session, data["sku"])
    product = Product(**data)
    set_prices(product, prices)
    with records.unique(session, "sku", f"Another product has the SKU {data['sku']!r}."):
        return events.created(session, product, product_read, actor)


def update(*, session: Session, record_id, changes: dict, actor: Actor) -> Product:
    product = get(session=session, record_id=record_id)
    changes = dict(changes)
    if "prices" in changes:
        changes["prices"] = checked_prices(session, changes["prices"])
    sku = changes.get("sku", product.sku)
    if sku != product.sku:
        check_sku(session, sku)
    with records.unique(session, "sku", f"Another product has the SKU {sku!r}."):
        events.updated(session, product, changes, product_read, actor, ACCESSORS)
    return product


def delete(*, session: Session, record_id, actor: Actor) -> None:
    product = get(session=session, record_id=record_id)
    for line_model in (QuoteLine, OrderLine):
        if session.scalar(select(exists().where(line_model.product_id == product.id))):
            raise Conflict(f"{product.sku} is on quotes or orders: deactivate it instead.")
    events.deleted(session, product, actor, sku=product.sku)


def check_sku(session: Session, sku: str) -> None:
    existing = session.scalar(select(Product).where(Product.sku == sku))
    if existing is not None:
        message = f"Another product has the SKU {sku!r}."
        raise Conflict(message, {"sku": [message]}, {"existing": product_read.dump(existing)})


def checked_prices(session: Session, prices: list[dict]) -> list[dict]:
    """The prices as stored and compared (`price_entry`), the default book where none is named;
    a 422 naming each price whose book does not exist or that is given twice."""
    if not prices:
        return []
    default_id = price_books.default(session).id
    books = set(session.scalars(select(PriceBook.id)))
    checked, seen, errors = [], set(), {}
    for index, price in enumerate(prices):
        book_id = price.get("price_book_id") or default_id
        if book_id not in books:
            errors[str(index)] = {"price_book_id": [f"No price book with id {book_id}."]}
        elif (book_id, price["currency"]) in seen:
            message = f"A second {price['currency']} price in the same book."
            errors[str(index)] = {"currency": [message]}
        seen.add((book_id, price["currency"]))
        checked.append(price_entry(book_id, price["currency"], price["unit_price"]))
    if errors:
        raise ValidationFailed("Some prices are wrong.", {"prices": errors})
    return sorted(checked, key=price_key)


def price_entry(price_book_id, currency: str, unit_price: Decimal) -> dict:
    """A price as events show it and changes compare it."""
    return {
        "price_book_id": str(price_book_id),
        "currency": currency,
        "unit_price": f"{unit_price:.2f}",
    }


def price_key(entry: dict) -> tuple[str, str]:
    return entry["price_book_id"], entry["currency"]


def current_prices(product: Product) -> list[dict]:
    entries = (price_entry(p.price_book_id, p.currency, p.unit_price) for p in product.prices)
    return sorted(entries, key=price_key)


def set_prices(product: Product, entries: list[dict]) -> None:
    """Make the product's prices exactly `entries`, keeping the rows whose book and currency
    stay (a replaced row would clash with its successor on the unique key in one flush)."""
    kept = {(str(price.price_book_id), price.currency): price for price in product.prices}
    rows = []
    for entry in entries:
        row = kept.get(price_key(entry)) or Price(
            price_book_id=uuid.UUID(entry["price_book_id"]), currency=entry["currency"]
        )
        row.unit_price = Decimal(entry["unit_price"])
        rows.append(row)
    product.prices = rows


ACCESSORS = {"prices": (current_prices, set_prices)}
