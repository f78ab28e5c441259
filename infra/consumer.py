"""The idempotent consumer, the one way a service takes another's events: each event of a
source is applied once, in sequence order.

A consumer keeps, per source, the last sequence it has accounted for, in the same transaction
as the change the event caused. An event at or below that position is a duplicate and changes
nothing; one further on reveals a gap, which is backfilled from the source's `events_since`
RPC before the event itself is applied.

A consumer that handles only some types is bound to those types alone, and its position still
runs over all of the source's types: events of other types come between the ones it receives,
so the backfill of a gap asks the source for the handled types only
(`events_since(after, limit, types)`), and the position moves past the others without fetching
them. A lost event of a handled type is found the same way.

A consumer added to a suite that already has history can start from now (`from_now=True`): with
no position for a source yet, it takes the sequence before the first event it receives from it
as its position instead of replaying the source's history. Events that arrive after that first
one with a lower sequence (published just before it, delivered just after) count as history.
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
from infra.outbox import CLOUDEVENTS

log = logging.getLogger(__name__)

Handler = Callable[[Session, dict], None]
Backfill = Callable[[str, int, int, list[str] | None], list[dict]]
ANY_TYPE = "*"  # the key of the handler of every type that has none of its own
PAGE = 1000  # events per `events_since` call of a backfill
EVERYTHING = 2**62  # a sequence beyond any source's last


class ConsumerPosition(Base):
    __tablename__ = "consumer_positions"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)


def source_service(source: str) -> str:
    """`crm/customers` -> `customers`, the service that answers `events_since`."""
    return source.rsplit("/", 1)[-1]


def handled_types(handlers: dict[str, Handler]) -> list[str] | None:
    """The event types the handlers take; None for every type."""
    return None if ANY_TYPE in handlers else sorted(handlers)


def position(session: Session, source: str, lock: bool = False, first: int = 0) -> ConsumerPosition:
    """The consumer's position in the source, made at `first` if it has none yet."""
    query = select(ConsumerPosition).where(ConsumerPosition.source == source)
    found = session.scalar(query.with_for_update() if lock else query)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            session.add(ConsumerPosition(source=source, last_sequence=first))
    except IntegrityError:  # another worker created it first
        pass
    return session.scalar(query.with_for_update() if lock else query)


def apply_in_order(
    session: Session, envelopes: list[dict], handlers: dict[str, Handler], consumer: str
) -> int:
    """Apply the envelopes above the stored position. A consumer of every type must get them
    without a gap; one of some types gets only those, and its position moves past the rest.
    Events of types without a handler still move the position. Returns how many applied."""
    source = envelopes[0]["source"]
    every_type = handled_types(handlers) is None
    current = position(session, source, lock=True)
    applied = 0
    for envelope in sorted(envelopes, key=lambda e: e["sequence"]):
        sequence = envelope["sequence"]
        if sequence <= current.last_sequence:
            continue
        if every_type and sequence != current.last_sequence + 1:
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
    Session,
    envelope: dict,
    handlers: dict[str, Handler],
    backfill: Backfill,
    consumer: str,
    from_now: bool = False,
) -> int:
    """Apply one received event exactly once, backfilling any gap before it first.

    The backfill RPC runs outside any transaction so no database lock is held while waiting."""
    source, sequence = envelope["source"], envelope["sequence"]
    with Session() as session:
        last = position(session, source, first=sequence - 1 if from_now else 0).last_sequence
        session.commit()
    if sequence <= last:
        return 0
    missed = []
    if sequence > last + 1:
        types = handled_types(handlers)
        # Bound to some types, a consumer sees the others as gaps all the time.
        level = logging.INFO if types is None else logging.DEBUG
        log.log(level, "gap in %s after %s: backfilling", source, last)
        missed = backfill(source, last, sequence - 1, types)
    with Session.begin() as session:
        return apply_in_order(session, [*missed, envelope], handlers, consumer)


def backfill(
    amqp_uri: str, source: str, after: int, until: int, types: list[str] | None = None
) -> list[dict]:
    """The source's events after `after` up to `until` (of `types` only, when given), from its
    `events_since` RPC."""
    events: list[dict] = []
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=config.rpc_timeout()) as cluster:
        service = cluster[source_service(source)]
        while after < until:
            page = service.events_since(after, min(PAGE, until - after), types)
            events.extend(e for e in page if e["sequence"] <= until)
            if len(page) < min(PAGE, until - after):
                break
            after = page[-1]["sequence"]
    return events


class EventConsumer(DependencyProvider):
    """A service's consumer of other services' events, declared with its handlers by event
    type (`ANY_TYPE` for every type), and its entrypoint, which hands each event to it:

        contact_links = EventConsumer({"contact_erased": forget}, from_now=True)

        @contact_links.subscribe("customers")
        def on_customers_event(self, envelope):
            self.contact_links.apply(envelope)
    """

    def __init__(self, handlers: dict[str, Handler], from_now: bool = False):
        self.handlers = handlers
        self.from_now = from_now

    def subscribe(self, *sources: str):
        """Binds the method to each source's events of the handled types (`#`: every type),
        through an `@event_handler` (and a queue) per source and type."""
        routing_keys = handled_types(self.handlers) or ["#"]

        def decorate(method):
            for source in sources:
                for routing_key in routing_keys:
                    event_handler(source, routing_key)(method)
            return method

        return decorate

    def setup(self):
        # Events come as CloudEvents structured-mode messages (infra.outbox); nameko accepts
        # only its own JSON unless told. A copy: the list may be the service's config.
        if CLOUDEVENTS not in self.container.accept:
            self.container.accept = [*self.container.accept, CLOUDEVENTS]

    def start(self):
        database = next(d for d in self.container.dependencies if isinstance(d, Database))
        self.Session = database.Session

    def get_dependency(self, worker_ctx) -> "EventConsumer":
        return self

    def apply(self, envelope: dict) -> int:
        return consume(
            self.Session,
            envelope,
            self.handlers,
            self.backfill,
            self.container.service_name,
            self.from_now,
        )

    def backfill(self, source: str, after: int, until: int, types: list[str] | None) -> list[dict]:
        return backfill(self.container.config["AMQP_URI"], source, after, until, types)

    def catch_up(self, session: Session, source: str) -> int:
        """Apply, in `session`'s transaction, whatever `source` (`crm/gateway`) published that
        this consumer has not applied yet: for a request about something the source has just
        made (a team created a moment ago), which the broker may not have delivered yet."""
        last = position(session, source).last_sequence
        missed = self.backfill(source, last, EVERYTHING, handled_types(self.handlers))
        if not missed:
            return 0
        return apply_in_order(session, missed, self.handlers, self.container.service_name)
