"""Document numbers, Q-000123 and SO-000042: one counter row per kind, incremented in the
document's own transaction (its row lock serializes writers, as the event counter's does)."""

from sqlalchemy import update
from sqlalchemy.orm import Session

from infra.db import insert_or_ignore
from services.sales.models import DocumentCounter

PREFIXES = {"quote": "Q", "order": "SO"}


def next_number(session: Session, kind: str) -> str:
    session.execute(insert_or_ignore(session, DocumentCounter).values(kind=kind, last_number=0))
    number = session.execute(
        update(DocumentCounter)
        .where(DocumentCounter.kind == kind)
        .values(last_number=DocumentCounter.last_number + 1)
        .returning(DocumentCounter.last_number)
    ).scalar_one()
    return f"{PREFIXES[kind]}-{number:06d}"
