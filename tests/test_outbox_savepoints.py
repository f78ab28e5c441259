"""The outbox inside savepoints (`session.begin_nested()`), which SQLAlchemy reports with the
same after_commit and after_rollback hooks as whole transactions: a released savepoint
publishes nothing early, a rolled-back one takes back only its own events."""

import contextlib

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import select

from infra import outbox
from infra.db import Base, engine_for, session_factory
from infra.outbox import OutboxEvent
from infra.service import CrmService, rpc
from infra.testing import postgres_database
from tests.test_events import OutsideConsumer

pytestmark = pytest.mark.service  # the outbox in process, on the real database and broker


class DiaryService(CrmService):
    name = "diary"

    @rpc
    def write(self) -> None:
        outbox.record(self.db, self.name, "first", {}, {})
        try:
            with self.db.begin_nested():
                outbox.record(self.db, self.name, "undone", {}, {})
                raise LookupError
        except LookupError:
            pass
        with self.db.begin_nested():  # released: the transaction, and its write lock, go on
            outbox.record(self.db, self.name, "kept", {}, {})
        outbox.record(self.db, self.name, "last", {}, {})
        self.db.commit()


@pytest.fixture
def diary_url(backend, tmp_path):
    from infra import consumer  # noqa: F401  (its table is a platform table too)

    with contextlib.ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path}/diary.db"
        else:
            url = stack.enter_context(postgres_database())
        Base.metadata.create_all(engine_for(url))
        with session_factory(url).begin() as session:
            session.add(outbox.EventCounter(id=1, last_sequence=0))
        yield url


def test_events_in_savepoints_are_published_once_committed_and_only_if_kept(
    diary_url, start_service, amqp_uri
):
    start_service(DiaryService, DATABASE_URL=diary_url)
    listener = OutsideConsumer(amqp_uri, "diary.events", "#")
    try:
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as cluster:
            cluster.diary.write()
        received = listener.receive_events(3)
    finally:
        listener.close()

    assert [(e["type"], e["sequence"]) for e in received] == [
        ("first", 1),
        ("kept", 2),
        ("last", 3),
    ]
    with session_factory(diary_url)() as session:
        stored = session.execute(select(OutboxEvent.type, OutboxEvent.published_at)).all()
    assert [kind for kind, _ in stored] == ["first", "kept", "last"]
    assert all(published_at is not None for _, published_at in stored)
