"""Every business step of the sales service publishes an event through the outbox, in the
step's own transaction (see docs/events.md, `## sales`)."""

from marshmallow import Schema
from sqlalchemy.orm import Session

from infra import outbox, records
from infra.context import Actor
from infra.db import Record

SOURCE = "sales"
SYSTEM = Actor()  # work the service does by itself: seeds, expiries, reminders


def publish(session: Session, type: str, data: dict, actor: Actor) -> dict:
    return outbox.record(session, SOURCE, type, data, actor.as_dict())


def created(session: Session, record: Record, read: Schema, actor: Actor) -> Record:
    """Add the record and publish `<entity>_created` with it as read."""
    session.add(record)
    session.flush()
    publish(session, f"{records.entity(record)}_created", read.dump(record), actor)
    return record


def updated(
    session: Session,
    record: Record,
    changes: dict,
    read: Schema,
    actor: Actor,
    accessors: dict[str, records.Accessor] | None = None,
    type: str | None = None,
) -> dict:
    """Apply the changes; if anything differs, write it and publish `type` (by default
    `<entity>_updated`) with the record as read and `changes`: `{field: [old, new]}`. Returns
    those changes."""
    diff = records.apply_changes(record, changes, accessors or {})
    if diff:
        records.flush(session, record)
        data = {**read.dump(record), "changes": diff}
        publish(session, type or f"{records.entity(record)}_updated", data, actor)
    return diff


def deleted(session: Session, record: Record, actor: Actor, **data) -> None:
    """Delete the record and publish `<entity>_deleted` with its id (and `data`)."""
    session.delete(record)
    records.flush(session, record)
    publish(session, f"{records.entity(record)}_deleted", {"id": str(record.id), **data}, actor)
