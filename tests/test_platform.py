"""Platform behaviour that every service relies on: a cooperative database driver under
eventlet, and the metrics each service exposes."""

import time
import urllib.request

import eventlet
import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from infra.db import engine_for
from infra.errors import ValidationFailed
from services.customers.service import CustomersService


def test_a_slow_postgresql_query_does_not_stall_other_green_threads(database_url):
    engine = engine_for(database_url("customers", "postgresql"))
    ticks = []

    def tick():
        deadline = time.monotonic() + 0.6
        while time.monotonic() < deadline:
            ticks.append(time.monotonic())
            eventlet.sleep(0.01)

    def slow_query():
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_sleep(0.5)"))

    ticker = eventlet.spawn(tick)
    eventlet.spawn(slow_query).wait()
    ticker.wait()

    # Had psycopg2 blocked the hub for the 0.5 s query, the ticker would have run ~10 times.
    assert len(ticks) > 30


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
