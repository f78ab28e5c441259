"""Quotes: priced offers to an account, numbered Q-000123.

A draft is edited in place. Sending fixes it: editing a sent (or expired) quote makes a new
revision, a draft with the same number and the next revision number, and the one before stays
as it was, read-only. A sent quote is accepted (which places its order, and wins its open
opportunity unless told not to, in the same transaction) or rejected, or it expires after its
last valid day."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from contracts.sales import quote_read
from infra import config, records
from infra.context import Actor
from infra.db import utcnow
from infra.errors import Conflict, ValidationFailed
from services.sales import events, links, numbering, opportunities, orders, price_books, pricing
from services.sales.models import Opportunity, Order, Quote, QuoteLine

VALIDITY_DAYS = int(config.env("CRM_QUOTE_VALIDITY_DAYS", "30"))
EXPIRY_BATCH = 500
SORTABLE = {
    "created_at": Quote.created_at,
    "updated_at": Quote.updated_at,
    "number": Quote.number,
}
LINE_ACCESSORS = pricing.accessors(QuoteLine)
# What a new revision takes over from the one before, unless the edit changes it.
COPIED = (
    "account_id",
    "contact_id",
    "opportunity_id",
    "price_book_id",
    "currency",
    "valid_until",
    "notes",
    "owner_id",
)


def today() -> date:
    return utcnow().date()


def get(*, session: Session, record_id) -> Quote:
    return records.get(session, Quote, record_id)


def get_all(*, session: Session, params: dict, actor: Actor) -> tuple[list[Quote], str | None]:
    query = select(Quote)
    for field in ("account_id", "contact_id", "opportunity_id", "owner_id", "number"):
        if field in params:
            query = query.where(getattr(Quote, field) == params[field])
    if "q" in params:
        query = query.where(Quote.number.like(records.substring(params["q"].upper()), "\\"))
    if "status" in params:
        query = query.where(with_status(params["status"]))
    if "current" in params:
        is_current = Quote.superseded_by_id.is_(None)
        query = query.where(is_current if params["current"] else ~is_current)
    return records.list_page(session, query, Quote, params, SORTABLE)


def with_status(status: str):
    """Quotes whose `current_status` is `status`: a sent quote past its date is expired."""
    past_due = (Quote.status == "sent") & (Quote.valid_until < today())
    if status == "expired":
        return (Quote.status == "expired") | past_due
    if status == "sent":
        return (Quote.status == "sent") & or_(
            Quote.valid_until.is_(None), Quote.valid_until >= today()
        )
    return Quote.status == status


def create(*, session: Session, data: dict, actor: Actor, customers) -> Quote:
    data = dict(data)
    links.require_parties(
        session, customers, data["account_id"], data.get("contact_id"), data.get("opportunity_id")
    )
    book = price_books.for_pricing(session, data.pop("price_book_id", None))
    lines = pricing.priced_lines(session, data.pop("lines"), book=book, currency=data["currency"])
    data.setdefault("valid_until", today() + timedelta(days=VALIDITY_DAYS))
    data.setdefault("owner_id", actor.user_uuid)
    quote = Quote(**data, price_book_id=book.id, revision=1, status="draft")
    pricing.write_lines(quote, lines, QuoteLine, data.pop("tax_rate", Decimal(0)))
    quote.number = numbering.next_number(session, "quote")
    return events.created(session, quote, quote_read, actor)


def update(
    *,
    session: Session,
    record_id,
    changes: dict,
    actor: Actor,
    customers,
) -> Quote:
    """Edit a draft in place; editing a sent or expired quote makes its next revision, which
    this returns. A decided quote is a 409."""
    quote = current(session, record_id, None)
    status = quote.current_status
    if status in ("accepted", "rejected"):
        raise Conflict(f"{quote.number} is {status}: it can no longer change.")
    changes = checked_changes(session, quote, changes, customers)
    if status == "draft":
        events.updated(session, quote, changes, quote_read, actor, LINE_ACCESSORS)
        return quote
    return revise(session, quote, changes, actor)


def current(session: Session, quote_id, expected_version: int | None) -> Quote:
    """The quote, if the caller's version of it is current and no later revision replaced it."""
    quote = get(session=session, record_id=quote_id)
    records.check_version(quote, expected_version)
    if quote.superseded_by_id is not None:
        raise Conflict(
            f"{quote.number} revision {quote.revision} is read-only: revision "
            f"{quote.revision + 1} ({quote.superseded_by_id}) replaced it.",
            extra={"superseded_by_id": str(quote.superseded_by_id)},
        )
    return quote


def checked_changes(session: Session, quote: Quote, changes: dict, customers) -> dict:
    """The changes, with new lines priced; a 422 for what they would break."""
    changes = dict(changes)
    account_id = changes.get("account_id", quote.account_id)
    opportunity_id = changes.get("opportunity_id", quote.opportunity_id)
    if opportunity_id is not None and {"account_id", "opportunity_id"} & changes.keys():
        links.require_opportunity(session, opportunity_id, account_id)
    if "account_id" in changes:
        links.require_account(customers, account_id)
    if changes.get("contact_id") is not None:
        links.require_contact(customers, changes["contact_id"])
    if "price_book_id" in changes:
        price_books.for_pricing(session, changes["price_book_id"])
    currency = changes.get("currency", quote.currency)
    if "lines" in changes:
        book = price_books.for_pricing(session, changes.get("price_book_id", quote.price_book_id))
        changes["lines"] = pricing.priced_lines(
            session, changes["lines"], book=book, currency=currency
        )
    else:
        records.require(
            currency == quote.currency,
            "lines",
            f"Give the lines again with a new currency: their prices are in {quote.currency}.",
        )
    return changes


def revise(session: Session, quote: Quote, changes: dict, actor: Actor) -> Quote:
    """The next revision of a sent or expired quote, as a draft; the old one stays as it was."""
    revision = Quote(
        id=uuid.uuid4(),
        number=quote.number,
        revision=quote.revision + 1,
        previous_id=quote.id,
        status="draft",
        **{field: getattr(quote, field) for field in COPIED},
    )
    if quote.current_status == "expired":
        revision.valid_until = today() + timedelta(days=VALIDITY_DAYS)
    lines = [pricing.line_values(line) for line in quote.lines]
    pricing.write_lines(revision, lines, QuoteLine, quote.tax_rate)
    diff = records.apply_changes(revision, changes, LINE_ACCESSORS)
    with records.unique(session, "revision", f"{quote.number} was revised meanwhile."):
        session.add(revision)
        session.flush()
    quote.superseded_by_id = revision.id
    records.flush(session, quote)
    events.publish(session, "quote_revised", {**quote_read.dump(revision), "changes": diff}, actor)
    return revision


def ready_for(session: Session, quote_id, expected_version, step: str, *allowed: str) -> Quote:
    """The quote, if one in its status may be `step` (sent, accepted...); else a 422."""
    quote = current(session, quote_id, expected_version)
    status = quote.current_status
    if status not in allowed:
        message = f"A {status} quote cannot be {step}, only a {' or '.join(allowed)} one."
        if status == "expired":
            message += f" {quote.number} was valid until {quote.valid_until}."
        raise ValidationFailed(message, {"status": [message]})
    return quote


def send(*, session: Session, quote_id, expected_version: int | None, actor: Actor) -> Quote:
    quote = ready_for(session, quote_id, expected_version, "sent", "draft")
    records.require(
        quote.valid_until is None or quote.valid_until >= today(),
        "valid_until",
        f"It was valid until {quote.valid_until}: give it a later date first.",
    )
    changes = {"status": "sent", "sent_at": utcnow()}
    events.updated(session, quote, changes, quote_read, actor, type="quote_sent")
    return quote


def accept(
    *, session: Session, quote_id, data: dict, expected_version: int | None, actor: Actor
) -> Order:
    """Accept a sent quote and place its order, in one transaction; returns the order. The
    quote's opportunity, if still open, is won in it too, unless `mark_opportunity_won` is
    false."""
    quote = ready_for(session, quote_id, expected_version, "accepted", "sent")
    to_win = opportunity_to_win(session, quote) if data["mark_opportunity_won"] else None
    records.apply_changes(quote, {"status": "accepted", "decided_at": utcnow()}, {})
    records.flush(session, quote)
    order_id = uuid.uuid4()
    accepted = {**quote_read.dump(quote), "order_id": str(order_id)}
    events.publish(session, "quote_accepted", accepted, actor)
    order = orders.from_quote(session, quote, order_id, actor)
    if to_win is not None:
        opportunities.win(session, to_win, actor)
    return order


def opportunity_to_win(session: Session, quote: Quote) -> Opportunity | None:
    """The quote's opportunity if it is open; None if it has none or is won already. A lost
    one is a 422: accepting would contradict the loss, so the user decides (reopen it, or
    accept with `mark_opportunity_won` false)."""
    if quote.opportunity_id is None:
        return None
    opportunity = session.get(Opportunity, quote.opportunity_id)  # its deletion clears the id
    if opportunity.status == "won":
        return None
    records.require(
        opportunity.status == "open",
        "mark_opportunity_won",
        f"The quote's opportunity {opportunity.name!r} is lost: reopen it (move it to an open "
        "stage) to win it with this quote, or accept with mark_opportunity_won false to keep "
        "it lost.",
    )
    return opportunity


def reject(*, session: Session, quote_id, expected_version: int | None, actor: Actor) -> Quote:
    quote = ready_for(session, quote_id, expected_version, "rejected", "sent")
    changes = {"status": "rejected", "decided_at": utcnow()}
    events.updated(session, quote, changes, quote_read, actor, type="quote_rejected")
    return quote


def delete(*, session: Session, record_id, actor: Actor) -> None:
    """Delete a draft; the revision before it, if any, is the current one again."""
    quote = current(session, record_id, None)
    if quote.status != "draft":
        raise Conflict(f"{quote.number} is {quote.current_status}: only drafts are deleted.")
    if quote.previous_id is not None:
        previous = session.get(Quote, quote.previous_id)
        previous.superseded_by_id = None
    events.deleted(
        session,
        quote,
        actor,
        number=quote.number,
        revision=quote.revision,
        account_id=str(quote.account_id),
    )


def expire_due(session: Session) -> int:
    """Mark sent quotes past their last valid day expired, publishing `quote_expired` for each;
    several instances may run this at once (rows another is expiring are skipped)."""
    due = session.scalars(
        select(Quote)
        .where(Quote.status == "sent", Quote.valid_until < today())
        .order_by(Quote.valid_until, Quote.id)
        .limit(EXPIRY_BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    for quote in due:
        events.updated(
            session, quote, {"status": "expired"}, quote_read, events.SYSTEM, type="quote_expired"
        )
    return len(due)
