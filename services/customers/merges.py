"""Merging one contact into another: the survivor keeps its own values, gains what only the
duplicate knew, and takes over its interactions, consents and timeline. The duplicate's id
answers with a redirect to the survivor from then on."""

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from infra.context import Actor
from infra.db import utcnow
from infra.errors import ServiceError, ValidationFailed
from services.customers import contacts, records
from services.customers.models import (
    Consent,
    Contact,
    InteractionContact,
    Redirect,
    TimelineEntry,
)

PLAIN_FIELDS = (
    "first_name",
    "last_name",
    "title",
    "account_id",
    "birthday",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
    "preferred_channel",
    "lifecycle_stage",
    "owner_id",
)


def merge(
    *, session: Session, contact_id, duplicate_id, expected_version: int | None, actor: Actor
) -> Contact:
    survivor = contacts.get(session=session, record_id=contact_id)
    records.check_version(survivor, expected_version)
    records.require(
        str(survivor.id) != str(duplicate_id),
        "duplicate_id",
        "A contact cannot be merged into itself.",
    )
    duplicate = _duplicate(session, duplicate_id)
    contacts.fill_in(session, survivor, _known_by(duplicate), actor)
    _take_over(session, survivor, duplicate)
    merged_id = duplicate.id
    session.delete(duplicate)
    session.flush()
    session.add(Redirect(old_id=merged_id, survivor_id=survivor.id, merged_at=utcnow()))
    data = {"survivor_id": str(survivor.id), "merged_id": str(merged_id)}
    envelope = records.publish(session, "contacts_merged", data, actor)
    records.remember(
        session, survivor, "merged", {"merged_id": [None, str(merged_id)]}, actor, envelope
    )
    session.refresh(survivor)
    return survivor


def _duplicate(session: Session, duplicate_id) -> Contact:
    try:
        return contacts.get(session=session, record_id=duplicate_id)
    except ServiceError as missing:  # unknown, or merged or erased already
        raise ValidationFailed(missing.detail, {"duplicate_id": [missing.detail]}) from None


def _known_by(duplicate: Contact) -> dict:
    """What the duplicate knows, in the shape `contacts.fill_in` takes."""
    return {
        **{name: getattr(duplicate, name) for name in PLAIN_FIELDS},
        "emails": contacts.email_list(duplicate),
        "phones": contacts.phone_list(duplicate),
        "tags": duplicate.tags,
        "custom_fields": duplicate.custom_fields,
    }


def _take_over(session: Session, survivor: Contact, duplicate: Contact) -> None:
    """Re-point the duplicate's interactions, consents, timeline and redirects."""
    shared = select(InteractionContact.interaction_id).where(
        InteractionContact.contact_id == survivor.id
    )
    session.execute(
        update(InteractionContact)
        .where(InteractionContact.contact_id == duplicate.id)
        .where(InteractionContact.interaction_id.not_in(shared))
        .values(contact_id=survivor.id)
    )
    session.execute(
        update(Consent).where(Consent.contact_id == duplicate.id).values(contact_id=survivor.id)
    )
    known = select(TimelineEntry.event_id).where(TimelineEntry.subject_id == survivor.id)
    session.execute(
        update(TimelineEntry)
        .where(TimelineEntry.subject_id == duplicate.id)
        .where(TimelineEntry.event_id.not_in(known))
        .values(subject_id=survivor.id)
    )
    session.execute(delete(TimelineEntry).where(TimelineEntry.subject_id == duplicate.id))
    session.execute(
        update(Redirect).where(Redirect.survivor_id == duplicate.id).values(survivor_id=survivor.id)
    )
    session.expire_all()
