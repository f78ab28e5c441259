"""The sales service's tables: leads, pipelines, opportunities, quotas, products, quotes,
orders and activities. Money is NUMERIC with an ISO 4217 currency, never a float."""

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from infra.db import Record, Serial, UTCDateTime, utcnow

Money = Numeric(18, 2)
Quantity = Numeric(18, 4)


class Base(DeclarativeBase):
    pass


class Team(Base):
    """Sales' copy of a team of the gateway's user directory (from its `team_*` events):
    round-robin assignment takes turns among its members, in their order."""

    __tablename__ = "teams"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    member_ids: Mapped[list] = mapped_column(JSON, default=list)  # user ids, in turn order
    next_turn: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dissolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # deleted in the directory


class AssignmentRule(Record, Base):
    """Who gets a new lead: the first active rule (by position) whose conditions match."""

    __tablename__ = "assignment_rules"

    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # {"country": ["DE", "AT"], "region": [...], "source": [...]}; empty matches every lead
    conditions: Mapped[dict] = mapped_column(JSON, default=dict)
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Lead(Record, Base):
    __tablename__ = "leads"

    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    company: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    email_normalized: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    region: Mapped[str | None] = mapped_column(String(100))
    company_size: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(String(50), index=True)
    campaign: Mapped[str | None] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    score: Mapped[int] = mapped_column(Integer, default=0, index=True)
    score_reasons: Mapped[list] = mapped_column(JSON, default=list)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    converted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    opportunity_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class ScoringRule(Record, Base):
    """Points for an attribute of a lead (`field` `equals`/`contains` `value`) or for an
    engagement (`event_type`, such as email_clicked), the latter fading with `half_life_days`."""

    __tablename__ = "scoring_rules"

    name: Mapped[str] = mapped_column(String(100))
    field: Mapped[str | None] = mapped_column(String(30))
    operator: Mapped[str | None] = mapped_column(String(10))
    value: Mapped[str | None] = mapped_column(String(200))
    event_type: Mapped[str | None] = mapped_column(String(60))
    points: Mapped[int] = mapped_column(Integer)
    half_life_days: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Engagement(Base):
    """Something a lead did, taken from another service's event; scored by the rules."""

    __tablename__ = "engagements"
    __table_args__ = (UniqueConstraint("lead_id", "event_id"),)

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    lead_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), index=True
    )
    event_type: Mapped[str] = mapped_column(String(60))
    event_id: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Pipeline(Record, Base):
    __tablename__ = "pipelines"
    # At most one default, however many admins save at once; the domain keeps it exactly one.
    __table_args__ = (
        Index(
            "uq_pipelines_one_default",
            "is_default",
            unique=True,
            postgresql_where=text("is_default"),
            sqlite_where=text("is_default"),
        ),
    )

    name: Mapped[str] = mapped_column(String(100), unique=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    stages: Mapped[list["Stage"]] = relationship(
        cascade="all, delete-orphan", order_by="Stage.position", lazy="selectin"
    )


class Stage(Base):
    __tablename__ = "stages"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    pipeline_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pipelines.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    probability: Mapped[int] = mapped_column(Integer)  # percent
    outcome: Mapped[str] = mapped_column(String(10), default="open")  # open | won | lost


# What a forecast sums, carried in its indexes: PostgreSQL answers it from the index alone.
FORECAST_COLUMNS = ["owner_id", "currency", "amount", "forecast_category", "stage_id"]


class Opportunity(Record, Base):
    __tablename__ = "opportunities"
    # Measured with bench/opportunities.py (200,000 opportunities); see bench/README.md.
    __table_args__ = (
        Index("ix_opportunities_owner_status_created", "owner_id", "status", "created_at"),
        Index("ix_opportunities_amount", "amount", "id"),  # pages sorted by amount
        Index(
            "ix_opportunities_open_closing",
            "expected_close_date",
            postgresql_include=[*FORECAST_COLUMNS, "probability_override"],
            postgresql_where=text("status = 'open'"),
        ),
        Index(
            "ix_opportunities_won_closed",
            "closed_at",
            postgresql_include=FORECAST_COLUMNS,
            postgresql_where=text("status = 'won'"),
        ),
    )

    name: Mapped[str] = mapped_column(String(255))
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    primary_contact_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    expected_close_date: Mapped[date] = mapped_column(Date, index=True)
    pipeline_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pipelines.id"), index=True)
    stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stages.id"), index=True)
    stage: Mapped[Stage] = relationship(lazy="joined")
    probability_override: Mapped[int | None] = mapped_column(Integer)
    forecast_category: Mapped[str] = mapped_column(String(20), default="pipeline", index=True)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    source: Mapped[str | None] = mapped_column(String(50))
    campaign: Mapped[str | None] = mapped_column(String(100))
    next_step: Mapped[str | None] = mapped_column(String(255))
    lost_reason: Mapped[str | None] = mapped_column(String(255))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    lead_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    @property
    def probability(self) -> int:
        """The win probability in percent: the stage's, unless overridden."""
        overridden = self.probability_override is not None
        return self.probability_override if overridden else self.stage.probability

    @property
    def probability_overridden(self) -> bool:
        return self.probability_override is not None


class StageChange(Base):
    """Every move of an opportunity between stages, for funnel and cycle-time reports."""

    __tablename__ = "stage_changes"

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    opportunity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), index=True
    )
    from_stage_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    to_stage_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class Quota(Record, Base):
    __tablename__ = "quotas"
    __table_args__ = (UniqueConstraint("user_id", "period"),)

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    period: Mapped[str] = mapped_column(String(7))  # 2026-11 or 2026-Q4
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))


class PriceBook(Record, Base):
    __tablename__ = "price_books"
    # At most one default book, however many instances create or change books at once.
    __table_args__ = (
        Index(
            "uq_price_books_default",
            "is_default",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )

    name: Mapped[str] = mapped_column(String(100), unique=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Product(Record, Base):
    __tablename__ = "products"

    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    prices: Mapped[list["Price"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )


class Price(Base):
    """A product's unit price in one currency of one price book."""

    __tablename__ = "prices"
    __table_args__ = (UniqueConstraint("product_id", "price_book_id", "currency"),)

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    price_book_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("price_books.id", ondelete="CASCADE")
    )
    currency: Mapped[str] = mapped_column(String(3))
    unit_price: Mapped[Decimal] = mapped_column(Money)


class Quote(Record, Base):
    __tablename__ = "quotes"
    __table_args__ = (UniqueConstraint("number", "revision"),)

    number: Mapped[str] = mapped_column(String(20), index=True)  # Q-000123, kept by revisions
    revision: Mapped[int] = mapped_column(Integer, default=1)
    previous_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    superseded_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # the next revision
    opportunity_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("opportunities.id", ondelete="SET NULL"), index=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    price_book_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("price_books.id"))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    valid_until: Mapped[date | None] = mapped_column(Date)
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(7, 4), default=Decimal(0))  # percent
    subtotal: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    discount_total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    tax_total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    notes: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    lines: Mapped[list["QuoteLine"]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="QuoteLine.position",
        lazy="selectin",
    )

    @property
    def current_status(self) -> str:
        """A sent quote is expired from the day after its last valid day, even before the
        timer that marks it so (and publishes `quote_expired`) has run."""
        if self.status == "sent" and self.valid_until and self.valid_until < utcnow().date():
            return "expired"
        return self.status


class QuoteLine(Base):
    __tablename__ = "quote_lines"

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    quote_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("quotes.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("products.id"))
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    line_total: Mapped[Decimal] = mapped_column(Money)


# Where an order may move from each status.
ORDER_TRANSITIONS = {
    "pending": ("confirmed", "cancelled"),
    "confirmed": ("shipped", "cancelled"),
    "shipped": ("delivered",),
    "delivered": (),
    "cancelled": (),
}


class Order(Record, Base):
    __tablename__ = "orders"

    number: Mapped[str] = mapped_column(String(20), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    # A digest of the request that placed it with an external_id: a resend must match it.
    request_digest: Mapped[str | None] = mapped_column(String(64))
    quote_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("quotes.id"), index=True)
    opportunity_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    payment_status: Mapped[str] = mapped_column(String(15), default="unpaid", index=True)
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(7, 4), default=Decimal(0))
    subtotal: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    discount_total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    tax_total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    paid_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    lines: Mapped[list["OrderLine"]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="OrderLine.position",
        lazy="selectin",
    )
    payments: Mapped[list["Payment"]] = relationship(
        passive_deletes=True, order_by="Payment.id", lazy="selectin"
    )

    @property
    def amount_due(self) -> Decimal:
        return self.total - self.paid_amount

    @property
    def next_statuses(self) -> list[str]:
        return list(ORDER_TRANSITIONS[self.status])


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("products.id"))
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    line_total: Mapped[Decimal] = mapped_column(Money)


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("order_id", "reference"),)

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    amount: Mapped[Decimal] = mapped_column(Money)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reference: Mapped[str | None] = mapped_column(String(100))  # the payment provider's id


class DocumentCounter(Base):
    """The last number handed out per kind of document (quote, order): Q-000123, SO-000042."""

    __tablename__ = "document_counters"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Activity(Record, Base):
    """A call, email, meeting or task, about a lead, contact, account or opportunity."""

    __tablename__ = "activities"

    type: Mapped[str] = mapped_column(String(10), index=True)
    subject: Mapped[str] = mapped_column(String(255))
    notes: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    lead_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    opportunity_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), index=True
    )
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def overdue(self) -> bool:
        return self.completed_at is None and self.due_at is not None and self.due_at < utcnow()
