"""What the customers service's records share: list filters, events, history and timeline
entries, tags. The generic part (lookups, If-Match, diffs, optimistic writes, pages) is
`infra.records`, re-exported here so the domain modules say `records.get` for both."""

import uuid
from collections.abc import Callable
from datetime import datetime

from marshmallow import Schema
from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from infra import outbox
from infra.context import Actor
from infra.db import utcnow
from infra.errors import Conflict
from infra.records import VISIBLE as VISIBLE
from infra.records import Accessor as Accessor
from infra.records import apply_changes as apply_changes
from infra.records import check_version as check_version
from infra.records import entity as entity
from infra.records import flush as flush
from infra.records import get as get
from infra.records import in_period as in_period
from infra.records import list_page as list_page
from infra.records import parse_id as parse_id
from infra.records import plain as plain
from infra.records import require as require
from infra.records import substring as substring
from infra.records import visible_only as visible_only
from services.customers.models import Change, Record, TimelineEntry

SOURCE = "customers"


# Puts a record's event on timelines other than the record's own: `(session, record, envelope)`.
Timeline = Callable[[Session, Record, dict], None]


def filtered(query: Select, model: type[Record], params: dict) -> Select:
    """The filters accounts and contacts share; `q`, tags and custom fields are the caller's.
    (The created and updated ranges every list takes are `infra.records.in_period`.)"""
    for field in ("owner_id", "country"):
        if field in params:
            query = query.where(getattr(model, field) == params[field])
    return query


def made_before(session: Session, model: type[Record], record_id, data: dict, keys: tuple):
    """The record an earlier create with this caller-chosen id made, if any: a retry is answered
    with it. An id taken by a record the request does not describe (by `keys`) is a 409."""
    existing = session.get(model, record_id) if record_id is not None else None
    if existing is not None and any(getattr(existing, key) != data.get(key) for key in keys):
        message = f"Id {record_id} names another {entity(existing)}."
        raise Conflict(message, {"id": [message]})
    return existing


def add_once(
    session: Session, record: Record, read: Schema, actor: Actor, data: dict, keys: tuple
) -> Record:
    """`add` a record whose id the caller chose. Two creates with one id at once: the second
    insert waits for the first to commit, then fails; its answer is the first one's record."""
    try:
        with session.begin_nested():
            return add(session, record, read, actor)
    except IntegrityError:
        earlier = made_before(session, type(record), record.id, data, keys)
        if earlier is None:
            raise
        return earlier


def publish(session: Session, type: str, data: dict, actor: Actor) -> dict:
    return outbox.record(session, SOURCE, type, data, actor.as_dict())


def add(
    session: Session, record: Record, read: Schema, actor: Actor, timeline: Timeline | None = None
) -> Record:
    return add_many(session, [record], read, actor, timeline)[0]


def add_many(
    session: Session,
    new: list[Record],
    read: Schema,
    actor: Actor,
    timeline: Timeline | None = None,
) -> list[Record]:
    """Write new records with one flush, and their `<entity>_created` events with one
    reservation of sequence numbers (an import adds hundreds at a time)."""
    session.add_all(new)
    session.flush()
    created = [(f"{entity(record)}_created", read.dump(record)) for record in new]
    envelopes = outbox.record_many(session, SOURCE, created, actor.as_dict())
    for record, envelope in zip(new, envelopes, strict=True):
        remember(session, record, "created", {}, actor, envelope, timeline)
    return new


def change(
    session: Session,
    record: Record,
    changes: dict,
    read: Schema,
    actor: Actor,
    accessors: dict[str, Accessor] | None = None,
    prepare: Callable[[Record], None] | None = None,
    timeline: Timeline | None = None,
) -> Record:
    """Apply `changes`; if anything differs, write it and publish `<entity>_updated`.
    `prepare` runs after the changes, before the write (to refresh derived columns)."""
    diff = apply_changes(record, changes, accessors or {})
    if diff:
        if prepare:
            prepare(record)
        flush(session, record)
        data = {**read.dump(record), "changes": diff}
        envelope = publish(session, f"{entity(record)}_updated", data, actor)
        remember(session, record, "updated", diff, actor, envelope, timeline)
    return record


def remove(session: Session, record: Record, actor: Actor) -> None:
    session.delete(record)
    flush(session, record)
    envelope = publish(session, f"{entity(record)}_deleted", {"id": str(record.id)}, actor)
    remember(session, record, "deleted", {}, actor, envelope)


def remember(
    session: Session,
    record: Record,
    action: str,
    fields: dict,
    actor: Actor,
    envelope: dict,
    timeline: Timeline | None = None,
) -> None:
    """Keep the change in the record's history, and on its own timeline unless `timeline` puts
    it elsewhere (an interaction goes on its contacts' and its account's)."""
    name = entity(record)
    session.add(
        Change(
            entity=name,
            record_id=record.id,
            action=action,
            fields=fields,
            changed_at=utcnow(),
            user_id=actor.user_uuid,
            via=actor.via,
        )
    )
    if timeline is not None:
        timeline(session, record, envelope)
    elif action != "deleted":
        what = f"changed {', '.join(sorted(fields))}" if fields else action
        summary = f"{name.capitalize()} {what}"
        on_timeline(session, record.id, envelope, "change", summary, {"changes": fields})


def on_timeline(
    session: Session,
    subject_id: uuid.UUID,
    envelope: dict,
    kind: str,
    summary: str,
    data: dict | None = None,
    occurred_at: datetime | None = None,
) -> None:
    """An entry at `occurred_at`, by default when the event happened."""
    session.add(
        TimelineEntry(
            subject_id=subject_id,
            occurred_at=occurred_at or datetime.fromisoformat(envelope["time"]),
            kind=kind,
            source=envelope["source"].removeprefix("crm/"),
            event_type=envelope["type"],
            event_id=envelope["id"],
            summary=summary[:500],
            data=envelope["data"] if data is None else data,
        )
    )


def set_tags(tag_model, record: Record, tags: list[str]) -> None:
    """Make the record's tag rows exactly `tags`, keeping the rows that stay."""
    kept = {row.tag: row for row in record.tag_rows}
    record.tag_rows = [kept.get(tag) or tag_model(tag=tag) for tag in tags]
