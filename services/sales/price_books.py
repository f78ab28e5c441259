"""Price books: named lists of product prices (list prices, partner prices...). Exactly one is
the default, which quotes and prices use when they name none. The default book is seeded the
first time any book is needed, with a fixed id and an insert that skips existing rows, so
instances starting at once cannot make two (a unique index allows one default at most)."""

import uuid

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from contracts.sales import price_book_read
from infra import records
from infra.context import Actor
from infra.db import insert_or_ignore, utcnow
from infra.errors import Conflict
from services.sales import events
from services.sales.models import PriceBook, Quote

DEFAULT_ID = uuid.UUID("5a1e5b00-0000-4000-8000-000000000000")
DEFAULT_NAME = "Standard"
SORTABLE = {
    "created_at": PriceBook.created_at,
    "updated_at": PriceBook.updated_at,
    "name": func.lower(PriceBook.name),
}


def default(session: Session) -> PriceBook:
    book = session.scalar(select(PriceBook).where(PriceBook.is_default))
    if book is None:
        seed_default(session)
        book = session.scalar(select(PriceBook).where(PriceBook.is_default))
    return book


def seed_default(session: Session) -> None:
    now = utcnow()
    inserted = session.execute(
        insert_or_ignore(session, PriceBook).values(
            id=DEFAULT_ID,
            name=DEFAULT_NAME,
            is_default=True,
            active=True,
            created_at=now,
            updated_at=now,
            version=1,
        )
    ).rowcount
    if inserted:  # else another instance seeded it first
        book = session.get(PriceBook, DEFAULT_ID)
        events.publish(session, "price_book_created", price_book_read.dump(book), events.SYSTEM)


def get(*, session: Session, record_id) -> PriceBook:
    return records.get(session, PriceBook, record_id)


def for_pricing(session: Session, price_book_id) -> PriceBook:
    """The book a quote or an order is priced from: the named one, which must exist and be
    active, else the default."""
    if price_book_id is None:
        return default(session)
    book = session.get(PriceBook, price_book_id)
    records.require(book is not None, "price_book_id", f"No price book with id {price_book_id}.")
    records.require(book.active, "price_book_id", f"The price book {book.name!r} is inactive.")
    return book


def get_all(*, session: Session, params: dict, actor: Actor) -> tuple[list[PriceBook], str | None]:
    default(session)
    query = select(PriceBook)
    if "active" in params:
        query = query.where(PriceBook.active == params["active"])
    if "q" in params:
        pattern = records.substring(params["q"].lower())
        query = query.where(func.lower(PriceBook.name).like(pattern, escape="\\"))
    return records.list_page(session, query, PriceBook, params, SORTABLE)


def create(*, session: Session, data: dict, actor: Actor) -> PriceBook:
    current = default(session)
    check_name(session, data["name"])
    book = PriceBook(name=data["name"], is_default=False, active=data.get("active", True))
    take_default = prepare_default(book, data.get("is_default", False), book.active)
    if take_default:
        events.updated(session, current, {"is_default": False}, price_book_read, actor)
    book.is_default = take_default
    with records.unique(session, "name", taken(data["name"])):
        return events.created(session, book, price_book_read, actor)


def update(*, session: Session, record_id, changes: dict, actor: Actor) -> PriceBook:
    book = get(session=session, record_id=record_id)
    if changes.get("name", book.name).lower() != book.name.lower():
        check_name(session, changes["name"])
    is_default = changes.get("is_default", book.is_default)
    if prepare_default(book, is_default, changes.get("active", book.active)):
        events.updated(session, default(session), {"is_default": False}, price_book_read, actor)
    with records.unique(session, "name", taken(changes.get("name", book.name))):
        events.updated(session, book, changes, price_book_read, actor)
    return book


def prepare_default(book: PriceBook, is_default: bool, active: bool) -> bool:
    """Whether the book is to take over as the default; a 422 if it would break the rules:
    there is always one default, and it is active."""
    records.require(
        is_default or not book.is_default, "is_default", "Make another book the default instead."
    )
    records.require(active or not is_default, "active", "The default price book stays active.")
    return is_default and not book.is_default


def delete(*, session: Session, record_id, actor: Actor) -> None:
    book = get(session=session, record_id=record_id)
    if book.is_default:
        raise Conflict("The default price book stays: make another the default first.")
    if session.scalar(select(exists().where(Quote.price_book_id == book.id))):
        raise Conflict("Quotes were priced from this book: deactivate it instead.")
    events.deleted(session, book, actor)


def check_name(session: Session, name: str) -> None:
    if session.scalar(select(exists().where(func.lower(PriceBook.name) == name.lower()))):
        raise Conflict(taken(name), {"name": [taken(name)]})


def taken(name: str) -> str:
    return f"A price book is called {name!r} already."
