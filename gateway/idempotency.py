"""`Idempotency-Key` on POST: a retried request gets the first answer and creates nothing twice.

The key is claimed (a row with no answer yet) before the request runs, so two copies sent at
once cannot both create: the second is told the first is still running (409). Only a success is
kept; after an error the key is released, so the client can retry with it.
"""

import functools
import hashlib

from flask import Response, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from gateway.db import session
from gateway.models import IdempotencyRecord
from gateway.security import current_actor
from infra.errors import Conflict, ValidationFailed

HEADER = "Idempotency-Key"
REPLAYED_HEADERS = ("ETag", "Location", "Content-Type")


def _fingerprint() -> str:
    return hashlib.sha256(
        request.method.encode() + request.path.encode() + request.get_data()
    ).hexdigest()


def idempotent(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if not key:
            return view(*args, **kwargs)
        if len(key) > 255:
            raise ValidationFailed(
                "Idempotency-Key is too long.", {HEADER: ["At most 255 characters."]}
            )
        principal = current_actor().user_id or "anonymous"
        replay = _claim(principal, key, _fingerprint())
        if replay is not None:
            return replay
        try:
            response = view(*args, **kwargs)
        except BaseException:
            _release(principal, key)
            raise
        _store(principal, key, response)
        return response

    return wrapper


def _claim(principal: str, key: str, fingerprint: str) -> Response | None:
    db = session()
    found = db.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
        )
    )
    if found is None:
        db.add(IdempotencyRecord(principal=principal, key=key, fingerprint=fingerprint))
        try:
            db.commit()
            return None
        except IntegrityError:
            db.rollback()
            raise Conflict("A request with this Idempotency-Key is still running.") from None
    if found.fingerprint != fingerprint:
        raise ValidationFailed(
            "This Idempotency-Key was used for a different request.",
            {HEADER: ["Already used with another method, path or body."]},
        )
    if found.status is None:
        raise Conflict("A request with this Idempotency-Key is still running.")
    response = Response(found.body, status=found.status, headers=found.headers)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _store(principal: str, key: str, response: Response) -> None:
    db = session()
    record = db.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
        )
    )
    record.status = response.status_code
    record.body = response.get_data(as_text=True)
    record.headers = {h: response.headers[h] for h in REPLAYED_HEADERS if h in response.headers}
    db.commit()


def _release(principal: str, key: str) -> None:
    db = session()
    db.rollback()
    db.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
        )
    )
    db.commit()
