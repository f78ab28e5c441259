"""Prometheus metrics of a service process, and the dependency that times every entrypoint."""

import time

from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge, Histogram, start_http_server

from infra import config

RPC_LATENCY = Histogram(
    "crm_rpc_duration_seconds",
    "Time a service spent handling an RPC call, event or timer, by method.",
    ["service", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
RPC_ERRORS = Counter(
    "crm_rpc_errors_total",
    "Entrypoint calls that raised, by method and error.",
    ["service", "method", "error"],
)
EVENTS_PUBLISHED = Counter(
    "crm_events_published_total", "Events published to the broker.", ["service", "type"]
)
EVENTS_CONSUMED = Counter(
    "crm_events_consumed_total",
    "Events applied by a consumer (duplicates excluded).",
    ["service", "source", "type"],
)
OUTBOX_BACKLOG = Gauge("crm_outbox_backlog", "Events committed but not yet published.", ["service"])

_servers: dict[int, object] = {}


def serve(port: int) -> None:
    """Expose /metrics on `port` once per process (several containers may share a process)."""
    if port and port not in _servers:
        _servers[port] = start_http_server(port, addr=config.env("CRM_METRICS_ADDR", "127.0.0.1"))


class Metrics(DependencyProvider):
    """Times every entrypoint of the service; serves /metrics on `METRICS_PORT` if set."""

    def setup(self):
        self.started: dict = {}
        serve(int(self.container.config.get("METRICS_PORT") or 0))

    def worker_setup(self, worker_ctx):
        self.started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self.started.pop(worker_ctx, None)
        method = worker_ctx.entrypoint.method_name
        service = self.container.service_name
        if started is not None:
            RPC_LATENCY.labels(service, method).observe(time.perf_counter() - started)
        if exc_info is not None:
            RPC_ERRORS.labels(service, method, exc_info[0].__name__).inc()
