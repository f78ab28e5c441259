"""A person's rights over their data: to get all of it, and to have it erased."""

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from infra.context import Actor
from infra.db import utcnow
from infra.outbox import OutboxEvent
from services.customers import contacts, records
from services.customers.models import (
    Change,
    Consent,
    Erasure,
    Interaction,
    InteractionContact,
    Redirect,
    TimelineEntry,
)
from services.customers.schemas import consent_read, contact_read


def personal_data(*, session: Session, contact_id) -> dict:
    """Everything held about the contact, as one JSON document (a subject access request)."""
    contact = contacts.get(session=session, contact_id=contact_id)
    return {
        "contact": contact_read.dump(contact),
        "consents": consent_read.dump(
            _all(session, Consent, Consent.contact_id, contact.id), many=True
        ),
        "interactions": [
            {
                "id": str(interaction.id),
                "type": interaction.type,
                "direction": interaction.direction,
                "subject": interaction.subject,
                "body": interaction.body,
                "occurred_at": interaction.occurred_at.isoformat(),
            }
            for interaction in _interactions(session, contact.id)
        ],
        "history": [
            {
                "action": change.action,
                "fields": change.fields,
                "changed_at": change.changed_at.isoformat(),
                "user_id": str(change.user_id) if change.user_id else None,
            }
            for change in _all(session, Change, Change.record_id, contact.id)
        ],
        "merged_from": [
            str(old_id)
            for old_id in session.scalars(
                select(Redirect.old_id).where(Redirect.survivor_id == contact.id)
            )
        ],
        "exported_at": utcnow().isoformat(),
    }


def erase(*, session: Session, contact_id, actor: Actor) -> None:
    """Remove the contact's personal data everywhere this service holds it, keep that it was
    erased, and publish `contact_erased` so every other service removes its copies."""
    contact = contacts.get(session=session, contact_id=contact_id)
    erased_ids = [contact.id, *_merged_into(session, contact.id)]
    _delete_own_interactions(session, contact.id)
    for model, column in (
        (Change, Change.record_id),
        (TimelineEntry, TimelineEntry.subject_id),
    ):
        session.execute(delete(model).where(column.in_(erased_ids)))
    _scrub_events(session, erased_ids)
    session.delete(contact)
    session.flush()
    for erased_id in erased_ids:
        session.add(
            Erasure(
                contact_id=erased_id,
                erased_at=utcnow(),
                erased_by=records.parse_user(actor.user_id),
            )
        )
    records.publish(
        session,
        "contact_erased",
        {"id": str(contact.id), "merged_ids": [str(i) for i in erased_ids[1:]]},
        actor,
    )


def _all(session: Session, model, column, value) -> list:
    return list(session.scalars(select(model).where(column == value).order_by(model.id)))


def _interactions(session: Session, contact_id) -> list[Interaction]:
    return list(
        session.scalars(
            select(Interaction)
            .join(InteractionContact)
            .where(InteractionContact.contact_id == contact_id)
            .order_by(Interaction.occurred_at)
        )
    )


def _merged_into(session: Session, contact_id) -> list:
    return list(session.scalars(select(Redirect.old_id).where(Redirect.survivor_id == contact_id)))


def _delete_own_interactions(session: Session, contact_id) -> None:
    """Interactions with this contact alone are about them: they go. Shared ones stay, without
    this contact (the cascade unlinks it)."""
    others = (
        select(func.count())
        .where(InteractionContact.interaction_id == Interaction.id)
        .where(InteractionContact.contact_id != contact_id)
        .scalar_subquery()
    )
    own = select(InteractionContact.interaction_id).where(
        InteractionContact.contact_id == contact_id
    )
    session.execute(delete(Interaction).where(Interaction.id.in_(own)).where(others == 0))


def _scrub_events(session: Session, erased_ids: list) -> None:
    """The outbox keeps events for late subscribers: the contact's personal data goes from
    them too, leaving the events (and their sequence) in place."""
    subject = OutboxEvent.envelope["data"]["id"].as_string()
    for erased_id in erased_ids:
        for event in session.scalars(select(OutboxEvent).where(subject == str(erased_id))):
            event.envelope = {**event.envelope, "data": {"id": str(erased_id), "erased": True}}
