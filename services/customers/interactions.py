"""Interactions: the calls, emails, meetings, visits, sms and notes with contacts and accounts.
Each appears on the timeline of every contact it was with and of its account."""

import operator
import uuid
from collections.abc import Iterable, Sequence
from functools import partial

import sqlalchemy as sa
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from contracts.customers import interaction_errors, interaction_read
from infra.context import Actor
from infra.db import utcnow
from infra.errors import ValidationFailed
from services.customers import contacts, records
from services.customers.models import Contact, Interaction, InteractionContact, TimelineEntry

SORTABLE = {
    "occurred_at": Interaction.occurred_at,
    "created_at": Interaction.created_at,
    "updated_at": Interaction.updated_at,
}
FILTERS = (
    ("created_after", Interaction.created_at, operator.ge),
    ("created_before", Interaction.created_at, operator.lt),
    ("updated_after", Interaction.updated_at, operator.ge),
    ("updated_before", Interaction.updated_at, operator.lt),
    ("occurred_after", Interaction.occurred_at, operator.ge),
    ("occurred_before", Interaction.occurred_at, operator.lt),
    ("account_id", Interaction.account_id, operator.eq),
    ("type", Interaction.type, operator.eq),
    ("user_id", Interaction.user_id, operator.eq),
)
LABELS = {
    "call": "Call",
    "email": "Email",
    "meeting": "Meeting",
    "visit": "Visit",
    "sms": "SMS",
    "note": "Note",
}


def get(*, session: Session, record_id) -> Interaction:
    return records.get(session, Interaction, record_id)


def selected(params: dict) -> Select:
    """The interactions a list's filters select (unsorted)."""
    query = select(Interaction)
    for param, column, compare in FILTERS:
        if param in params:
            query = query.where(compare(column, params[param]))
    if "contact_id" in params:
        query = query.where(Interaction.contact_rows.any(contact_id=params["contact_id"]))
    if "q" in params:
        pattern = records.substring(params["q"].lower())
        query = query.where(
            func.lower(Interaction.subject).like(pattern, escape="\\")
            | func.lower(Interaction.body).like(pattern, escape="\\")
        )
    return query


def get_all(
    *, session: Session, params: dict, actor: Actor
) -> tuple[list[Interaction], str | None]:
    return records.list_page(session, selected(params), Interaction, params, SORTABLE)


def create(*, session: Session, data: dict, actor: Actor) -> Interaction:
    data = {"occurred_at": utcnow(), "user_id": actor.user_uuid, **data}
    contact_ids = unique(data.pop("contact_ids", []))
    accounts = set(contact_accounts(session, contact_ids).values())
    if "account_id" not in data:
        data["account_id"] = accounts.pop() if len(accounts) == 1 else None
    contacts.check_account(session, data["account_id"])
    interaction = Interaction(**data)
    set_contacts(interaction, contact_ids)
    return records.add(session, interaction, interaction_read, actor, put_on_timelines)


def update(*, session: Session, record_id, changes: dict, actor: Actor) -> Interaction:
    interaction = get(session=session, record_id=record_id)
    changes = dict(changes)
    if "contact_ids" in changes:
        changes["contact_ids"] = unique(changes["contact_ids"])
        contact_accounts(session, changes["contact_ids"])
    contacts.check_account(session, changes.get("account_id"))
    check_complete(interaction, changes)
    return records.change(
        session,
        interaction,
        changes,
        interaction_read,
        actor,
        ACCESSORS,
        timeline=partial(put_on_timelines, previous=subjects(interaction)),
    )


def delete(*, session: Session, record_id, actor: Actor):
    interaction = get(session=session, record_id=record_id)
    take_off_timelines(session, interaction, subjects(interaction))
    records.remove(session, interaction, actor)


def unique(contact_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    return sorted(set(contact_ids))


def contact_accounts(session: Session, contact_ids: list[uuid.UUID]) -> dict:
    """Each contact's account id; a contact that does not exist is a 422 on `contact_ids`."""
    query = select(Contact.id, Contact.account_id).where(Contact.id.in_(contact_ids))
    found = dict(session.execute(query).tuples().all())
    unknown = [str(contact_id) for contact_id in contact_ids if contact_id not in found]
    records.require(not unknown, "contact_ids", f"No contact with id {', '.join(unknown)}.")
    return found


def check_complete(interaction: Interaction, changes: dict) -> None:
    current = {
        "type": interaction.type,
        "direction": interaction.direction,
        "contact_ids": interaction.contact_ids,
        "account_id": interaction.account_id,
    }
    errors = interaction_errors({**current, **changes})
    if errors:
        raise ValidationFailed("The interaction would be incomplete.", errors)


def set_contacts(interaction: Interaction, contact_ids: list[uuid.UUID]) -> None:
    kept = {row.contact_id: row for row in interaction.contact_rows}
    interaction.contact_rows = [
        kept.get(contact_id) or InteractionContact(contact_id=contact_id)
        for contact_id in contact_ids
    ]


ACCESSORS = {"contact_ids": (operator.attrgetter("contact_ids"), set_contacts)}


def subjects(interaction: Interaction) -> list[uuid.UUID]:
    """The records on whose timelines the interaction appears."""
    account = [interaction.account_id] if interaction.account_id else []
    return [*interaction.contact_ids, *account]


def summary(interaction: Interaction) -> str:
    label = LABELS[interaction.type]
    if interaction.direction:
        label += f" ({interaction.direction})"
    return f"{label}: {interaction.subject}" if interaction.subject else label


def put_on_timelines(
    session: Session,
    interaction: Interaction,
    envelope: dict,
    previous: Sequence[uuid.UUID] = (),
) -> None:
    """One entry per contact and account, at the time it happened, replacing earlier ones."""
    take_off_timelines(session, interaction, previous)
    for subject_id in subjects(interaction):
        records.on_timeline(
            session,
            subject_id,
            envelope,
            "interaction",
            summary(interaction),
            occurred_at=interaction.occurred_at,
        )


def take_off_timelines(
    session: Session, interaction: Interaction, subject_ids: Sequence[uuid.UUID]
) -> None:
    if subject_ids:
        session.execute(
            sa.delete(TimelineEntry)
            .where(
                TimelineEntry.subject_id.in_(subject_ids),
                TimelineEntry.kind == "interaction",
                TimelineEntry.data["id"].as_string() == str(interaction.id),
            )
            .execution_options(synchronize_session=False)
        )
