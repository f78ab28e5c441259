"""Errors a service raises that cross RPC as themselves, so the gateway can map them to HTTP.

Registered with nameko's `deserialize_to_instance`: the caller gets the same class back, with
the same arguments, instead of a generic `RemoteError`. Arguments must be JSON-serializable.
"""

import json

from marshmallow import Schema
from marshmallow import ValidationError as SchemaError
from nameko.exceptions import deserialize_to_instance


class ServiceError(Exception):
    status = 500
    title = "Service error"

    def __init__(self, detail: str = "", errors: dict | None = None, extra: dict | str = ""):
        # nameko sends exception arguments across RPC with every non-string value turned into a
        # string (None becomes "None"): so `errors` is never None, and `extra` travels as JSON.
        if isinstance(extra, str):
            extra = json.loads(extra) if extra else {}
        super().__init__(detail, errors or {}, json.dumps(extra) if extra else "")
        self.detail = detail
        self.errors = errors or {}
        self.extra = extra  # more members of the problem body, e.g. the existing record


@deserialize_to_instance
class NotFound(ServiceError):
    status = 404
    title = "Not found"


@deserialize_to_instance
class ValidationFailed(ServiceError):
    """`errors` maps each bad field to a list of messages, as marshmallow does."""

    status = 422
    title = "Validation failed"


@deserialize_to_instance
class Conflict(ServiceError):
    status = 409
    title = "Conflict"


@deserialize_to_instance
class Gone(ServiceError):
    """The record existed and was erased."""

    status = 410
    title = "Gone"


@deserialize_to_instance
class Moved(ServiceError):
    """The record was merged into another; `extra["location_id"]` names the survivor."""

    status = 308
    title = "Permanent Redirect"


@deserialize_to_instance
class Forbidden(ServiceError):
    status = 403
    title = "Forbidden"


@deserialize_to_instance
class PreconditionFailed(ServiceError):
    """The record changed since the caller read it (a stale `If-Match`)."""

    status = 412
    title = "Precondition failed"


@deserialize_to_instance
class ServiceUnavailable(ServiceError):
    """Another service (or the broker) did not answer in time."""

    status = 503
    title = "Service unavailable"


def load(schema: Schema, data, **kwargs) -> dict:
    """`schema.load`, with marshmallow's errors raised as `ValidationFailed` (422). Text with a
    NUL character is refused first, whatever the schema: PostgreSQL cannot store it."""
    nul = dict(_nul_texts(data))
    if nul:
        raise ValidationFailed("The request has invalid fields.", nul)
    try:
        return schema.load(data if data is not None else {}, **kwargs)
    except SchemaError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise ValidationFailed("The request has invalid fields.", messages) from None


def _nul_texts(data, path: tuple[str, ...] = ()):
    """`(field path, [message])` for each string in `data`, keys too, holding a NUL character."""
    message = ["Must not contain a NUL character."]
    if isinstance(data, str):
        if "\x00" in data:
            yield ".".join(path) or "_schema", message
    elif isinstance(data, dict):
        for key, value in data.items():
            field = (*path, str(key))
            if "\x00" in str(key):
                yield ".".join(field), message
            yield from _nul_texts(value, field)
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            yield from _nul_texts(value, (*path, str(index)))
