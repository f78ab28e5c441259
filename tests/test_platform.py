"""Platform behaviour that every service relies on: a cooperative database driver under
eventlet, the metrics each service exposes, numbering a batch of events, and locks held for
a process's lifetime."""

import subprocess
import sys
import time
import urllib.request

import eventlet
import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from infra import locks, outbox
from infra.config import ROOT
from infra.db import engine_for
from infra.errors import ValidationFailed
from services.customers.service import CustomersService

pytestmark = pytest.mark.service  # the platform's code in process, on the real database and broker


def test_a_slow_postgresql_query_does_not_stall_other_green_threads(database_url):
    engine = engine_for(database_url("customers", "postgresql"))
    ticks, query = [], {}

    def tick():
        while "ended" not in query:
            ticks.append(time.monotonic())
            eventlet.sleep(0.01)

    def slow_query():
        with engine.connect() as connection:
            query["started"] = time.monotonic()
            connection.execute(text("SELECT pg_sleep(0.5)"))
            query["ended"] = time.monotonic()

    ticker = eventlet.spawn(tick)
    eventlet.spawn(slow_query).wait()
    ticker.wait()

    # Had psycopg2 blocked the hub, no other green thread could have run during the query.
    during = [moment for moment in ticks if query["started"] < moment < query["ended"]]
    assert len(during) >= 3


@pytest.fixture
def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_service_exposes_rpc_latency_errors_and_outbox_backlog(
    start_service, amqp_uri, free_port
):
    start_service(CustomersService, METRICS_PORT=free_port)
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}) as cluster:
        cluster.customers.create_contact({"last_name": "Measured"})
        with pytest.raises(ValidationFailed):
            cluster.customers.create_contact({"email": "bad"})

    metrics = urllib.request.urlopen(f"http://127.0.0.1:{free_port}/metrics").read().decode()

    assert 'crm_rpc_duration_seconds_count{method="create_contact",service="customers"}' in metrics
    assert (
        'crm_rpc_errors_total{error="ValidationFailed",method="create_contact",service="customers"}'
        in metrics
    )
    assert 'crm_events_published_total{service="customers",type="contact_created"}' in metrics
    assert "crm_outbox_backlog" in metrics


def test_record_many_numbers_a_batch_of_events_gaplessly_in_order(db_session_for, backend):
    session = db_session_for("customers", backend)
    actor = {"user_id": None, "roles": [], "via": "system"}

    first = outbox.record(session, "customers", "contact_created", {"n": 1}, actor)
    batch = outbox.record_many(
        session, "customers", [("contact_created", {"n": n}) for n in (2, 3, 4)], actor
    )
    assert outbox.record_many(session, "customers", [], actor) == []
    last = outbox.record(session, "customers", "contact_updated", {"n": 5}, actor)
    session.commit()

    assert [e["sequence"] for e in (first, *batch, last)] == [1, 2, 3, 4, 5]
    stored = outbox.events_since(session, 0)
    assert [(e["sequence"], e["data"]["n"]) for e in stored] == [(n, n) for n in range(1, 6)]
    assert len({e["id"] for e in stored}) == 5


def test_a_lock_excludes_every_other_holder_until_released(database_url, backend):
    engine = engine_for(database_url("customers", backend))

    with (
        locks.held(engine, "import-1") as first,
        locks.held(engine, "import-1") as second,
        locks.held(engine, "import-2") as other,
    ):
        assert (first, second, other) == (True, False, True)
    with locks.held(engine, "import-1") as again:
        assert again


HOLD_A_LOCK = """
import sys, time
from infra import locks
from infra import locks, outbox
from infra.config import ROOT
from infra.db import engine_for
with locks.held(engine_for(sys.argv[1]), "import-1") as got:
    print(got, flush=True)
    time.sleep(60)
"""


def test_a_lock_is_released_when_the_holding_process_dies(database_url, backend):
    url = database_url("customers", backend)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_A_LOCK, url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "True"
        with locks.held(engine_for(url), "import-1") as got:
            assert not got
    finally:
        holder.kill()
        holder.wait(timeout=10)

    deadline = time.monotonic() + 10  # PostgreSQL notices the closed connection soon after
    while True:
        with locks.held(engine_for(url), "import-1") as got:
            if got or time.monotonic() > deadline:
                break
        time.sleep(0.1)
    assert got
