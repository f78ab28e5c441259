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
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    mapped_column,
    object_session,
    relationship,
)

from infra.db import Record, Serial, UTCDateTime, utcnow


class Base(DeclarativeBase):
    pass


class Owned:
    """What accounts and contacts both carry: an owner, an address, admin-defined fields."""

    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    street: Mapped[str | None] = mapped_column(String(255))
    city: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2), index=True)  # ISO 3166-1 alpha-2
    custom_fields: Mapped[dict] = mapped_column(JSON, default=dict)


class Tagged:
    @property
    def tags(self) -> list[str]:
        return sorted(row.tag for row in self.tag_rows)


class Account(Record, Owned, Tagged, Base):
    __tablename__ = "accounts"

    name: Mapped[str] = mapped_column(String(255))
    industry: Mapped[str | None] = mapped_column(String(100), index=True)
    size: Mapped[str | None] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(20), index=True)
    website: Mapped[str | None] = mapped_column(String(500))
    phone: Mapped[str | None] = mapped_column(String(50))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    credit_limit: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    credit_currency: Mapped[str | None] = mapped_column(String(3))
    payment_terms_days: Mapped[int | None] = mapped_column(Integer)
    tag_rows: Mapped[list["AccountTag"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )


class Contact(Record, Owned, Tagged, Base):
    __tablename__ = "contacts"

    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    # The primary email and phone, kept here for sorting, display and export.
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(String(200))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    birthday: Mapped[date | None] = mapped_column(Date)
    # month * 100 + day of the birthday, so "birthday within n days" is an index range.
    birthday_md: Mapped[int | None] = mapped_column(SmallInteger, index=True)
    preferred_channel: Mapped[str | None] = mapped_column(String(10))
    lifecycle_stage: Mapped[str | None] = mapped_column(String(20), index=True)
    # Lower-cased names, emails, phones and company: what `?q=` searches.
    search_text: Mapped[str] = mapped_column(Text, default="")

    account: Mapped[Account | None] = relationship(lazy="joined", innerjoin=False, viewonly=True)
    emails: Mapped[list["ContactEmail"]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
        order_by="(ContactEmail.is_primary.desc(), ContactEmail.id)",
    )
    phones: Mapped[list["ContactPhone"]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
        order_by="(ContactPhone.is_primary.desc(), ContactPhone.id)",
    )
    tag_rows: Mapped[list["ContactTag"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )

    @property
    def account_name(self) -> str | None:
        """The company's name, read through the session so a changed account_id shows."""
        session = object_session(self)
        account = session.get(Account, self.account_id) if session and self.account_id else None
        return account.name if account else None


class ContactEmail(Base):
    __tablename__ = "contact_emails"

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    address: Mapped[str] = mapped_column(String(320))
    normalized: Mapped[str] = mapped_column(String(320), index=True)
    label: Mapped[str | None] = mapped_column(String(30))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)


class ContactPhone(Base):
    __tablename__ = "contact_phones"

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(50))
    normalized: Mapped[str] = mapped_column(String(50), index=True)  # E.164 where parseable
    label: Mapped[str | None] = mapped_column(String(30))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)


class ContactTag(Base):
    __tablename__ = "contact_tags"

    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)
    # The contact's, so a tag's contacts come newest first from the (tag, created_at) index,
    # and those of one country from the (tag, country, created_at) index.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    country: Mapped[str | None] = mapped_column(String(2))


class AccountTag(Base):
    __tablename__ = "account_tags"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)


class CustomField(Record, Base):
    """An admin-defined field of accounts or contacts; values live in `custom_fields`."""

    __tablename__ = "custom_fields"
    __table_args__ = (UniqueConstraint("entity", "name"),)

    entity: Mapped[str] = mapped_column(String(20))  # "account" | "contact"
    name: Mapped[str] = mapped_column(String(63))
    label: Mapped[str | None] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(20))
    options: Mapped[list] = mapped_column(JSON, default=list)


class Consent(Base):
    """One consent decision; the history of a contact's decisions per channel."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(10))  # email | sms | phone
    status: Mapped[str] = mapped_column(String(10))  # opted_in | opted_out
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str | None] = mapped_column(String(100))
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class Interaction(Record, Base):
    """A call, email, meeting, visit, sms or note with one or more contacts."""

    __tablename__ = "interactions"

    type: Mapped[str] = mapped_column(String(10))
    direction: Mapped[str | None] = mapped_column(String(10))  # inbound | outbound
    subject: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    contact_rows: Mapped[list["InteractionContact"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )

    @property
    def contact_ids(self) -> list[uuid.UUID]:
        return sorted(row.contact_id for row in self.contact_rows)


class InteractionContact(Base):
    __tablename__ = "interaction_contacts"

    interaction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Change(Base):
    """Who changed which fields of a record, from what to what, and when."""

    __tablename__ = "changes"

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    action: Mapped[str] = mapped_column(String(20))  # created | updated | merged | ...
    fields: Mapped[dict] = mapped_column(JSON, default=dict)  # {field: [old, new]}
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    via: Mapped[str | None] = mapped_column(String(20))


class TimelineEntry(Base):
    """The projection behind a record's timeline: one row per subject (contact or account),
    from this service's own changes and interactions and from other services' events."""

    __tablename__ = "timeline_entries"
    __table_args__ = (
        Index("ix_timeline_subject_time", "subject_id", "occurred_at", "id"),
        UniqueConstraint("subject_id", "event_id"),
    )

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(30))  # change | interaction | deal | order | ...
    source: Mapped[str] = mapped_column(String(30))  # the publishing service
    event_type: Mapped[str] = mapped_column(String(60))
    event_id: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(String(500))
    data: Mapped[dict] = mapped_column(JSON, default=dict)


class Redirect(Base):
    """A contact merged into another: its old id answers with the survivor's."""

    __tablename__ = "redirects"

    old_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    survivor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Erasure(Base):
    """A contact whose personal data was erased: only the id, when, and by whom remain."""

    __tablename__ = "erasures"

    contact_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    erased_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class BirthdayNotice(Base):
    """Birthdays already announced, so each is published once however often the timer runs."""

    __tablename__ = "birthday_notices"

    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    birthday_on: Mapped[date] = mapped_column(Date, primary_key=True)


class ImportJob(Base):
    __tablename__ = "import_jobs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    status: Mapped[str] = mapped_column(String(20), default="uploading")
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    on_duplicate: Mapped[str] = mapped_column(String(10), default="skip")
    encoding: Mapped[str | None] = mapped_column(String(20))
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)
    total: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    merged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[list] = mapped_column(JSON, default=list)  # [{"line", "reason"}]
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TagJob(Base):
    """Tags added to or removed from a selection too large to change at once: run in batches
    by the service's timer, `last_id` the last record done (records are taken in id order)."""

    __tablename__ = "tag_jobs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    entity: Mapped[str] = mapped_column(String(20))  # account | contact
    status: Mapped[str] = mapped_column(String(20), default="queued")
    operation: Mapped[str] = mapped_column(String(10))
    tags: Mapped[list] = mapped_column(JSON)
    selection: Mapped[dict] = mapped_column(JSON)  # {"ids": [...]} or {"filter": {...}}
    total: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    last_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ImportChunk(Base):
    """The uploaded file, in the order it arrived, so the service can stream it in batches."""

    __tablename__ = "import_chunks"

    job_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


Index("ix_accounts_name_lower", func.lower(Account.name))
Index("ix_contacts_last_name_lower", func.lower(Contact.last_name))
Index("ix_contacts_email_lower", func.lower(Contact.email))
Index("ix_contact_tags_tag", ContactTag.tag, ContactTag.created_at, ContactTag.contact_id)
Index(
    "ix_contact_tags_tag_country",
    ContactTag.tag,
    ContactTag.country,
    ContactTag.created_at,
    ContactTag.contact_id,
)
Index("ix_account_tags_tag", AccountTag.tag, AccountTag.account_id)
