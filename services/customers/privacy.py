"""A person's rights over their data: to get all of it, and to have it erased."""

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from contracts.customers import consent_read, contact_read, interaction_read
from infra.context import Actor
from infra.db import utcnow
from infra.outbox import OutboxEvent
from services.customers import contacts, interactions, records
from services.customers.models import (
    Change,
    Consent,
    Erasure,
    Interaction,
    InteractionContact,
    Redirect,
    TimelineEntry,
)


def personal_data(*, session: Session, contact_id) -> dict:
    """Everything held about the contact, as one JSON document (a subject access request)."""
    contact = contacts.get(session=session, record_id=contact_id)
    return {
        "contact": contact_read.dump(contact),
        "consents": consent_read.dump(
            _all(session, Consent, Consent.contact_id, contact.id), many=True
        ),
        "interactions": interaction_read.dump(_interactions(session, contact.id), many=True),
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
    contact = contacts.get(session=session, record_id=contact_id)
    erased_ids = [contact.id, *_merged_into(session, contact.id)]
    gone = _delete_own_interactions(session, contact.id)
    for model, column in (
        (Change, Change.record_id),
        (TimelineEntry, TimelineEntry.subject_id),
    ):
        session.execute(delete(model).where(column.in_(erased_ids)))
    _scrub_events(session, [*erased_ids, *gone])
    session.delete(contact)
    session.flush()
    for erased_id in erased_ids:
        session.add(
            Erasure(
                contact_id=erased_id,
                erased_at=utcnow(),
                erased_by=actor.user_uuid,
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


def _delete_own_interactions(session: Session, contact_id) -> list:
    """Interactions with this contact alone are about them: they go, from every timeline too.
    Shared ones stay, without this contact (the cascade unlinks it). Returns the ids gone."""
    others = (
        select(func.count())
        .where(InteractionContact.interaction_id == Interaction.id)
        .where(InteractionContact.contact_id != contact_id)
        .scalar_subquery()
    )
    own = select(InteractionContact.interaction_id).where(
        InteractionContact.contact_id == contact_id
    )
    gone = list(session.scalars(select(Interaction).where(Interaction.id.in_(own), others == 0)))
    for interaction in gone:
        interactions.take_off_timelines(session, interaction, interactions.subjects(interaction))
        session.delete(interaction)
    return [interaction.id for interaction in gone]


def _scrub_events(session: Session, record_ids: list) -> None:
    """The outbox keeps events for late subscribers: the personal data of these records (the
    contact, and the interactions about them alone) goes from them too, leaving the events
    (and their sequence) in place."""
    subject = OutboxEvent.envelope["data"]["id"].as_string()
    for record_id in record_ids:
        for event in session.scalars(select(OutboxEvent).where(subject == str(record_id))):
            event.envelope = {**event.envelope, "data": {"id": str(record_id), "erased": True}}
