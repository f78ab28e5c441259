"""What the commerce tests share: counting rows and reading the outbox."""

from sqlalchemy import func, select

from infra.outbox import OutboxEvent


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def events(session) -> list[dict]:
    return list(session.scalars(select(OutboxEvent.envelope).order_by(OutboxEvent.sequence)))


def event_types(session) -> list[str]:
    return [event["type"] for event in events(session)]
