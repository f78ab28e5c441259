"""The idempotent consumer: each event of a source is applied once, in sequence order.

A consumer keeps, per source, the last sequence it applied, in the same transaction as the
change the event caused. An event at or below that position is a duplicate and changes nothing;
one above the next expected sequence reveals a gap, which is backfilled from the source's
`events_since` RPC before the event itself is applied.
"""

import logging
from collections.abc import Callable

from nameko.events import event_handler
from nameko.extensions import DependencyProvider
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from infra import config, metrics
from infra.db import Base, Database

log = logging.getLogger(__name__)

Handler = Callable[[Session, dict], None]
Backfill = Callable[[str, int, int], list[dict]]
ANY_TYPE = "*"  # the key of the handler of every type that has none of its own
EVERYTHING = 2**62  # a sequence beyond any source's last


class ConsumerPosition(Base):
    __tablename__ = "consumer_positions"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)


def source_service(source: str) -> str:
    """`crm/customers` -> `customers`, the service that answers `events_since`."""
    return source.rsplit("/", 1)[-1]


def position(session: Session, source: str, lock: bool = False) -> ConsumerPosition:
    query = select(ConsumerPosition).where(ConsumerPosition.source == source)
    found = session.scalar(query.with_for_update() if lock else query)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            session.add(ConsumerPosition(source=source, last_sequence=0))
    except IntegrityError:  # another worker created it first
        pass
    return session.scalar(query.with_for_update() if lock else query)


def apply_in_order(
    session: Session, envelopes: list[dict], handlers: dict[str, Handler], consumer: str
) -> int:
    """Apply the envelopes above the stored position, which must follow it without a gap.
    Events of types without a handler still move the position. Returns how many applied."""
    source = envelopes[0]["source"]
    current = position(session, source, lock=True)
    applied = 0
    for envelope in sorted(envelopes, key=lambda e: e["sequence"]):
        sequence = envelope["sequence"]
        if sequence <= current.last_sequence:
            continue
        if sequence != current.last_sequence + 1:
            raise LookupError(
                f"{source}: expected sequence {current.last_sequence + 1}, got {sequence}"
            )
        handler = handlers.get(envelope["type"], handlers.get(ANY_TYPE))
        if handler is not None:
            handler(session, envelope)
            metrics.EVENTS_CONSUMED.labels(consumer, source, envelope["type"]).inc()
            applied += 1
        current.last_sequence = sequence
    return applied


def consume(
    Session, envelope: dict, handlers: dict[str, Handler], backfill: Backfill, consumer: str
) -> int:
    """Apply one received event exactly once, backfilling any gap before it first.

    The backfill RPC runs outside any transaction so no database lock is held while waiting."""
    with Session() as session:
        last = position(session, envelope["source"]).last_sequence
        session.commit()
    if envelope["sequence"] <= last:
        return 0
    missed = []
    if envelope["sequence"] > last + 1:
        log.info("gap in %s after %s: backfilling", envelope["source"], last)
        missed = backfill(envelope["source"], last, envelope["sequence"] - 1)
    with Session.begin() as session:
        return apply_in_order(session, [*missed, envelope], handlers, consumer)


class EventConsumer(DependencyProvider):
    """`self.consumer.apply(envelope)` in an `@event_handler` applies an event exactly once.

    Subscribe to every type of a source (`@event_handler("customers", "#")`, or `@subscribe`):
    sequences run across all of a source's types, so skipping some would look like gaps."""

    def __init__(self, handlers: dict[str, Handler]):
        self.handlers = handlers

    def start(self):
        database = next(d for d in self.container.dependencies if isinstance(d, Database))
        self.Session = database.Session

    def get_dependency(self, worker_ctx) -> "EventConsumer":
        return self

    def apply(self, envelope: dict) -> int:
        return consume(
            self.Session, envelope, self.handlers, self.backfill, self.container.service_name
        )

    def backfill(self, source: str, after: int, until: int) -> list[dict]:
        return backfill(self.container.config["AMQP_URI"], source, after, until)

    def catch_up(self, session: Session, source: str) -> int:
        """Apply, in `session`'s transaction, whatever `source` (`crm/gateway`) published that
        this consumer has not applied yet: for a request about something the source has just
        made (a team created a moment ago), which the broker may not have delivered yet."""
        last = position(session, source).last_sequence
        missed = self.backfill(source, last, EVERYTHING)
        return (
            apply_in_order(session, missed, self.handlers, self.container.service_name)
            if missed
            else 0
        )


def backfill(amqp_uri: str, source: str, after: int, until: int) -> list[dict]:
    """The source's events after `after` up to `until`, from its `events_since` RPC."""
    events: list[dict] = []
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=config.rpc_timeout()) as cluster:
        service = cluster[source_service(source)]
        while after < until:
            page = service.events_since(after, min(1000, until - after))
            if not page:
                break
            events.extend(page)
            after = page[-1]["sequence"]
    return [e for e in events if e["sequence"] <= until]


def subscribe(*sources: str):
    """`@subscribe("sales", "support")`: the method receives every event of each source, through
    an `@event_handler(source, "#")` (and a queue) per source."""

    def decorate(method):
        for source in sources:
            event_handler(source, "#")(method)
        return method

    return decorate
