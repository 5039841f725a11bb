"""``GET /metrics`` and the request instrumentation that feeds it.

Open by default, for a network only Prometheus reaches; with
``MODERATION_METRICS_TOKEN`` set it answers 401 unless the scrape sends
``Authorization: Bearer <token>`` (Prometheus: ``authorization: {credentials: ...}``).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from moderation.api.operations import documented
from moderation.domain.errors import Unauthorized
from moderation.metrics import HTTP_LATENCY, HTTP_REQUESTS, bearer_matches, metrics_registry
from moderation.services import disclosure
from moderation.store import Comment

bp = Blueprint("metrics", __name__)


class PendingCollector(Collector):
    """Pending count and the age of the oldest pending comment, read at scrape time."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self):  # type: ignore[no-untyped-def]
        count = GaugeMetricFamily("moderation_pending_comments", "Comments waiting for a verdict")
        age = GaugeMetricFamily("moderation_oldest_pending_age_seconds",
                                "Age of the oldest comment still pending (0 when none)")
        try:
            with self.app.extensions["db"].session() as session:
                pending = session.scalar(
                    select(func.count()).select_from(Comment).where(Comment.status == "pending"))
                oldest = session.scalar(
                    select(Comment.created_at).where(Comment.status == "pending")
                    .order_by(Comment.id).limit(1))
                overdue_cases = disclosure.count_overdue(session)
        except Exception:  # the database is down: report nothing rather than fail the scrape
            return
        count.add_metric([], float(pending or 0))
        age.add_metric([], (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0)
        yield count
        yield age
        overdue = GaugeMetricFamily("moderation_disclosure_cases_overdue",
                                    "Disclosure cases past their due time and not yet answered")
        overdue.add_metric([], float(overdue_cases))
        yield overdue


@bp.get("/metrics")
@documented("Prometheus metrics (text exposition format)", public=True,
            notes="Unauthenticated unless MODERATION_METRICS_TOKEN is set; then the scrape "
                  "sends that token as a bearer token (not an API key).",
            security=({}, {"metrics_token": []}), response_media={"text/plain": str},
            description="Metrics", errors=(401,))
def metrics() -> Response:
    token = _app().extensions["settings"].metrics_token
    if token and not bearer_matches(request.headers.get("Authorization"), token):
        raise Unauthorized("GET /metrics needs the metrics token (MODERATION_METRICS_TOKEN).",
                           headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    output = generate_latest(metrics_registry())
    pending = CollectorRegistry()
    pending.register(PendingCollector(_app()))
    output += generate_latest(pending)
    return Response(output, mimetype=CONTENT_TYPE_LATEST)


def _app() -> Flask:
    from flask import current_app

    return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]


def init_app(app: Flask) -> None:
    @app.before_request
    def _start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.get("request_started")
        if started is not None:
            route = request.url_rule.rule if request.url_rule else "unmatched"
            labels = (route, request.method, str(response.status_code))
            HTTP_REQUESTS.labels(*labels).inc()
            HTTP_LATENCY.labels(*labels).observe(time.perf_counter() - started)
        return response
