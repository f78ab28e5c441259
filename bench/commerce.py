"""Benchmark: quotes and orders through the sales service's RPC, as the gateway calls them.

On 127.0.0.1 only, in one process: a temporary RabbitMQ vhost and temporary databases (SQLite
files, or PostgreSQL databases with --postgres), the customers and sales services started as
nameko containers, one account and a catalogue of products. Then, one caller at a time, for
--count rounds each, it measures:

1. create_quote with 10 product lines (each priced from the price book: one product query per
   quote) and with 100;
2. send_quote then accept_quote (the order placed in the same transaction);
3. add_payment, half the order's total, with a reference;
4. create_order with an external_id sent again (found, nothing written).

It prints calls/s, p50 and p99 for each. Everything it made is deleted at the end, even on
Ctrl-C or error.

    .venv/bin/python bench/commerce.py [--count 200] [--postgres]
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
from collections.abc import Callable  # noqa: E402

from nameko.containers import ServiceContainer  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from infra.migrations import upgrade  # noqa: E402
from infra.testing import own_vhost, postgres_database  # noqa: E402
from services.customers.service import CustomersService  # noqa: E402
from services.sales.service import SalesService  # noqa: E402

CATALOGUE = 100


def vhost():
    return own_vhost("crm-bench")


def database(stack: contextlib.ExitStack, component: str, postgres: bool, folder: str) -> str:
    url = (
        stack.enter_context(postgres_database())
        if postgres
        else f"sqlite:///{folder}/{component}.db"
    )
    upgrade(component, url)
    return url


def timed(count: int, call: Callable[[int], object]) -> list[float]:
    seconds = []
    for round_ in range(count):
        started = time.perf_counter()
        call(round_)
        seconds.append(time.perf_counter() - started)
    return seconds


def report(name: str, seconds: list[float]) -> None:
    cuts = statistics.quantiles(seconds, n=100)
    print(
        f"{name:<34} {len(seconds) / sum(seconds):8.1f} {cuts[49] * 1000:8.1f} "
        f"{cuts[98] * 1000:8.1f}"
    )


def run(sales, customers, count: int) -> None:
    account = customers.create_account({"name": "Bench Trading"})
    products = [
        sales.create_product(
            {
                "sku": f"B-{n:04d}",
                "name": f"Bench product {n}",
                "prices": [{"currency": "EUR", "unit_price": f"{n + 1}.99"}],
            }
        )["id"]
        for n in range(CATALOGUE)
    ]

    def quote(lines: int) -> dict:
        return sales.create_quote(
            {
                "account_id": account["id"],
                "currency": "EUR",
                "tax_rate": "19",
                "lines": [
                    {
                        "product_id": products[n % CATALOGUE],
                        "quantity": "3",
                        "discount_percent": "12.5",
                    }
                    for n in range(lines)
                ],
            }
        )

    print(f"{'':<34} {'calls/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    report("create_quote, 10 lines", timed(count, lambda _: quote(10)))
    report("create_quote, 100 lines", timed(count // 4, lambda _: quote(100)))
    drafts = [quote(10)["id"] for _ in range(count)]
    orders = []
    report(
        "send_quote + accept_quote",
        timed(
            count,
            lambda n: (sales.send_quote(drafts[n]), orders.append(sales.accept_quote(drafts[n]))),
        ),
    )
    report(
        "add_payment",
        timed(
            count,
            lambda n: sales.add_payment(
                orders[n]["id"],
                {"amount": f"{float(orders[n]['total']) // 2:.2f}", "reference": f"p{n}"},
            ),
        ),
    )
    request = {
        "external_id": "shop-1",
        "account_id": account["id"],
        "currency": "EUR",
        "lines": [{"product_id": products[0], "quantity": "1"}],
    }
    sales.create_order(request)
    report("create_order, external_id resent", timed(count, lambda _: sales.create_order(request)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=200, help="rounds per measurement")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL, not SQLite")
    options = parser.parse_args()
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        amqp_uri = stack.enter_context(vhost())
        for service in (CustomersService, SalesService):
            config = {
                "AMQP_URI": amqp_uri,
                "DATABASE_URL": database(stack, service.name, options.postgres, folder),
            }
            container = ServiceContainer(service, config)
            container.start()
            stack.callback(container.kill)
        cluster = stack.enter_context(ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30))
        print(f"sales and customers on {'PostgreSQL' if options.postgres else 'SQLite'}")
        run(cluster.sales, cluster.customers, options.count)


if __name__ == "__main__":
    main()
