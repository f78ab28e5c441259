"""Sorted, cursor-paged lists: `?sort=-created_at&limit=50&cursor=...`.

The cursor is the last row's sort value and id, so a page is a range scan on an index, however
deep, and rows inserted meanwhile neither repeat nor vanish.
"""

import base64
import json
import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import ColumnElement, Select, select, tuple_
from sqlalchemy.orm import Session

from infra.errors import ValidationFailed
from infra.resource import DEFAULT_LIMIT, MAX_LIMIT


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
    window: int | None = None,
) -> tuple[list, str | None]:
    """One page of `query`'s entities and the cursor of the next page (None on the last).

    `window` is for filters that may match few rows, or rows far down the sort order (see
    `_narrowed`); it needs an index on the sort key, and a key whose differences scale by a
    number (a time)."""
    name, descending = parse_sort(sort, allowed)
    key = allowed[name]
    limit = max(1, min(limit, MAX_LIMIT))
    in_range = []
    if cursor:
        after = _decode(cursor, key, id_column)
        bound = tuple_(key, id_column)
        in_range.append(bound < after if descending else bound > after)
    order = (_direction(key, descending), _direction(id_column, descending))
    query = query.where(*in_range)
    if window:
        query = _narrowed(session, query, key, id_column, descending, in_range, limit + 1, window)
    rows = session.execute(query.add_columns(key).order_by(*order).limit(limit + 1)).all()
    next_cursor = _encode(rows[limit - 1][1], rows[limit - 1][0].id) if len(rows) > limit else None
    return [row[0] for row in rows[:limit]], next_cursor


def _narrowed(session, query, key, id_column, descending, in_range, count, window) -> Select:
    """`query` narrowed to its first `count` rows in sort order, found at a bounded cost
    however few rows match and wherever they are in that order.

    Left to itself, PostgreSQL reads a filtered list in the sort key's index order until it has
    a page, reckoning the matches spread evenly; when they are few, or all far down the order
    (contacts of one old import, of one trade fair years ago), it reads most of the table.
    So: look through the first `window` rows of the order only, whatever the filters; if they
    hold half a page or more, the rest is near: look as far again as a page needs, reckoned
    from the key's range in the window (a time span); only if that fails too, collect every
    match by the filters' own indexes and sort those."""
    order = (_direction(key, descending), _direction(id_column, descending))
    nth = select(key).where(*in_range).order_by(order[0]).offset(window - 1).limit(1)
    edge = session.scalar(nth)
    if edge is None:  # the whole range is in the window
        return query
    first_ids = _first_ids(session, query, key, id_column, order, edge, descending, count)
    if len(first_ids) * 2 >= count and len(first_ids) < count:
        # Thousands of matches spread over the order: collecting them costs far more than
        # reading on in order to about twice the reach a page needs.
        top = session.scalar(select(key).where(*in_range).order_by(order[0]).limit(1))
        edge = top + (edge - top) * (2 * count / len(first_ids))
        first_ids = _first_ids(session, query, key, id_column, order, edge, descending, count)
    if len(first_ids) == count:
        return _found(query, id_column.in_(first_ids))
    # MATERIALIZED keeps PostgreSQL from folding the sort back in and walking the index again.
    matched = query.with_only_columns(id_column.label("id"), key.label("key")).cte("matched")
    matched = matched.prefix_with("MATERIALIZED", dialect="postgresql")
    by_key = (_direction(matched.c.key, descending), _direction(matched.c.id, descending))
    return _found(query, id_column.in_(select(matched.c.id).order_by(*by_key).limit(count)))


def _first_ids(session, query, key, id_column, order, edge, descending, count) -> list:
    """The ids of `query`'s first `count` rows up to `edge` in the sort order."""
    within = query.where(key >= edge if descending else key <= edge)
    return session.scalars(within.with_only_columns(id_column).order_by(*order).limit(count)).all()


def _found(query: Select, ids: ColumnElement) -> Select:
    """`query`'s entity, the rows `ids` found only: their filters are not applied again, which
    PostgreSQL would do through the filters' own indexes (a search term's trigrams) rather
    than by looking the few rows up by id."""
    return select(query.column_descriptions[0]["entity"]).where(ids)


def _direction(column: ColumnElement, descending: bool) -> ColumnElement:
    return column.desc() if descending else column.asc()


def _as_id(id_column: ColumnElement, row_id):
    return uuid.UUID(row_id) if id_column.type.python_type is uuid.UUID else row_id
