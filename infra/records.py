"""What every service does with its editable records (`infra.db.Record`): find one by id,
check the caller's `If-Match` version, apply changes and report the diff, write with
optimistic locking, page a list."""

import operator
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from operator import attrgetter
from typing import Any

from sqlalchemy import Select, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from infra import listing
from infra.db import Record, utcnow
from infra.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed

# How to read and write a field that is not a plain column (tags, emails, lines...).
Accessor = tuple[Callable[[Record], Any], Callable[[Record, Any], None]]


def parse_id(value) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"No record with id {value!r}.") from None


def get(session: Session, model: type, record_id):
    record = session.get(model, parse_id(record_id))
    if record is None:
        raise NotFound(f"No {entity_name(model)} with id {record_id}.")
    return record


def entity_name(model: type) -> str:
    """`Opportunity` -> "opportunity", `PriceBook` -> "price_book"."""
    name = model.__name__
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


def entity(record) -> str:
    return entity_name(type(record))


def check_version(record: Record, expected_version: int | None) -> None:
    if expected_version is not None and record.version != expected_version:
        raise PreconditionFailed(
            f"The {entity(record)} changed since you read it: it is at version "
            f"{record.version}, your If-Match names version {expected_version}."
        )


def apply_changes(record: Record, changes: dict, accessors: dict[str, Accessor]) -> dict:
    """Set the fields that differ; returns `{field: [old, new]}` for events and history."""
    diff = {}
    for field, new in changes.items():
        read, write = accessors.get(field, (attrgetter(field), partial(_set, field)))
        old = read(record)
        if old != new:
            diff[field] = [plain(old), plain(new)]
            write(record, new)
    if diff:
        record.updated_at = utcnow()  # also when only related rows changed: a new version
    return diff


def _set(field: str, record: Record, value) -> None:
    setattr(record, field, value)


def plain(value):
    """A value as it appears in events and change histories (JSON), lists and dicts too."""
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def flush(session: Session, record: Record) -> None:
    """Write the change; a concurrent writer that got there first makes this a 412."""
    try:
        session.flush()
    except StaleDataError:
        raise PreconditionFailed(
            f"The {entity(record)} was changed by someone else meanwhile."
        ) from None


def list_page(
    session: Session,
    query: Select,
    model: type,
    params: dict,
    sortable: dict,
    window: int | None = None,
):
    """A page of `query` as the list RPCs answer it, from loaded `PageQuery` params (the
    created and updated ranges every list takes are applied here); `window`: see
    `listing.page`."""
    return listing.page(
        session,
        visible_only(in_period(query, model, params), model, params),
        sort=params["sort"],
        allowed=sortable,
        id_column=model.id,
        limit=params["limit"],
        cursor=params.get("cursor"),
        window=window,
    )


PERIODS = (
    ("created_after", "created_at", operator.ge),
    ("created_before", "created_at", operator.lt),
    ("updated_after", "updated_at", operator.ge),
    ("updated_before", "updated_at", operator.lt),
)


def in_period(query: Select, model: type, params: dict) -> Select:
    """`query` narrowed to the created and updated ranges the list params name."""
    for param, column, compare in PERIODS:
        if param in params:
            query = query.where(compare(getattr(model, column), params[param]))
    return query


# The list params' key under which `infra.crud` puts the caller's scope: (the record type's
# owner field, the users whose records the caller sees).
VISIBLE = "visible_owners"


def visible_only(query: Select, model: type, params: dict) -> Select:
    """`query` narrowed to the records the caller may see: owned by one of the users they see,
    or by nobody (a record without an owner is everyone's)."""
    scope = params.get(VISIBLE)
    if scope is None:
        return query
    owner_field, owners = scope
    column = getattr(model, owner_field)
    return query.where(or_(column.is_(None), column.in_([parse_id(user) for user in owners])))


def page_of(schema, page: tuple[list, str | None]) -> dict:
    """A `list_page` result as a list RPC answers it."""
    items, next_cursor = page
    return {"items": schema.dump(items, many=True), "next_cursor": next_cursor}


def substring(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own wildcards taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def require(condition: bool, field: str, message: str) -> None:
    """A 422 naming `field` unless `condition` holds."""
    if not condition:
        raise ValidationFailed(message, {field: [message]})


@contextmanager
def unique(session: Session, field: str, message: str) -> Iterator[None]:
    """Writes in a savepoint; a unique key clash (a concurrent writer got there first, after
    the caller's own check) is a 409 naming `field`, not a 500."""
    try:
        with session.begin_nested():
            yield
    except IntegrityError:
        raise Conflict(message, {field: [message]}) from None
