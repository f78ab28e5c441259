"""Wire shapes of the sales service. The gateway validates and documents HTTP requests with
these same schemas; the service validates again, as the owner of the data. Amounts are
decimal strings with an ISO currency (`infra.fields.Money`, `Currency`)."""

from datetime import UTC
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from infra.fields import Currency, Money
from infra.listing import PageQuery

# --- Commerce: price books, products, quotes, orders, payments, activities -------------------

QUOTE_STATUSES = ("draft", "sent", "accepted", "rejected", "expired")
ORDER_STATUSES = ("pending", "confirmed", "shipped", "delivered", "cancelled")
ORDER_TRANSITIONS = {
    "pending": ("confirmed", "cancelled"),
    "confirmed": ("shipped", "cancelled"),
    "shipped": ("delivered",),
    "delivered": (),
    "cancelled": (),
}
PAYMENT_STATUSES = ("unpaid", "partially_paid", "paid")
ACTIVITY_TYPES = ("call", "email", "meeting", "task")
ACTIVITY_LINKS = ("lead_id", "contact_id", "account_id", "opportunity_id")

TOTALS_RULE = (
    "Totals are computed by the server in decimal arithmetic, each rounding half up "
    "(ROUND_HALF_UP) to cents. Per line: gross = quantity * unit_price, rounded; `line_total` "
    "= quantity * unit_price * (1 - discount_percent / 100), rounded. Per document: "
    "`subtotal` = the sum of the lines' gross (before discounts); `discount_total` = subtotal "
    "- the sum of line_total; `tax_total` = (the sum of line_total) * tax_rate / 100, rounded "
    "once, on the discounted net; `total` = the sum of line_total + tax_total. So subtotal - "
    "discount_total + tax_total = total, to the cent. Three lines of 0.333 at 1.00 are 0.33 "
    "each, 0.99 in all; 1 at 0.60 with 12.5% off is 0.53 (0.525 rounded half up)."
)


class Number(fields.Decimal):
    """A decimal as a string without trailing zeros ("3", "0.333", "12.5"), never a float on
    the way out; at most `places` decimal places on the way in."""

    def __init__(self, places: int, **kwargs):
        self.max_places = places
        kwargs["metadata"] = {"type": "string", "example": "12.5", **kwargs.get("metadata", {})}
        super().__init__(as_string=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        number = super()._deserialize(value, attr, data, **kwargs)
        if number != number.quantize(Decimal(1).scaleb(-self.max_places)):
            raise ValidationError(f"At most {self.max_places} decimal places.")
        return number

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format(Decimal(value).normalize(), "f")


def percentage(**kwargs) -> Number:
    return Number(places=kwargs.pop("places", 2), validate=validate.Range(0, 100), **kwargs)


class Sku(fields.String):
    """A stock-keeping unit: surrounding spaces, as pasted from a spreadsheet, are dropped."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


# Read shapes list a record's own fields, then its totals, then its timestamps: marshmallow
# orders inherited fields base-first, so they compose as `Read(Stamped, Totals, Fields)`.
class Stamped(Schema):
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class PriceBookUpdate(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    is_default = fields.Boolean(
        metadata={"description": "`true` makes this the default book (the old one stops being)."}
    )
    active = fields.Boolean(metadata={"description": "Inactive books take no new quotes."})


class PriceBookCreate(PriceBookUpdate):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class PriceBookFields(Schema):
    id = fields.UUID()
    name = fields.String()
    is_default = fields.Boolean()
    active = fields.Boolean()


class PriceBookRead(Stamped, PriceBookFields):
    pass


class PriceBookQuery(PageQuery):
    active = fields.Boolean()


class PriceIn(Schema):
    price_book_id = fields.UUID(metadata={"description": "Default: the default price book."})
    currency = Currency(required=True)
    unit_price = Money(required=True)


class PriceRead(Schema):
    price_book_id = fields.UUID()
    currency = fields.String()
    unit_price = Money()


class ProductUpdate(Schema):
    sku = Sku(validate=validate.Length(min=1, max=64), metadata={"description": "Unique."})
    name = fields.String(validate=validate.Length(min=1, max=255))
    description = fields.String(allow_none=True, validate=validate.Length(max=10_000))
    active = fields.Boolean(metadata={"description": "Inactive products go on no new quote."})
    prices = fields.List(
        fields.Nested(PriceIn),
        validate=validate.Length(max=500),
        metadata={"description": "Replaces the product's prices: one per book and currency."},
    )


class ProductCreate(ProductUpdate):
    sku = Sku(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))


class ProductFields(Schema):
    id = fields.UUID()
    sku = fields.String()
    name = fields.String()
    description = fields.String(allow_none=True)
    active = fields.Boolean()
    prices = fields.List(fields.Nested(PriceRead))


class ProductRead(Stamped, ProductFields):
    pass


class ProductQuery(PageQuery):
    active = fields.Boolean()
    price_book_id = fields.UUID(metadata={"description": "Has a price in this book."})
    currency = Currency(metadata={"description": "Has a price in this currency."})


class LineIn(Schema):
    product_id = fields.UUID(allow_none=True)
    description = fields.String(
        validate=validate.Length(min=1, max=500),
        metadata={"description": "Default: the product's name. Required without a product."},
    )
    quantity = Number(
        places=4, required=True, validate=validate.Range(0, min_inclusive=False, max=10**12)
    )
    unit_price = Money(
        metadata={"description": "Default: the product's price in the currency and price book."}
    )
    discount_percent = percentage(load_default=Decimal(0))


class LineRead(Schema):
    product_id = fields.UUID(allow_none=True)
    description = fields.String()
    quantity = Number(places=4)
    unit_price = Money()
    discount_percent = Number(places=2)
    line_total = Money()


def line_list(**kwargs) -> fields.List:
    return fields.List(
        fields.Nested(LineIn),
        validate=validate.Length(min=1, max=500, error="At least one line, at most 500."),
        metadata={"description": "The items, in order. " + TOTALS_RULE},
        **kwargs,
    )


class Totals(Schema):
    tax_rate = Number(places=4)
    subtotal = Money(metadata={"description": TOTALS_RULE})
    discount_total = Money()
    tax_total = Money()
    total = Money()


class QuoteUpdate(Schema):
    account_id = fields.UUID(metadata={"description": "Must exist (customers)."})
    contact_id = fields.UUID(allow_none=True, metadata={"description": "Must exist (customers)."})
    opportunity_id = fields.UUID(allow_none=True, metadata={"description": "Of the account."})
    price_book_id = fields.UUID(metadata={"description": "Default: the default price book."})
    currency = Currency()
    valid_until = fields.Date(
        allow_none=True,
        metadata={"description": "Last day (UTC) it can be accepted. Default: in 30 days."},
    )
    tax_rate = percentage(places=4, metadata={"description": "Percent, on the discounted net."})
    notes = fields.String(allow_none=True, validate=validate.Length(max=10_000))
    owner_id = fields.UUID(allow_none=True, metadata={"description": "Default: the caller."})
    lines = line_list()


class QuoteCreate(QuoteUpdate):
    account_id = fields.UUID(required=True, metadata={"description": "Must exist (customers)."})
    currency = Currency(required=True)
    lines = line_list(required=True)


class QuoteFields(Schema):
    id = fields.UUID()
    number = fields.String(metadata={"description": "Kept by every revision."})
    revision = fields.Integer()
    previous_id = fields.UUID(allow_none=True, metadata={"description": "The revision before."})
    superseded_by_id = fields.UUID(
        allow_none=True, metadata={"description": "The next revision: this one is read-only."}
    )
    status = fields.String(
        attribute="current_status", metadata={"description": ", ".join(QUOTE_STATUSES)}
    )
    account_id = fields.UUID()
    contact_id = fields.UUID(allow_none=True)
    opportunity_id = fields.UUID(allow_none=True)
    price_book_id = fields.UUID()
    currency = fields.String()
    valid_until = fields.Date(allow_none=True)
    notes = fields.String(allow_none=True)
    owner_id = fields.UUID(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(LineRead))


class QuoteRead(Stamped, Totals, QuoteFields):
    pass


class QuoteQuery(PageQuery):
    account_id = fields.UUID()
    contact_id = fields.UUID()
    opportunity_id = fields.UUID()
    owner_id = fields.UUID()
    number = fields.String(validate=validate.Length(max=20))
    status = fields.String(validate=validate.OneOf(QUOTE_STATUSES))
    current = fields.Boolean(metadata={"description": "`true`: only the latest revisions."})


class OrderUpdate(Schema):
    status = fields.String(
        validate=validate.OneOf(ORDER_STATUSES),
        metadata={"description": "Moves the order, as `POST /orders/{id}/transition` does."},
    )
    contact_id = fields.UUID(allow_none=True, metadata={"description": "Must exist (customers)."})
    owner_id = fields.UUID(allow_none=True)


class OrderCreate(Schema):
    external_id = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "The order's id in the shop or ERP that sends it: sending it again "
            "answers 200 with the order placed the first time, creating nothing; with another "
            "body, 409."
        },
    )
    account_id = fields.UUID(required=True, metadata={"description": "Must exist (customers)."})
    contact_id = fields.UUID(allow_none=True, metadata={"description": "Must exist (customers)."})
    opportunity_id = fields.UUID(allow_none=True, metadata={"description": "Of the account."})
    price_book_id = fields.UUID(
        metadata={"description": "Where lines without a unit_price find one. Default: default."}
    )
    currency = Currency(required=True)
    tax_rate = percentage(places=4, load_default=Decimal(0))
    owner_id = fields.UUID(allow_none=True, metadata={"description": "Default: the caller."})
    lines = line_list(required=True)


class PaymentRead(Schema):
    id = fields.Integer()
    amount = Money()
    reference = fields.String(allow_none=True)
    paid_at = fields.DateTime()


class OrderFields(Schema):
    id = fields.UUID()
    number = fields.String()
    external_id = fields.String(allow_none=True)
    quote_id = fields.UUID(allow_none=True, metadata={"description": "The accepted quote."})
    opportunity_id = fields.UUID(allow_none=True)
    account_id = fields.UUID()
    contact_id = fields.UUID(allow_none=True)
    currency = fields.String()
    status = fields.String(metadata={"description": ", ".join(ORDER_STATUSES)})
    next_statuses = fields.Function(
        lambda order: list(ORDER_TRANSITIONS[order.status]),
        metadata={
            "type": "array",
            "items": {"type": "string"},
            "description": "Where the order may move from here.",
        },
    )
    payment_status = fields.String(metadata={"description": ", ".join(PAYMENT_STATUSES)})
    paid_amount = Money()
    amount_due = Money()
    owner_id = fields.UUID(allow_none=True)
    lines = fields.List(fields.Nested(LineRead))
    payments = fields.List(fields.Nested(PaymentRead))


class OrderRead(Stamped, Totals, OrderFields):
    pass


class OrderQuery(PageQuery):
    account_id = fields.UUID()
    contact_id = fields.UUID()
    opportunity_id = fields.UUID()
    quote_id = fields.UUID()
    owner_id = fields.UUID()
    external_id = fields.String(validate=validate.Length(max=100))
    status = fields.String(validate=validate.OneOf(ORDER_STATUSES))
    payment_status = fields.String(validate=validate.OneOf(PAYMENT_STATUSES))


class OrderTransition(Schema):
    status = fields.String(required=True, validate=validate.OneOf(ORDER_STATUSES))


class PaymentCreate(Schema):
    amount = Money(
        required=True,
        validate=validate.Range(0, min_inclusive=False),
        metadata={"description": "More than zero, at most what is due."},
    )
    reference = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "The payment provider's id: the same one twice is one payment."},
    )
    paid_at = fields.AwareDateTime(
        default_timezone=UTC, metadata={"description": "Default: now. Not in the future."}
    )


class PaymentReceipt(PaymentRead):
    order_id = fields.UUID()
    currency = fields.String()
    payment_status = fields.String(metadata={"description": "The order's, after this payment."})
    paid_amount = Money()
    amount_due = Money()


class ActivityUpdate(Schema):
    type = fields.String(validate=validate.OneOf(ACTIVITY_TYPES))
    subject = fields.String(validate=validate.Length(min=1, max=255))
    notes = fields.String(allow_none=True, validate=validate.Length(max=10_000))
    due_at = fields.AwareDateTime(default_timezone=UTC, allow_none=True)
    completed_at = fields.AwareDateTime(
        default_timezone=UTC, allow_none=True, metadata={"description": "null reopens it."}
    )
    assignee_id = fields.UUID(allow_none=True, metadata={"description": "Default: the caller."})
    lead_id = fields.UUID(allow_none=True)
    contact_id = fields.UUID(allow_none=True, metadata={"description": "Must exist (customers)."})
    account_id = fields.UUID(allow_none=True, metadata={"description": "Must exist (customers)."})
    opportunity_id = fields.UUID(allow_none=True)


class ActivityCreate(ActivityUpdate):
    type = fields.String(required=True, validate=validate.OneOf(ACTIVITY_TYPES))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=255))

    @validates_schema
    def linked_to_something(self, data: dict, **kwargs) -> None:
        if not any(data.get(link) for link in ACTIVITY_LINKS):
            message = "Link the activity to a lead, contact, account or opportunity."
            raise ValidationError({link: [message] for link in ACTIVITY_LINKS})


class ActivityFields(Schema):
    id = fields.UUID()
    type = fields.String()
    subject = fields.String()
    notes = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean(metadata={"description": "Open and past its due time."})
    assignee_id = fields.UUID(allow_none=True)
    lead_id = fields.UUID(allow_none=True)
    contact_id = fields.UUID(allow_none=True)
    account_id = fields.UUID(allow_none=True)
    opportunity_id = fields.UUID(allow_none=True)
    reminded_at = fields.DateTime(
        allow_none=True, metadata={"description": "When `activity_due` was published for it."}
    )


class ActivityRead(Stamped, ActivityFields):
    pass


class ActivityQuery(PageQuery):
    type = fields.String(validate=validate.OneOf(ACTIVITY_TYPES))
    mine = fields.Boolean(metadata={"description": "`true`: assigned to the caller."})
    open = fields.Boolean(metadata={"description": "`true`: not completed; `false`: completed."})
    overdue = fields.Boolean(metadata={"description": "`true`: open and past due."})
    assignee_id = fields.UUID()
    lead_id = fields.UUID()
    contact_id = fields.UUID()
    account_id = fields.UUID()
    opportunity_id = fields.UUID()
    due_after = fields.AwareDateTime(default_timezone=UTC)
    due_before = fields.AwareDateTime(default_timezone=UTC)


class ActivityComplete(Schema):
    completed_at = fields.AwareDateTime(
        default_timezone=UTC, metadata={"description": "Default: now."}
    )


# Built once and shared: a marshmallow schema copies its declared fields each time one is made.
price_book_create, price_book_update = PriceBookCreate(), PriceBookUpdate()
price_book_read, price_book_query = PriceBookRead(), PriceBookQuery()
product_create, product_update = ProductCreate(), ProductUpdate()
product_read, product_query = ProductRead(), ProductQuery()
quote_create, quote_update, quote_read, quote_query = (
    QuoteCreate(),
    QuoteUpdate(),
    QuoteRead(),
    QuoteQuery(),
)
order_create, order_update, order_read, order_query = (
    OrderCreate(),
    OrderUpdate(),
    OrderRead(),
    OrderQuery(),
)
order_transition, payment_create, payment_receipt = (
    OrderTransition(),
    PaymentCreate(),
    PaymentReceipt(),
)
activity_create, activity_update, activity_read, activity_query = (
    ActivityCreate(),
    ActivityUpdate(),
    ActivityRead(),
    ActivityQuery(),
)
activity_complete = ActivityComplete()
