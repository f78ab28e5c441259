"""Events as other systems and services see them: the envelope on the wire, the outbox when the
broker is down, and consumers that apply each event exactly once, backfilling gaps."""

import json
import time
import uuid
from datetime import timedelta

import pika
import pytest
from nameko.events import event_handler
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from infra.consumer import EventConsumer, backfill, consume
from infra.context import Actor
from infra.db import Base as PlatformBase
from infra.db import engine_for, session_factory
from infra.outbox import OutboxEvent, Relay
from infra.service import CrmService
from infra.testing import empty_tables, wait_for
from services.customers import contacts

ENVELOPE_KEYS = {
    "specversion",
    "id",
    "source",
    "type",
    "time",
    "datacontenttype",
    "sequence",
    "actor",
    "data",
}


class OutsideConsumer:
    """What an ERP would do: a plain pika client bound to the service's event exchange."""

    def __init__(self, amqp_uri: str, exchange: str, routing_key: str):
        self.connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
        self.channel = self.connection.channel()
        self.channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        self.queue = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(self.queue, exchange, routing_key=routing_key)

    def receive(self, count: int, timeout: float = 5.0) -> list[tuple]:
        got, deadline = [], time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            method, properties, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                time.sleep(0.05)
            else:
                got.append((properties, json.loads(body)))
        return got

    def receive_events(self, count: int, timeout: float = 5.0) -> list[dict]:
        """`count` distinct events, in the order first received, as a consumer applies them:
        delivery is at least once (the sweep may publish an event again while the fast path
        is still marking it published, on a slow day), so an id seen before is skipped."""
        events: dict[str, dict] = {}
        deadline = time.monotonic() + timeout
        while len(events) < count and time.monotonic() < deadline:
            for _, envelope in self.receive(1, timeout=deadline - time.monotonic()):
                events.setdefault(envelope["id"], envelope)
        return list(events.values())

    def close(self):
        self.connection.close()


@pytest.fixture
def outside(amqp_uri):
    consumers = []

    def bind(exchange="customers.events", routing_key="#") -> OutsideConsumer:
        consumers.append(OutsideConsumer(amqp_uri, exchange, routing_key))
        return consumers[-1]

    yield bind
    for consumer in consumers:
        consumer.close()


def test_an_outside_pika_consumer_receives_contact_created_with_the_envelope(api, outside):
    erp = outside(routing_key="contact_created")

    created = api.post(
        "/api/v1/contacts", role="sales", json={"first_name": "Ada", "last_name": "Lovelace"}
    )

    [(properties, envelope)] = erp.receive(1)
    assert set(envelope) == ENVELOPE_KEYS
    assert envelope["specversion"] == "1.0" and envelope["type"] == "contact_created"
    assert envelope["source"] == "crm/customers"
    assert envelope["datacontenttype"] == "application/json"
    assert uuid.UUID(envelope["id"]) and envelope["time"].endswith("Z")
    assert isinstance(envelope["sequence"], int) and envelope["sequence"] >= 1
    assert envelope["data"]["id"] == created.json["id"]
    assert envelope["data"]["last_name"] == "Lovelace"
    assert envelope["actor"]["roles"] == ["sales"] and envelope["actor"]["via"] == "api"
    assert properties.message_id == envelope["id"]
    assert properties.content_type == "application/json"


def test_sequences_rise_by_one_without_gaps_across_event_types(api, outside):
    listener = outside()
    account = api.post("/api/v1/accounts", json={"name": "Acme"}).json
    contact = api.post(
        "/api/v1/contacts", json={"last_name": "Li", "account_id": account["id"]}
    ).json
    api.patch(f"/api/v1/contacts/{contact['id']}", json={"title": "CFO"})
    api.delete(f"/api/v1/accounts/{account['id']}")

    received = listener.receive_events(5)

    assert [e["type"] for e in received] == [
        "account_created",
        "contact_created",
        "contact_updated",
        "contact_updated",
        "account_deleted",
    ]
    first = received[0]["sequence"]
    assert [e["sequence"] for e in received] == list(range(first, first + 5))


@pytest.fixture
def customers_session(database_url, backend):
    """Sessions of a customers database apart: a service container kept running from an
    earlier test would otherwise sweep these tests' events while they look at them."""
    url = database_url("customers", backend, apart=True)
    yield session_factory(url)
    empty_tables(url)


def record_a_contact(Session, last_name: str) -> list[dict]:
    """A change committed with its event, as the service does; returns what was recorded."""
    with Session() as session:
        contacts.create(session=session, data={"last_name": last_name}, actor=Actor())
        pending = list(session.info["outbox_pending"])
        session.commit()
    return pending


def unpublished(Session) -> int:
    with Session() as session:
        return session.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.published_at.is_(None))
        )


def test_no_event_is_lost_while_the_broker_is_unreachable(customers_session, amqp_uri, outside):
    erp = outside(routing_key="contact_created")
    broker_down = Relay("customers", "amqp://guest:guest@127.0.0.1:1/", customers_session, {})

    pending = record_a_contact(customers_session, "Offline")
    assert broker_down.publish(pending) == 0

    assert unpublished(customers_session) == 1  # the change committed; its event waits
    assert erp.receive(1, timeout=0.5) == []

    broker_back = Relay("customers", amqp_uri, customers_session, {})
    assert broker_back.sweep(grace=timedelta(0)) == 1

    [(_, envelope)] = erp.receive(1)
    assert envelope["data"]["last_name"] == "Offline" and envelope["id"] == pending[0]["id"]
    assert unpublished(customers_session) == 0
    assert broker_back.sweep(grace=timedelta(0)) == 0


def test_the_sweep_leaves_fresh_events_to_the_fast_path(customers_session, amqp_uri):
    record_a_contact(customers_session, "Fresh")
    relay = Relay("customers", amqp_uri, customers_session, {})

    assert relay.sweep(grace=timedelta(hours=1)) == 0  # younger than the grace: left alone
    assert unpublished(customers_session) == 1
    assert relay.sweep(grace=timedelta(0)) == 1


class LedgerBase(DeclarativeBase):
    pass


class SeenContact(LedgerBase):
    __tablename__ = "seen_contacts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    last_name: Mapped[str | None] = mapped_column(String(100))


def remember_contact(session, envelope: dict) -> None:
    session.add(SeenContact(id=envelope["data"]["id"], last_name=envelope["data"]["last_name"]))


DELIVERED: list[int] = []  # the sequence of each event LedgerService was handed, in process


class LedgerService(CrmService):
    """A consumer of customer events, as reporting will be."""

    name = "ledger"
    consumer = EventConsumer({"contact_created": remember_contact})

    @event_handler("customers", "#")
    def on_customer_event(self, envelope: dict) -> None:
        self.consumer.apply(envelope)
        DELIVERED.append(envelope["sequence"])


@pytest.fixture
def ledger_url(tmp_path):
    url = f"sqlite:///{tmp_path}/ledger.db"
    from infra import consumer, outbox  # noqa: F401  (platform tables)

    PlatformBase.metadata.create_all(engine_for(url))
    LedgerBase.metadata.create_all(engine_for(url))
    return url


def seen(url: str) -> list[str]:
    with session_factory(url)() as session:
        return sorted(session.scalars(select(SeenContact.last_name)))


def test_an_event_received_twice_is_applied_once(ledger_url, customers_session, amqp_uri):
    [envelope] = record_a_contact(customers_session, "Twice")
    Ledger = session_factory(ledger_url)
    handlers = {"contact_created": remember_contact}

    def no_backfill(*_):
        raise AssertionError("no gap here")

    assert consume(Ledger, envelope, handlers, no_backfill, "ledger") == 1
    assert consume(Ledger, envelope, handlers, no_backfill, "ledger") == 0
    assert seen(ledger_url) == ["Twice"]


def test_a_gap_is_backfilled_from_events_since(ledger_url, customers, amqp_uri):
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}) as cluster:
        for name in ("One", "Two", "Three"):
            cluster.customers.create_contact({"last_name": name})
        third = cluster.customers.events_since(2, 1)[0]

    def fetch(source, after, until):
        return backfill(amqp_uri, source, after, until)

    applied = consume(
        session_factory(ledger_url), third, {"contact_created": remember_contact}, fetch, "ledger"
    )

    assert applied == 3
    assert seen(ledger_url) == ["One", "Three", "Two"]


def test_a_consuming_service_applies_each_event_once(
    ledger_url, start_service, customers, amqp_uri
):
    # The durable queue has gathered other tests' events (whose sequences restart per test).
    with pika.BlockingConnection(pika.URLParameters(amqp_uri)) as connection:
        connection.channel().queue_delete("evt-customers-#--ledger.on_customer_event")
    start_service(LedgerService, DATABASE_URL=ledger_url)
    DELIVERED.clear()
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}) as cluster:
        cluster.customers.create_contact({"last_name": "Hopper"})
        cluster.customers.create_contact({"last_name": "Lovelace"})
        envelopes = cluster.customers.events_since(0, 10)
    wait_for(lambda: seen(ledger_url) == ["Hopper", "Lovelace"])

    redelivery = Relay("customers", amqp_uri, None, {})
    redelivery.publisher.publish(
        envelopes[0], exchange=redelivery.exchange, routing_key="contact_created"
    )
    wait_for(lambda: DELIVERED.count(envelopes[0]["sequence"]) == 2)  # handled twice

    assert seen(ledger_url) == ["Hopper", "Lovelace"]
