"""The transactional outbox, kept as the service's event log.

`record()` writes an event's CloudEvents envelope in the same transaction as the change it
describes, numbered by a per-service counter row: the counter's row lock serializes writers, so
sequences are gapless and follow commit order. The relay publishes what a session recorded right
after that session commits; a timer sweeps what is left (the broker was down, the process died).
"""

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta

from kombu import serialization
from nameko.amqp.publish import Publisher
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange
from sqlalchemy import JSON, Integer, String, event, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from infra import metrics
from infra.db import Base, Database, UTCDateTime, utcnow

log = logging.getLogger(__name__)

PENDING_KEY = "outbox_pending"
SAVEPOINTS_KEY = "outbox_savepoints"  # per open savepoint, how many events were pending before
MAX_EVENTS_PER_CALL = 1000
SWEEP_GRACE = timedelta(seconds=2)  # leave the fast path time to publish first
# Fail fast when the broker is unreachable (nameko's default retries for about 5 s): the event
# is safe in the outbox and the sweep publishes it later.
FAIL_FAST = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}

# An event goes out as a CloudEvents structured-mode message: the envelope as the body, with
# the content type the CloudEvents AMQP and RabbitMQ bindings give that mode (a reader that sees
# `application/json` takes the body for the data alone, in binary mode). Registered by name
# with kombu, so nameko consumers that accept it decode it as JSON (infra.consumer).
CLOUDEVENTS = "cloudevents"
CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json"
serialization.register(CLOUDEVENTS, json.dumps, json.loads, content_type=CLOUDEVENTS_CONTENT_TYPE)


class OutboxEvent(Base):
    __tablename__ = "outbox_events"

    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    time: Mapped[datetime] = mapped_column(UTCDateTime)
    envelope: Mapped[dict] = mapped_column(JSON)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class EventCounter(Base):
    """One row: the last sequence number handed out by this service."""

    __tablename__ = "event_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def record(session: Session, source: str, type: str, data: dict, actor: dict) -> dict:
    """Add an event to the outbox in the session's transaction; returns its envelope."""
    return record_many(session, source, [(type, data)], actor)[0]


def record_many(
    session: Session, source: str, events: list[tuple[str, dict]], actor: dict
) -> list[dict]:
    """Add several `(type, data)` events at once; returns their envelopes. One counter update
    reserves all their sequence numbers, gapless and in the order given: a batch of a thousand
    changes takes one round trip for its numbers, not a thousand."""
    if not events:
        return []
    # No session synchronization: the counter is never loaded as an object, and looking for it
    # among the session's objects would make a transaction of n events cost n squared.
    last = session.execute(
        update(EventCounter)
        .where(EventCounter.id == 1)
        .values(last_sequence=EventCounter.last_sequence + len(events))
        .returning(EventCounter.last_sequence)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    moment = utcnow()
    first = last - len(events) + 1
    envelopes = [
        envelope(source, type, data, actor, sequence, moment)
        for sequence, (type, data) in enumerate(events, start=first)
    ]
    session.add_all(
        OutboxEvent(sequence=e["sequence"], id=e["id"], type=e["type"], time=moment, envelope=e)
        for e in envelopes
    )
    session.info.setdefault(PENDING_KEY, []).extend(envelopes)
    return envelopes


def envelope(
    source: str, type: str, data: dict, actor: dict, sequence: int, moment: datetime
) -> dict:
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": f"crm/{source}",
        "type": type,
        "time": iso(moment),
        "datacontenttype": "application/json",
        "sequence": sequence,
        **actor_attributes(actor),
        "data": data,
    }


def actor_attributes(actor: dict) -> dict:
    """The caller (`Actor.as_dict()`) as CloudEvents extension attributes, which can only be
    scalars named in lowercase letters and digits: `actorid` (absent for the suite's own work),
    `actorvia`, and `actorroles`, comma-separated (absent when none). The spec treats a null
    attribute as absent: an empty one is left out rather than sent as null."""
    attributes = {
        "actorid": str(actor["user_id"]) if actor.get("user_id") else None,
        "actorvia": actor.get("via"),
        "actorroles": ",".join(actor.get("roles") or ()),
    }
    return {name: value for name, value in attributes.items() if value}


def as_published(envelope: dict) -> dict:
    """A stored envelope as it leaves the outbox. Those recorded before December 2026 keep the
    caller as an `actor` object: they leave with the attributes that replaced it."""
    if "actor" not in envelope:
        return envelope
    published = {}
    for key, value in envelope.items():
        published.update(actor_attributes(value or {}) if key == "actor" else {key: value})
    return published


def events_since(
    session: Session, sequence: int, limit: int = 100, types: list[str] | None = None
) -> list[dict]:
    """The events after `sequence`, oldest first; only those of `types` when given."""
    limit = max(1, min(int(limit), MAX_EVENTS_PER_CALL))
    query = select(OutboxEvent.envelope).where(OutboxEvent.sequence > sequence)
    if types is not None:
        query = query.where(OutboxEvent.type.in_(types))
    rows = session.scalars(query.order_by(OutboxEvent.sequence).limit(limit))
    return [as_published(envelope) for envelope in rows]


class Relay:
    """Publishes envelopes to `<service>.events` (routing key: the event type), nameko's own
    event exchange, so nameko `@event_handler`s and plain AMQP clients both receive them."""

    def __init__(self, service_name: str, amqp_uri: str, Session, config: dict):
        self.service_name = service_name
        self.Session = Session
        self.exchange = get_event_exchange(service_name, config)
        self.publisher = Publisher(amqp_uri, use_confirms=True, retry=False)

    def publish(self, envelopes: list[dict]) -> int:
        """Publish in order and mark published; stops at the first failure. Returns the count."""
        published = []
        try:
            for envelope in envelopes:
                self.send(envelope)
                published.append(envelope["sequence"])
                metrics.EVENTS_PUBLISHED.labels(self.service_name, envelope["type"]).inc()
        except Exception as exc:  # the broker is unreachable or refused: the sweep retries
            log.warning("event publish failed, left in the outbox for the sweep: %s", exc)
        if published:
            self._mark_published(published)
        return len(published)

    def send(self, envelope: dict) -> None:
        """Publish one envelope, without marking it published."""
        self.publisher.publish(
            envelope,
            exchange=self.exchange,
            routing_key=envelope["type"],
            declare=[self.exchange],
            message_id=envelope["id"],
            serializer=CLOUDEVENTS,
            transport_options=dict(FAIL_FAST),
        )

    def _mark_published(self, sequences: list[int]) -> None:
        with self.Session.begin() as session:
            session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.sequence.in_(sequences))
                .values(published_at=utcnow())
            )

    def sweep(self, batch: int = 500, grace: timedelta = SWEEP_GRACE) -> int:
        """Publish events still unpublished after the grace period; returns how many.

        Two instances of a service may sweep the same event at once and both publish it: that
        is the at-least-once half of the contract, and consumers apply an event only once."""
        with self.Session() as session:
            stored = list(
                session.scalars(
                    select(OutboxEvent.envelope)
                    .where(OutboxEvent.published_at.is_(None), OutboxEvent.time < utcnow() - grace)
                    .order_by(OutboxEvent.sequence)
                    .limit(batch)
                )
            )
        count = self.publish([as_published(envelope) for envelope in stored]) if stored else 0
        self.update_backlog()
        return count

    def update_backlog(self) -> None:
        with self.Session() as session:
            pending = session.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.published_at.is_(None))
            )
        metrics.OUTBOX_BACKLOG.labels(self.service_name).set(pending)


def publish_after_commit(Session, relay: Relay) -> None:
    """Publish the events a session of `Session` recorded as soon as it commits (in the
    committing thread, before the caller is answered).

    SQLAlchemy fires after_commit and after_rollback for savepoints (`begin_nested()`) too. A
    released savepoint publishes nothing: its transaction, and the database's write lock, go
    on. A savepoint rolled back forgets only the events recorded since it began."""

    def publish_committed(session: Session) -> None:
        if session.in_nested_transaction():
            return
        envelopes = session.info.pop(PENDING_KEY, None)
        if envelopes:
            relay.publish(envelopes)

    event.listen(Session, "after_commit", publish_committed)
    event.listen(Session, "after_rollback", _forget_rolled_back)
    event.listen(Session, "after_transaction_create", _savepoint_began)
    event.listen(Session, "after_transaction_end", _savepoint_ended)


def _forget_rolled_back(session: Session) -> None:
    savepoints = session.info.get(SAVEPOINTS_KEY)
    if session.in_nested_transaction() and savepoints:
        del session.info.get(PENDING_KEY, [])[savepoints[-1] :]
    else:
        session.info.pop(PENDING_KEY, None)


def _savepoint_began(session: Session, transaction) -> None:
    if transaction.nested:
        pending = len(session.info.get(PENDING_KEY, []))
        session.info.setdefault(SAVEPOINTS_KEY, []).append(pending)


def _savepoint_ended(session: Session, transaction) -> None:
    if transaction.nested:
        session.info[SAVEPOINTS_KEY].pop()


class EventRelay(DependencyProvider):
    """`self.relay` in a worker. Publishes the events a `Database` session recorded as soon as
    that session commits, in the committing worker, before the RPC reply goes out."""

    def start(self):
        # In start(), not setup(): nameko sets extensions up in no fixed order.
        database = next(d for d in self.container.dependencies if isinstance(d, Database))
        config = self.container.config
        self.relay = Relay(
            self.container.service_name, config["AMQP_URI"], database.Session, config
        )
        publish_after_commit(database.Session, self.relay)

    def get_dependency(self, worker_ctx) -> Relay:
        return self.relay
