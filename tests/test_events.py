"""Events as other systems and services see them: the envelope on the wire, the outbox when the
broker is down, and consumers that apply each event exactly once, backfilling gaps."""

import contextlib
import json
import time
import uuid
from datetime import timedelta

import pika
import pytest
from cloudevents.core.bindings import amqp, rabbitmq
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import OPTIONAL_ATTRIBUTES, REQUIRED_ATTRIBUTES
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from infra import outbox
from infra.consumer import ConsumerPosition, EventConsumer, backfill, consume
from infra.context import Actor
from infra.db import Base as PlatformBase
from infra.db import engine_for, session_factory
from infra.errors import ValidationFailed
from infra.outbox import OutboxEvent, Relay
from infra.service import CrmService
from infra.testing import empty_tables, postgres_database, wait_for
from services.customers import contacts

ENVELOPE_KEYS = {
    "specversion",
    "id",
    "source",
    "type",
    "time",
    "datacontenttype",
    "sequence",
    "actorid",
    "actorvia",
    "actorroles",
    "data",
}
EXTENSIONS = {"sequence", "actorid", "actorvia", "actorroles"}


class OutsideConsumer:
    """What an ERP would do: a plain pika client bound to the service's event exchange."""

    def __init__(self, amqp_uri: str, exchange: str, routing_key: str):
        self.connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
        self.channel = self.connection.channel()
        self.channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        self.queue = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(self.queue, exchange, routing_key=routing_key)

    def receive(self, count: int, timeout: float = 5.0) -> list[tuple]:
        """`(properties, envelope)` of the next `count` messages."""
        return [
            (properties, json.loads(body)) for properties, body in self.messages(count, timeout)
        ]

    def messages(self, count: int, timeout: float = 5.0) -> list[tuple]:
        """`(properties, body)` of the next `count` messages, as they came."""
        got, deadline = [], time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            method, properties, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                time.sleep(0.05)
            else:
                got.append((properties, body))
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
    assert uuid.UUID(envelope["actorid"])
    assert envelope["actorroles"] == "sales" and envelope["actorvia"] == "api"
    assert properties.message_id == envelope["id"]
    assert properties.content_type == "application/cloudevents+json"


def test_the_official_cloudevents_sdk_reads_an_event_off_the_wire(api, outside):
    erp = outside(routing_key="contact_created")
    created = api.post("/api/v1/contacts", role="sales", json={"last_name": "Hopper"}).json

    [(properties, body)] = erp.messages(1)

    headers = properties.headers or {}
    # Each reader picks structured or binary mode by the content type, and validates.
    over_rabbitmq = rabbitmq.from_rabbitmq(
        rabbitmq.RabbitMQMessage(headers, properties.content_type, body), JSONFormat()
    )
    over_amqp = amqp.from_amqp(
        amqp.AMQPMessage({"content-type": properties.content_type}, headers, body), JSONFormat()
    )
    for event in (over_rabbitmq, over_amqp):
        assert (event.get_type(), event.get_source()) == ("contact_created", "crm/customers")
        assert event.get_data()["id"] == created["id"]
        attributes = event.get_attributes()
        extensions = set(attributes) - {*REQUIRED_ATTRIBUTES, *OPTIONAL_ATTRIBUTES}
        assert extensions == EXTENSIONS
        # The SDK checks extension names; the spec also wants scalar values.
        assert all(isinstance(attributes[name], str | int | bool) for name in extensions)


def test_the_suites_own_work_has_no_actor_id(customers_session):
    [envelope] = record_a_contact(customers_session, "Byron")

    assert envelope["actorvia"] == "system"
    assert "actorid" not in envelope and "actorroles" not in envelope


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


def test_an_event_stored_with_an_actor_object_leaves_with_the_attributes(
    customers_session, amqp_uri, outside
):
    erp = outside(routing_key="contact_created")
    [recorded] = record_a_contact(customers_session, "Older")
    with customers_session.begin() as session:  # as it was recorded before December 2026
        stored = session.get(OutboxEvent, recorded["sequence"])
        older = {key: value for key, value in recorded.items() if not key.startswith("actor")}
        stored.envelope = {**older, "actor": {"user_id": "u-1", "roles": ["sales", "manager"]}}

    with customers_session() as session:
        [read] = outbox.events_since(session, recorded["sequence"] - 1)
    assert Relay("customers", amqp_uri, customers_session, {}).sweep(grace=timedelta(0)) == 1
    [(_, published)] = erp.receive(1)

    assert read == published
    assert set(published) == ENVELOPE_KEYS - {"actorvia"}
    assert (published["actorid"], published["actorroles"]) == ("u-1", "sales,manager")
    assert published["data"] == recorded["data"]


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


CONTACTS_MADE = {"contact_created": remember_contact}
DELIVERED: list[int] = []  # the sequence of each event LedgerService was handed, in process


class LedgerService(CrmService):
    """A consumer of the contacts made, from the start, as reporting will be."""

    name = "ledger"
    consumer = EventConsumer(CONTACTS_MADE)

    @consumer.subscribe("customers")
    def on_customer_event(self, envelope: dict) -> None:
        self.consumer.apply(envelope)
        DELIVERED.append(envelope["sequence"])


class LateLedgerService(CrmService):
    """The same consumer, added to a suite with a history: it starts from now."""

    name = "late_ledger"
    consumer = EventConsumer(CONTACTS_MADE, from_now=True)

    @consumer.subscribe("customers")
    def on_customer_event(self, envelope: dict) -> None:
        self.consumer.apply(envelope)


@pytest.fixture(scope="module")
def ledger_databases(tmp_path_factory, backend):
    """`make(name)`: a consumer's database of its own, on the module's backend."""
    made: dict[str, str] = {}
    with contextlib.ExitStack() as stack:

        def make(name: str) -> str:
            if name not in made:
                if backend == "sqlite":
                    url = f"sqlite:///{tmp_path_factory.mktemp(name)}/{name}.db"
                else:
                    url = stack.enter_context(postgres_database())
                PlatformBase.metadata.create_all(engine_for(url))
                LedgerBase.metadata.create_all(engine_for(url))
                made[name] = url
            return made[name]

        yield make


@pytest.fixture
def ledger(ledger_databases):
    """`ledger(name)`: the URL of that consumer's database, emptied after the test."""
    used = []

    def url(name: str = "ledger") -> str:
        used.append(ledger_databases(name))
        return used[-1]

    yield url
    for used_url in used:
        empty_tables(used_url)


def seen(url: str) -> list[str]:
    with session_factory(url)() as session:
        return sorted(session.scalars(select(SeenContact.last_name)))


def position_in(url: str) -> int:
    with session_factory(url)() as session:
        return session.get(ConsumerPosition, "crm/customers").last_sequence


def no_backfill(*_):
    raise AssertionError("no gap here")


def make_contacts(amqp_uri: str, *steps: tuple) -> list[dict]:
    """Creates a contact for each `("create", last_name)` and gives the contact created last
    a title for each `("update", title)`; returns the events they published."""
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}) as cluster:
        before = cluster.customers.events_since(0, 1000)
        made = [e["data"]["id"] for e in before if e["type"] == "contact_created"]
        for step, value in steps:
            if step == "create":
                made.append(cluster.customers.create_contact({"last_name": value})["id"])
            else:
                cluster.customers.update_contact(made[-1], {"title": value})
        return cluster.customers.events_since(before[-1]["sequence"] if before else 0, 1000)


def test_an_event_received_twice_is_applied_once(ledger, customers_session):
    [envelope] = record_a_contact(customers_session, "Twice")
    url = ledger()
    Ledger = session_factory(url)

    assert consume(Ledger, envelope, CONTACTS_MADE, no_backfill, "ledger") == 1
    assert consume(Ledger, envelope, CONTACTS_MADE, no_backfill, "ledger") == 0
    assert seen(url) == ["Twice"]


def test_a_gap_is_backfilled_from_events_since(ledger, customers, amqp_uri):
    *_, third = make_contacts(amqp_uri, ("create", "One"), ("create", "Two"), ("create", "Three"))
    url = ledger()

    def fetch(*args):
        return backfill(amqp_uri, *args)

    assert consume(session_factory(url), third, CONTACTS_MADE, fetch, "ledger") == 3
    assert seen(url) == ["One", "Three", "Two"]


def test_a_consumer_of_some_types_backfills_those_and_moves_past_the_others(
    ledger, customers, amqp_uri
):
    events = make_contacts(
        amqp_uri, ("create", "One"), ("update", "CFO"), ("create", "Two"), ("update", "CEO")
    )
    assert [e["type"] for e in events] == ["contact_created", "contact_updated"] * 2
    url = ledger()
    Ledger = session_factory(url)
    calls, fetched = [], []

    def fetch(*args):
        calls.append(args)
        page = backfill(amqp_uri, *args)
        fetched.extend(page)
        return page

    *_, three = make_contacts(amqp_uri, ("create", "Three"))
    assert consume(Ledger, three, CONTACTS_MADE, fetch, "ledger") == 3
    assert calls == [("crm/customers", 0, three["sequence"] - 1, ["contact_created"])]
    assert [e["type"] for e in fetched] == ["contact_created"] * 2
    assert seen(url) == ["One", "Three", "Two"]
    assert position_in(url) == three["sequence"]
    assert consume(Ledger, events[3], CONTACTS_MADE, no_backfill, "ledger") == 0  # late

    # A gap of other types only: detected, asked for, and passed.
    calls.clear()
    fetched.clear()
    *_, four = make_contacts(amqp_uri, ("update", "CTO"), ("create", "Four"))
    assert consume(Ledger, four, CONTACTS_MADE, fetch, "ledger") == 1
    assert calls == [
        ("crm/customers", three["sequence"], four["sequence"] - 1, ["contact_created"])
    ]
    assert fetched == []
    assert position_in(url) == four["sequence"]


def test_events_since_refuses_types_that_are_not_a_list(customers, amqp_uri):
    with (
        ClusterRpcProxy({"AMQP_URI": amqp_uri}) as cluster,
        pytest.raises(ValidationFailed) as refused,
    ):
        cluster.customers.events_since(0, 10, "contact_created")

    assert "types" in refused.value.errors


def test_a_consumer_from_now_skips_history_and_then_fills_gaps(ledger, customers, amqp_uri):
    events = make_contacts(amqp_uri, *(("create", name) for name in ("A", "B", "C", "D", "E")))
    url = ledger()
    Ledger = session_factory(url)

    def fetch(*args):
        return backfill(amqp_uri, *args)

    assert consume(Ledger, events[2], CONTACTS_MADE, no_backfill, "ledger", from_now=True) == 1
    assert seen(url) == ["C"]
    assert consume(Ledger, events[1], CONTACTS_MADE, no_backfill, "ledger", from_now=True) == 0
    assert consume(Ledger, events[4], CONTACTS_MADE, fetch, "ledger", from_now=True) == 2
    assert seen(url) == ["C", "D", "E"]


def forget_queue(amqp_uri: str, queue: str) -> None:
    """The durable queue has gathered other tests' events (whose sequences restart per test)."""
    with pika.BlockingConnection(pika.URLParameters(amqp_uri)) as connection:
        connection.channel().queue_delete(queue)


def test_a_consuming_service_applies_each_event_once(ledger, start_service, customers, amqp_uri):
    forget_queue(amqp_uri, "evt-customers-contact_created--ledger.on_customer_event")
    url = ledger()
    start_service(LedgerService, DATABASE_URL=url)

    # Bound to contact_created, it receives Lovelace's right after Hopper's: the update between
    # them is a gap, which it asks the customers service about.
    events = make_contacts(amqp_uri, ("create", "Hopper"), ("update", "Rear admiral"))
    wait_for(lambda: seen(url) == ["Hopper"])
    [lovelace] = make_contacts(amqp_uri, ("create", "Lovelace"))
    wait_for(lambda: seen(url) == ["Hopper", "Lovelace"])
    assert position_in(url) == lovelace["sequence"]

    DELIVERED.clear()
    Relay("customers", amqp_uri, None, {}).send(events[0])  # delivered again
    wait_for(lambda: [events[0]["sequence"]] == DELIVERED)  # handled, and applied no more

    assert seen(url) == ["Hopper", "Lovelace"]


def test_a_consuming_service_added_later_does_not_replay_history(
    ledger, start_service, customers, amqp_uri
):
    forget_queue(amqp_uri, "evt-customers-contact_created--late_ledger.on_customer_event")
    make_contacts(amqp_uri, ("create", "Babbage"), ("create", "Byron"))
    url = ledger("late_ledger")
    start_service(LateLedgerService, DATABASE_URL=url)

    [after] = make_contacts(amqp_uri, ("create", "Somerville"))

    wait_for(lambda: seen(url) != [])
    assert seen(url) == ["Somerville"]
    assert position_in(url) == after["sequence"]
