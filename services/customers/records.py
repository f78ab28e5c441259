"""What accounts and contacts share: lookups, versioned updates, list filters, events."""

import uuid

from marshmallow import Schema
from sqlalchemy import Select, or_
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from infra import listing, outbox
from infra.errors import NotFound, PreconditionFailed, ValidationFailed
from services.customers.models import Record

SOURCE = "customers"


def parse_id(value) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"No record with id {value!r}.") from None


def get(session: Session, model: type[Record], record_id) -> Record:
    record = session.get(model, parse_id(record_id))
    if record is None:
        raise NotFound(f"No {model.__name__.lower()} with id {record_id}.")
    return record


def check_version(record: Record, expected_version: int | None) -> None:
    if expected_version is not None and record.version != expected_version:
        raise PreconditionFailed(
            f"The {entity(record)} changed since you read it: it is at version "
            f"{record.version}, your If-Match names version {expected_version}."
        )


def apply_changes(record: Record, changes: dict) -> dict:
    """Set the fields that differ; returns `{field: [old, new]}` for the change history."""
    diff = {}
    for field, new in changes.items():
        old = getattr(record, field)
        if old != new:
            diff[field] = [_plain(old), _plain(new)]
            setattr(record, field, new)
    return diff


def _plain(value):
    return str(value) if isinstance(value, uuid.UUID) else value


def flush(session: Session, record: Record) -> None:
    """Write the change; a concurrent writer that got there first makes this a 412."""
    try:
        session.flush()
    except StaleDataError:
        raise PreconditionFailed(
            f"The {entity(record)} was changed by someone else meanwhile."
        ) from None


def filtered(query: Select, model: type[Record], params: dict, search_columns: list) -> Select:
    if "q" in params:
        pattern = (
            "%" + params["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        query = query.where(or_(*(column.ilike(pattern, escape="\\") for column in search_columns)))
    if "created_after" in params:
        query = query.where(model.created_at >= params["created_after"])
    if "created_before" in params:
        query = query.where(model.created_at < params["created_before"])
    return query


def list_page(session: Session, query: Select, model: type[Record], params: dict, sortable: dict):
    return listing.page(
        session,
        query,
        sort=params["sort"],
        allowed=sortable,
        id_column=model.id,
        limit=params["limit"],
        cursor=params.get("cursor"),
    )


def publish(session: Session, type: str, data: dict, actor) -> None:
    outbox.record(session, SOURCE, type, data, actor.as_dict())


def entity(record: Record) -> str:
    return type(record).__name__.lower()


def add(session: Session, record: Record, read: Schema, actor) -> Record:
    session.add(record)
    session.flush()
    publish(session, f"{entity(record)}_created", read.dump(record), actor)
    return record


def change(session: Session, record: Record, changes: dict, read: Schema, actor) -> Record:
    """Apply `changes`; if anything differs, write it and publish `<entity>_updated`."""
    diff = apply_changes(record, changes)
    if diff:
        flush(session, record)
        publish(session, f"{entity(record)}_updated", {**read.dump(record), "changes": diff}, actor)
    return record


def remove(session: Session, record: Record, actor) -> None:
    session.delete(record)
    flush(session, record)
    publish(session, f"{entity(record)}_deleted", {"id": str(record.id)}, actor)


def require(condition: bool, field: str, message: str) -> None:
    if not condition:
        raise ValidationFailed(message, {field: [message]})
