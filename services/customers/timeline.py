"""What happened to a contact or an account, newest first: its timeline (its own changes, its
interactions, and other services' events about it, projected here as they arrive) and its change
history (who changed which field from what to what)."""

import uuid

from sqlalchemy import ColumnElement, Select, select, union
from sqlalchemy.orm import Session

from contracts.customers import KIND_BY_WORD
from infra import listing
from infra.errors import NotFound
from services.customers import accounts, contacts, records
from services.customers.models import Account, Change, Contact, Record, Redirect, TimelineEntry

FINDERS = {
    "contact": lambda session, record_id: contacts.get(session=session, record_id=record_id),
    "account": lambda session, record_id: accounts.get(session=session, record_id=record_id),
}
# Another service's event is about the contacts and accounts its data names with these keys.
SUBJECT_KEYS = ("contact_id", "primary_contact_id", "account_id")
NAME_KEYS = ("name", "title", "subject", "number")
AMOUNT_KEYS = ("amount", "total")


def subject(session: Session, entity: str, record_id) -> Record:
    """The contact or account asked about: a merged contact answers Moved, an erased one Gone."""
    find = FINDERS.get(entity)
    if find is None:
        raise NotFound(f"Only contacts and accounts have a timeline, not {entity!r}.")
    return find(session, record_id)


def get_all(*, session: Session, entity: str, record_id, params: dict):
    """One page of the timeline: a range scan of `ix_timeline_subject_time`."""
    query = select(TimelineEntry).where(
        TimelineEntry.subject_id == subject(session, entity, record_id).id
    )
    if "kind" in params:
        query = query.where(TimelineEntry.kind.in_(params["kind"]))
    return newest_first(session, query, TimelineEntry.occurred_at, TimelineEntry.id, params)


def history(*, session: Session, entity: str, record_id, params: dict):
    query = select(Change).where(Change.record_id == subject(session, entity, record_id).id)
    return newest_first(session, query, Change.changed_at, Change.id, params)


def newest_first(
    session: Session, query: Select, time: ColumnElement, id_column: ColumnElement, params: dict
):
    return listing.page(
        session,
        query,
        sort=f"-{time.key}",
        allowed={time.key: time},
        id_column=id_column,
        limit=params["limit"],
        cursor=params.get("cursor"),
    )


def project(session: Session, envelope: dict) -> None:
    """Put another service's event on the timeline of each contact and account its data names
    that this service has. The consumer applies an event once; should it come again all the
    same (positions reset to rebuild), the subjects that have it already are skipped."""
    data = envelope["data"] if isinstance(envelope.get("data"), dict) else {}
    subject_ids = known(session, named(data))
    if subject_ids:
        subject_ids -= set(
            session.scalars(
                select(TimelineEntry.subject_id).where(
                    TimelineEntry.subject_id.in_(subject_ids),
                    TimelineEntry.event_id == envelope["id"],
                )
            )
        )
    kind, summary = kind_of(envelope["type"]), summary_of(envelope["type"], data)
    for subject_id in sorted(subject_ids):
        records.on_timeline(session, subject_id, envelope, kind, summary)


def named(data: dict) -> set[uuid.UUID]:
    values = [data.get(key) for key in SUBJECT_KEYS]
    if isinstance(data.get("contact_ids"), list):
        values += data["contact_ids"]
    return {found for value in values if (found := as_uuid(value))}


def as_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if isinstance(value, str) else None
    except ValueError:
        return None


def known(session: Session, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """The ids of contacts and accounts this service has; a merged contact's survivor for its
    old id."""
    if not ids:
        return set()
    return set(
        session.scalars(
            union(
                select(Contact.id).where(Contact.id.in_(ids)),
                select(Redirect.survivor_id).where(Redirect.old_id.in_(ids)),
                select(Account.id).where(Account.id.in_(ids)),
            )
        )
    )


def kind_of(event_type: str) -> str:
    return KIND_BY_WORD.get(event_type.split("_")[0], "other")


def summary_of(event_type: str, data: dict) -> str:
    """Like "Opportunity won: Big deal (12000.00 EUR)"; at least "Opportunity won"."""
    text = event_type.replace("_", " ").capitalize()
    name = next(
        (data[key] for key in NAME_KEYS if isinstance(data.get(key), str) and data[key]), ""
    )
    amount = next((data[key] for key in AMOUNT_KEYS if data.get(key) is not None), None)
    if name:
        text += f": {name}"
    if amount is not None:
        money = (str(part) for part in (amount, data.get("currency")) if part is not None)
        text += f" ({' '.join(money)})"
    return text
