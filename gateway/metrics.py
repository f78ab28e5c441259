"""Request latency per route, method and status; served at /metrics.

Under gunicorn with several worker processes, `PROMETHEUS_MULTIPROC_DIR` makes every worker
write its samples to files that /metrics adds up (prometheus_client's multiprocess mode).
"""

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUEST_LATENCY = Histogram(
    "crm_http_request_duration_seconds",
    "Time the gateway took to answer, by route and status.",
    ["route", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def _start():
    g.started = time.perf_counter()


def _observe(response):
    started = g.get("started")
    if started is not None:
        route = request.url_rule.rule if request.url_rule else "unmatched"
        REQUEST_LATENCY.labels(route, request.method, str(response.status_code)).observe(
            time.perf_counter() - started
        )
    return response


def _metrics():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY as registry
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_observe)
    app.add_url_rule("/metrics", "metrics", _metrics)
