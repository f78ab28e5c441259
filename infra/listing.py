"""Sorted, cursor-paged lists: `?sort=-created_at&limit=50&cursor=...`.

The cursor is the last row's sort value and id, so a page is a range scan on an index, however
deep, and rows inserted meanwhile neither repeat nor vanish.
"""

import base64
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from marshmallow import Schema, fields, validate
from sqlalchemy import ColumnElement, Select, tuple_
from sqlalchemy.orm import Session

from infra.errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def parse_sort(sort: str, allowed: dict[str, ColumnElement]) -> tuple[str, bool]:
    name, descending = (sort[1:], True) if sort.startswith("-") else (sort, False)
    if name not in allowed:
        raise ValidationFailed(
            f"Cannot sort by {name!r}.",
            {"sort": [f"Must be one of: {', '.join(sorted(allowed))}."]},
        )
    return name, descending


# Sort values JSON has no type for, tagged so that a cursor gives back the same type
# (datetime before date: a datetime is a date too).
TAGGED = (
    ("dt", datetime, datetime.isoformat, datetime.fromisoformat),
    ("d", date, date.isoformat, date.fromisoformat),
    ("dec", Decimal, str, Decimal),
)


def _encode(value, row_id) -> str:
    for tag, kind, dump, _ in TAGGED:
        if isinstance(value, kind):
            value = {tag: dump(value)}
            break
    raw = json.dumps([value, str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _untag(value: dict):
    ((tag, text),) = value.items()
    return {name: parse for name, _, _, parse in TAGGED}[tag](text)


def _decode(cursor: str, key: ColumnElement, id_column: ColumnElement) -> tuple:
    """The cursor's sort value and row id, checked against the columns they will be compared
    with, so a cursor from another sort, or a forged one, is a 422 and never reaches SQL."""
    try:
        value, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if isinstance(value, dict):
            value = _untag(value)
        if not isinstance(value, key.type.python_type):
            raise TypeError(f"a {type(value).__name__} for a {key.type.python_type.__name__}")
        return value, _as_id(id_column, row_id)
    except (ValueError, TypeError, KeyError, AttributeError, InvalidOperation) as exc:
        raise ValidationFailed(
            "Bad cursor.", {"cursor": ["Not a cursor this API issued for this sort."]}
        ) from exc


def page(
    session: Session,
    query: Select,
    *,
    sort: str,
    allowed: dict[str, ColumnElement],
    id_column: ColumnElement,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> tuple[list, str | None]:
    """One page of `query`'s entities and the cursor of the next page (None on the last)."""
    name, descending = parse_sort(sort, allowed)
    key = allowed[name]
    limit = max(1, min(limit, MAX_LIMIT))
    if cursor:
        after = _decode(cursor, key, id_column)
        bound = tuple_(key, id_column)
        query = query.where(bound < after if descending else bound > after)
    order = (key.desc(), id_column.desc()) if descending else (key.asc(), id_column.asc())
    rows = session.execute(query.add_columns(key).order_by(*order).limit(limit + 1)).all()
    next_cursor = _encode(rows[limit - 1][1], rows[limit - 1][0].id) if len(rows) > limit else None
    return [row[0] for row in rows[:limit]], next_cursor


def _as_id(id_column: ColumnElement, row_id):
    return uuid.UUID(row_id) if id_column.type.python_type is uuid.UUID else row_id


class PageQuery(Schema):
    """The query parameters every list takes; a service's list schemas add their filters."""

    q = fields.String(
        validate=validate.Length(min=1, max=200), metadata={"description": "Search text."}
    )
    sort = fields.String(
        load_default="-created_at", metadata={"description": "Field, `-` for descending."}
    )
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT))
    cursor = fields.String(metadata={"description": "`next_cursor` of the previous page."})
    created_after = fields.AwareDateTime(default_timezone=UTC)
    created_before = fields.AwareDateTime(default_timezone=UTC)
    updated_after = fields.AwareDateTime(default_timezone=UTC)
    updated_before = fields.AwareDateTime(default_timezone=UTC)
