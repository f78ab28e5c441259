"""Benchmark: what a consumer of a few event types pays for the many events of other types
between them, three ways.

On 127.0.0.1 only: a temporary RabbitMQ vhost, the customers service running as a nameko
container on a temporary database (SQLite, or PostgreSQL with --postgres) whose outbox holds
--events `contact_updated` events and then one `contacts_merged`, and a consumer's own SQLite
database. A consumer that handles `contacts_merged` only, at position 0, takes that event:

1. bound to its type, backfilling the gap with `events_since(after, limit, types)` (what
   `EventConsumer` does): one call, nothing of the other types fetched;
2. bound to its type, backfilling the whole gap: every event fetched, a page per thousand;
3. bound to `#`: every event received and applied one at a time (a transaction each), here
   without the broker, so only the consumer's own cost is counted.

It prints the median of --rounds runs of each, in milliseconds. Everything it made is deleted at
the end.

    .venv/bin/python bench/event_gaps.py [--events 10000] [--rounds 3] [--postgres]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script, from anywhere

import infra  # noqa: F401, I001  (before eventlet: it quiets eventlet's import notice)
import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

from nameko.containers import ServiceContainer  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402
from sqlalchemy import delete  # noqa: E402

from infra import outbox  # noqa: E402
from infra.consumer import ConsumerPosition, backfill, consume  # noqa: E402
from infra.db import Base, engine_for, session_factory  # noqa: E402
from infra.migrations import upgrade  # noqa: E402
from infra.testing import own_vhost, postgres_database  # noqa: E402
from services.customers.service import CustomersService  # noqa: E402

SYSTEM = {"user_id": None, "roles": [], "via": "system"}
HANDLERS = {"contacts_merged": lambda session, envelope: None}


def vhost():
    return own_vhost("crm-bench")


def seed(url: str, count: int) -> None:
    """`count` contact_updated events, then one contacts_merged, in batches of a thousand."""
    Session = session_factory(url)
    for start in range(0, count, 1000):
        with Session.begin() as session:
            updates = [
                ("contact_updated", {"id": str(uuid.uuid4()), "changes": {"title": ["", "CFO"]}})
                for _ in range(min(1000, count - start))
            ]
            outbox.record_many(session, "customers", updates, SYSTEM)
    with Session.begin() as session:
        merged = {"survivor_id": str(uuid.uuid4()), "merged_id": str(uuid.uuid4())}
        outbox.record(session, "customers", "contacts_merged", merged, SYSTEM)


def median_ms(rounds: int, reset, run) -> float:
    times = []
    for _ in range(rounds):
        reset()
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10000, help="events of other types")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL, not SQLite")
    options = parser.parse_args()
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        amqp_uri = stack.enter_context(vhost())
        if options.postgres:
            url = stack.enter_context(postgres_database())
        else:
            url = f"sqlite:///{folder}/customers.db"
        upgrade("customers", url)
        seed(url, options.events)
        customers = ServiceContainer(CustomersService, {"AMQP_URI": amqp_uri, "DATABASE_URL": url})
        customers.start()
        stack.callback(customers.stop)

        consumer_url = f"sqlite:///{folder}/consumer.db"
        Base.metadata.create_all(engine_for(consumer_url))
        Consumer = session_factory(consumer_url)
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=60) as cluster:
            log = []
            while len(log) <= options.events:
                log.extend(cluster.customers.events_since(len(log), 1000))
        merged = log[-1]

        def reset():
            with Consumer.begin() as session:
                session.execute(delete(ConsumerPosition))

        def by_type(source, after, until, types):
            return backfill(amqp_uri, source, after, until, types)

        def whole(source, after, until, types):
            return backfill(amqp_uri, source, after, until)

        def one_at_a_time():
            for envelope in log:
                consume(Consumer, envelope, HANDLERS, by_type, "bench")

        database = "PostgreSQL" if options.postgres else "SQLite"
        print(f"{options.events} contact_updated, then a contacts_merged; customers on {database}")
        for name, run in (
            ("backfill by type", lambda: consume(Consumer, merged, HANDLERS, by_type, "bench")),
            ("backfill whole", lambda: consume(Consumer, merged, HANDLERS, whole, "bench")),
            ("each event applied", one_at_a_time),
        ):
            print(f"  {name:<20} {median_ms(options.rounds, reset, run):10.1f} ms")


if __name__ == "__main__":
    main()
