"""Orders, numbered SO-000042: placed from an accepted quote or directly (by a user, a shop or
an ERP), moved through their statuses one allowed step at a time, and paid.

An order sent with an `external_id` is placed once: the same request again finds the order it
placed (the caller is told it is not new), a different one under that id is a 409.
"""

import hashlib
import json
import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contracts.sales import order_read
from infra import records
from infra.context import Actor
from infra.db import utcnow
from infra.errors import Conflict, NotFound
from services.sales import events, links, numbering, price_books, pricing
from services.sales.models import ORDER_TRANSITIONS, Order, OrderLine, Payment, Quote

SORTABLE = {
    "created_at": Order.created_at,
    "updated_at": Order.updated_at,
    "number": Order.number,
}
FILTERS = (
    "account_id",
    "contact_id",
    "opportunity_id",
    "quote_id",
    "owner_id",
    "external_id",
    "status",
    "payment_status",
)
CLOCK_SKEW = timedelta(minutes=5)  # a payment's time may be this far ahead of ours


def get(*, session: Session, record_id) -> Order:
    return records.get(session, Order, record_id)


def get_all(*, session: Session, params: dict, actor: Actor) -> tuple[list[Order], str | None]:
    """Newest first by default: a customer's orders are their transaction history."""
    query = select(Order)
    for field in FILTERS:
        if field in params:
            query = query.where(getattr(Order, field) == params[field])
    if "q" in params:
        query = query.where(Order.number.like(records.substring(params["q"].upper()), "\\"))
    return records.list_page(session, query, Order, params, SORTABLE)


def create(*, session: Session, data: dict, actor: Actor, customers) -> tuple[Order, bool]:
    """Place an order; `(order, False)` when its external_id placed one already."""
    data = dict(data)
    digest = request_digest(data)
    if "external_id" in data:
        existing = by_external_id(session, data["external_id"])
        if existing is not None:
            return resent(existing, digest), False
    links.require_parties(
        session, customers, data["account_id"], data.get("contact_id"), data.get("opportunity_id")
    )
    book = price_books.for_pricing(session, data.pop("price_book_id", None))
    lines = pricing.priced_lines(session, data.pop("lines"), book=book, currency=data["currency"])
    data.setdefault("owner_id", actor.user_uuid)
    order = Order(**data, request_digest=digest if "external_id" in data else None)
    pricing.write_lines(order, lines, OrderLine, data["tax_rate"])
    try:
        return add(session, order, actor), True
    except IntegrityError:
        placed = by_external_id(session, data["external_id"]) if "external_id" in data else None
        if placed is None:
            raise
        return resent(placed, digest), False  # the same external_id, placed concurrently


def from_quote(session: Session, quote: Quote, order_id: uuid.UUID, actor: Actor) -> Order:
    order = Order(
        id=order_id,
        quote_id=quote.id,
        opportunity_id=quote.opportunity_id,
        account_id=quote.account_id,
        contact_id=quote.contact_id,
        currency=quote.currency,
        owner_id=quote.owner_id,
    )
    lines = [pricing.line_values(line) for line in quote.lines]
    pricing.write_lines(order, lines, OrderLine, quote.tax_rate)
    return add(session, order, actor)


def add(session: Session, order: Order, actor: Actor) -> Order:
    order.status = "pending"
    order.paid_amount = Decimal(0)
    order.payment_status = payment_status(order.paid_amount, order.total)
    with session.begin_nested():  # a clash on external_id takes its number back
        order.number = numbering.next_number(session, "order")
        session.add(order)
        session.flush()
    events.publish(session, "order_placed", order_read.dump(order), actor)
    return order


def by_external_id(session: Session, external_id: str) -> Order | None:
    return session.scalar(select(Order).where(Order.external_id == external_id))


def resent(order: Order, digest: str) -> Order:
    if order.request_digest != digest:
        message = (
            f"{order.number} was placed with external_id {order.external_id!r} and another body."
        )
        raise Conflict(message, {"external_id": [message]}, {"existing": order_read.dump(order)})
    return order


def request_digest(data: dict) -> str:
    """The same request always digests the same, however its numbers are written."""

    def canonical(value):
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        return str(value)

    text = json.dumps(data, sort_keys=True, default=canonical, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def update(
    *,
    session: Session,
    record_id,
    changes: dict,
    actor: Actor,
    customers,
) -> Order:
    """Change the contact or owner; a new `status` moves the order as `transition` does."""
    order = get(session=session, record_id=record_id)
    changes = dict(changes)
    status = changes.pop("status", order.status)
    check_transition(order, status)
    if changes.get("contact_id") is not None:
        links.require_contact(customers, changes["contact_id"])
    events.updated(session, order, changes, order_read, actor)
    if status != order.status:
        move(session, order, status, actor)
    return order


def transition(
    *, session: Session, order_id, status: str, expected_version: int | None, actor: Actor
) -> Order:
    order = get(session=session, record_id=order_id)
    records.check_version(order, expected_version)
    check_transition(order, status)
    move(session, order, status, actor)
    return order


def check_transition(order: Order, status: str) -> None:
    allowed = ORDER_TRANSITIONS[order.status]
    records.require(
        status == order.status or status in allowed,
        "status",
        f"A {order.status} order can move to {' or '.join(allowed) or 'no other status'}, "
        f"not to {status}.",
    )


def move(session: Session, order: Order, status: str, actor: Actor) -> None:
    events.updated(session, order, {"status": status}, order_read, actor, type=f"order_{status}")


def delete(*, session: Session, record_id, actor: Actor) -> None:
    """Delete an order entered by mistake: only while pending and unpaid. Later, cancel it."""
    order = get(session=session, record_id=record_id)
    if order.status != "pending" or order.payments:
        raise Conflict(f"{order.number} is {order.status} or paid: cancel it instead.")
    events.deleted(
        session,
        order,
        actor,
        number=order.number,
        account_id=str(order.account_id),
        contact_id=str(order.contact_id) if order.contact_id else None,
    )


def pay(*, session: Session, order_id, data: dict, actor: Actor) -> tuple[Payment, Order, bool]:
    """Record a payment; `created` is False when its reference was recorded before (the same
    payment sent again). The order's row is locked, so concurrent payments cannot overpay."""
    order = session.get(Order, records.parse_id(order_id), with_for_update=True)
    if order is None:
        raise NotFound(f"No order with id {order_id}.")
    if data.get("reference") is not None:
        earlier = next((p for p in order.payments if p.reference == data["reference"]), None)
        if earlier is not None:
            return same_payment(earlier, data["amount"]), order, False
    check_payment(order, data)
    payment = Payment(
        amount=data["amount"],
        reference=data.get("reference"),
        paid_at=data.get("paid_at", utcnow()),
    )
    order.payments.append(payment)
    paid_amount = order.paid_amount + payment.amount
    changes = {
        "paid_amount": paid_amount,
        "payment_status": payment_status(paid_amount, order.total),
    }
    records.apply_changes(order, changes, {})
    records.flush(session, order)
    events.publish(session, "payment_received", received(order, payment), actor)
    if order.payment_status == "paid":
        events.publish(session, "order_paid", order_read.dump(order), actor)
    return payment, order, True


def same_payment(earlier: Payment, amount: Decimal) -> Payment:
    if earlier.amount != amount:
        message = f"The reference {earlier.reference!r} is a payment of {earlier.amount}."
        raise Conflict(message, {"reference": [message]})
    return earlier


def check_payment(order: Order, data: dict) -> None:
    if order.status == "cancelled":
        raise Conflict(f"{order.number} is cancelled: it takes no payments.")
    records.require(
        data["amount"] <= order.amount_due,
        "amount",
        f"At most {order.amount_due} {order.currency} is due on {order.number}.",
    )
    records.require(
        data.get("paid_at") is None or data["paid_at"] <= utcnow() + CLOCK_SKEW,
        "paid_at",
        "A payment cannot be made in the future.",
    )


def payment_status(paid_amount: Decimal, total: Decimal) -> str:
    if paid_amount >= total:
        return "paid"
    return "partially_paid" if paid_amount > 0 else "unpaid"


def received(order: Order, payment: Payment) -> dict:
    return {
        "order_id": str(order.id),
        "number": order.number,
        "amount": str(payment.amount),
        "currency": order.currency,
        "reference": payment.reference,
        "paid_at": payment.paid_at.isoformat(),
        "paid_amount": str(order.paid_amount),
        "amount_due": str(order.amount_due),
        "payment_status": order.payment_status,
        "account_id": str(order.account_id),
        "contact_id": str(order.contact_id) if order.contact_id else None,
    }


def receipt(payment: Payment, order: Order) -> dict:
    """The payment, with its order's payment state after it."""
    return {
        "id": payment.id,
        "amount": payment.amount,
        "reference": payment.reference,
        "paid_at": payment.paid_at,
        "order_id": order.id,
        "currency": order.currency,
        "payment_status": order.payment_status,
        "paid_amount": order.paid_amount,
        "amount_due": order.amount_due,
    }
