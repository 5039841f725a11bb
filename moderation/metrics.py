"""Prometheus metric definitions shared by the web processes and the workers.

With ``PROMETHEUS_MULTIPROC_DIR`` set, every process writes its samples to files in
that directory and a scrape aggregates them: gunicorn's workers behind one web
``/metrics``, a Celery worker's pool processes behind the worker's own metrics port
(:func:`serve_metrics`, started by ``-I moderation.worker_metrics``). ``make run``
gives all its processes one directory, so web ``/metrics`` shows the workers too.
One directory must never be shared by processes in different containers: their
process ids collide, and two processes would write one file.
"""

from __future__ import annotations

import hmac
import os
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

HTTP_REQUESTS = Counter(
    "moderation_http_requests_total", "HTTP requests by route, method and status",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "moderation_http_request_duration_seconds", "HTTP request latency by route and status",
    ["route", "method", "status"], buckets=LATENCY_BUCKETS,
)
VERDICTS = Counter(
    "moderation_verdicts_total", "Pipeline verdicts by decision", ["decision"],
)
CATEGORY_FLAGS = Counter(
    "moderation_category_flags_total",
    "Verdicts with a reason in each category (abusive, personal_information, …)", ["category"],
)
TASK_DURATION = Histogram(
    "moderation_task_duration_seconds", "Celery task run time by task and outcome",
    ["task", "outcome"], buckets=LATENCY_BUCKETS,
)
TASK_RETRIES = Counter(
    "moderation_task_retries_total", "Celery task retries after transient errors", ["task"],
)
CLASSIFIER_LATENCY = Histogram(
    "moderation_classifier_duration_seconds", "Time spent in the pipeline per comment",
    buckets=LATENCY_BUCKETS,
)
TIER2_ESCALATED = Counter(
    "moderation_tier2_escalated_total",
    "Comments re-scored by the optional second tier (compare with moderation_verdicts_total)",
)
ENQUEUE_FAILURES = Counter(
    "moderation_enqueue_failures_total", "Comments committed but not enqueued (left to the sweeper)",
)
SWEPT = Counter("moderation_swept_total", "Pending comments re-enqueued by the sweeper")


def metrics_registry() -> CollectorRegistry:
    """Every process's samples when ``PROMETHEUS_MULTIPROC_DIR`` is set, else this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return REGISTRY


def bearer_matches(authorization: str | None, token: str) -> bool:
    """Whether an ``Authorization`` header carries ``Bearer <token>`` (compared in constant time)."""
    scheme, _, supplied = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(supplied.strip().encode(), token.encode())


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's signature
        pass


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def metrics_wsgi_app(token: str = "") -> WsgiApp:
    """The exposition as a WSGI app, asking for ``Bearer <token>`` when a token is set."""
    exposition = make_wsgi_app(metrics_registry())

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if token and not bearer_matches(environ.get("HTTP_AUTHORIZATION"), token):
            start_response("401 Unauthorized", [("Content-Type", "text/plain"),
                                                ("WWW-Authenticate", 'Bearer realm="metrics"')])
            return [b"metrics token required\n"]
        return exposition(environ, start_response)  # type: ignore[no-any-return]

    return app


def serve_metrics(port: int, host: str = "127.0.0.1", token: str = "") -> WSGIServer:
    """Serve the metrics on ``host:port`` from a daemon thread (a Celery worker's own port)."""
    server = make_server(host, port, metrics_wsgi_app(token), _ThreadingServer, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics-server", daemon=True).start()
    return server
