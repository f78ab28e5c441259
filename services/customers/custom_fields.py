"""Fields an admin adds to accounts or contacts. Definitions live in `custom_fields`; a record's
values in its `custom_fields` JSON column, checked against the definitions on every write."""

from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import cast, exists, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from contracts.customers import account_read, contact_read, custom_field_read
from infra.context import Actor
from infra.errors import Conflict, ValidationFailed
from services.customers import records
from services.customers.models import Account, Contact, CustomField

MODELS = {"account": Account, "contact": Contact}
READS = {"account": account_read, "contact": contact_read}


def get(*, session: Session, record_id) -> CustomField:
    return records.get(session, CustomField, record_id)


def get_all(*, session: Session, params: dict, actor: Actor) -> tuple[list[CustomField], None]:
    """Every definition (they are few), by entity and name: one page."""
    query = select(CustomField).order_by(CustomField.entity, CustomField.name)
    if params.get("entity"):
        query = query.where(CustomField.entity == params["entity"])
    return list(session.scalars(query)), None


def definitions(session: Session, entity: str) -> dict[str, CustomField]:
    """The entity's fields by name, read once per session (an import asks for every row)."""
    cache = session.info.setdefault(DEFINITIONS_KEY, {})
    if entity not in cache:
        found = session.scalars(select(CustomField).where(CustomField.entity == entity))
        cache[entity] = {field.name: field for field in found}
    return cache[entity]


def _forget_definitions(session: Session) -> None:
    session.info.pop(DEFINITIONS_KEY, None)


DEFINITIONS_KEY = "custom_field_definitions"


def create(*, session: Session, data: dict, actor: Actor) -> CustomField:
    taken = session.scalar(select(CustomField).filter_by(entity=data["entity"], name=data["name"]))
    if taken is not None:
        raise Conflict(
            f"The {data['entity']}s already have a custom field named {data['name']!r}.",
            {"name": ["Already defined."]},
        )
    field = CustomField(**data)
    session.add(field)
    session.flush()
    _forget_definitions(session)
    records.publish(session, "custom_field_created", custom_field_read.dump(field), actor)
    return field


def update(*, session: Session, record_id, changes: dict, actor: Actor) -> CustomField:
    field = get(session=session, record_id=record_id)
    if "options" in changes:
        records.require(
            field.type in ("select", "multiselect") or not changes["options"],
            "options",
            "Only select fields have options.",
        )
        records.require(
            field.type not in ("select", "multiselect") or bool(changes["options"]),
            "options",
            "A select field needs options.",
        )
    diff = records.apply_changes(field, changes, {})
    if diff:
        records.flush(session, field)
        _forget_definitions(session)
        data = {**custom_field_read.dump(field), "changes": diff}
        records.publish(session, "custom_field_updated", data, actor)
    return field


def delete(*, session: Session, record_id, actor: Actor) -> None:
    """Drop the definition and its values from every record. Each record that held a value
    changes as an edit would change it: a new version, its history, its `_updated` event."""
    field = get(session=session, record_id=record_id)
    model, read = MODELS[field.entity], READS[field.entity]
    holding = select(model).where(_value(model, field.name).is_not(None)).order_by(model.id)
    for record in session.scalars(holding).all():
        kept = {name: value for name, value in record.custom_fields.items() if name != field.name}
        records.change(session, record, {"custom_fields": kept}, read, actor)
    session.delete(field)
    records.flush(session, field)
    _forget_definitions(session)
    data = {"id": str(field.id), "entity": field.entity, "name": field.name}
    records.publish(session, "custom_field_deleted", data, actor)


def _value(model, name: str):
    return model.custom_fields[name]


def checked(session: Session, entity: str, values: dict, current: dict | None = None) -> dict:
    """`current` with `values` applied (None removes), each checked against its definition."""
    known = definitions(session, entity) if values else {}  # nothing to check: no query
    result, errors = dict(current or {}), {}
    for name, value in values.items():
        if name not in known:
            errors[name] = [f"No custom field {name!r} is defined for {entity}s."]
        elif value is None:
            result.pop(name, None)
        else:
            try:
                result[name] = _coerce(known[name], value)
            except ValueError as exc:
                errors[name] = [str(exc)]
    if errors:
        raise ValidationFailed("Invalid custom fields.", {"custom_fields": errors})
    return result


def from_text(session: Session, entity: str, texts: dict[str, str]) -> dict:
    """Values as a CSV file writes them ("42", "true", "a;b"), read by their definitions and
    checked like the API's; a 422 naming `custom_fields` and each bad field otherwise."""
    known = definitions(session, entity)
    return checked(
        session, entity, {name: _read(known.get(name), text) for name, text in texts.items()}
    )


def _read(field: CustomField | None, text: str):
    if field is None or field.type in ("text", "decimal", "date", "select"):
        return text
    if field.type == "multiselect":
        return [item.strip() for item in text.split(";") if item.strip()]
    if field.type == "boolean":
        return BOOLEAN_WORDS.get(text.strip().lower(), text)
    try:
        number = float(text)
        return int(number) if number.is_integer() and "." not in text else number
    except ValueError:
        return text


BOOLEAN_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _coerce(field: CustomField, value):
    """The JSON value stored for `value`, or ValueError saying what was expected."""
    kind = field.type
    if kind == "text" and isinstance(value, str) and len(value) <= 2000:
        return value
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "decimal" and isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            number = Decimal(str(value))
            if number.is_finite():
                return str(number)
        except InvalidOperation:
            pass
    if kind == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    if kind == "select" and value in field.options:
        return value
    if (
        kind == "multiselect"
        and isinstance(value, list)
        and all(isinstance(item, str) and item in field.options for item in value)
    ):
        return sorted(set(value))
    raise ValueError(_expected(field))


def _expected(field: CustomField) -> str:
    return {
        "text": "Must be text of at most 2000 characters.",
        "number": "Must be a number.",
        "decimal": 'Must be a decimal number, like "12.50".',
        "date": "Must be a date, like 2026-11-24.",
        "boolean": "Must be true or false.",
        "select": f"Must be one of: {', '.join(field.options)}.",
        "multiselect": f"Must be a list of: {', '.join(field.options)}.",
    }[field.type]


def filtered(session: Session, query, entity: str, filters: dict):
    """`?cf.<name>=<value>` filters: equality, or membership for multiselect fields."""
    if not filters:
        return query
    known = definitions(session, entity)
    model = MODELS[entity]
    for name, raw in filters.items():
        if name not in known:
            message = f"No custom field {name!r} is defined for {entity}s."
            raise ValidationFailed(message, {f"cf.{name}": [message]})
        query = query.where(_matches(session, model, known[name], raw))
    return query


def _matches(session: Session, model, field: CustomField, raw: str):
    value = _filter_value(field, raw)
    column = model.custom_fields[field.name]
    if field.type == "multiselect":
        if session.get_bind().dialect.name == "postgresql":
            return cast(model.custom_fields, JSONB)[field.name].has_key(value)
        each = func.json_each(model.custom_fields, f'$."{field.name}"').table_valued("value")
        return exists(select(1).select_from(each).where(each.c.value == value))
    if field.type == "number":
        return column.as_float() == value
    if field.type == "boolean":
        return column.as_boolean() == value
    return column.as_string() == value


def _filter_value(field: CustomField, raw: str):
    try:
        if field.type == "number":
            return float(raw)
        if field.type == "boolean":
            return {"true": True, "false": False}[raw.lower()]
        if field.type == "multiselect":
            return _coerce(field, [raw])[0]
        return _coerce(field, raw)
    except (ValueError, KeyError):
        message = _expected(field).replace("a list of", "one of")
        raise ValidationFailed(message, {f"cf.{field.name}": [message]}) from None
