"""The outbox and savepoints: releasing a savepoint commits nothing, so nothing is published
then; rolling one back drops only the events recorded inside it. On SQLite and PostgreSQL."""

import pytest

from infra import outbox
from infra.context import Actor
from infra.db import session_factory
from infra.testing import empty_tables
from tests.test_events import outside  # noqa: F401  (the fixture)


@pytest.fixture
def Session(database_url, backend, amqp_uri):
    url = database_url("customers", backend)
    Session = session_factory(url)
    outbox.publish_on_commit(Session, outbox.Relay("customers", amqp_uri, Session, {}))
    yield Session
    empty_tables(url)


def record(session, name: str) -> None:
    outbox.record(session, "customers", "contact_created", {"id": name}, Actor().as_dict())


def test_only_the_outer_commit_publishes_and_a_savepoint_rollback_drops_its_own(
    Session,
    outside,  # noqa: F811
):
    erp = outside(routing_key="contact_created")
    with Session() as session:
        record(session, "kept")
        with session.begin_nested():
            record(session, "released")
        assert erp.receive(1, timeout=0.3) == []  # nothing is committed yet
        savepoint = session.begin_nested()
        record(session, "undone")
        savepoint.rollback()
        record(session, "after")
        session.commit()

    received = [envelope for _, envelope in erp.receive(4, timeout=2)]
    assert [e["data"]["id"] for e in received] == ["kept", "released", "after"]
    assert [e["sequence"] for e in received] == [1, 2, 3]


def test_an_outer_rollback_drops_everything(Session, outside):  # noqa: F811
    erp = outside(routing_key="contact_created")
    with Session() as session:
        record(session, "gone")
        session.rollback()
        record(session, "new")
        session.commit()

    assert [e["data"]["id"] for _, e in erp.receive(2, timeout=1)] == ["new"]
