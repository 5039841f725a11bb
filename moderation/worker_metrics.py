"""A Celery worker's own metrics port: ``celery -A workers.worker worker -I moderation.worker_metrics``.

The worker's pool processes record into ``PROMETHEUS_MULTIPROC_DIR`` (one folder per
worker container, emptied at start); once the worker is ready its main process
serves their sum on ``MODERATION_WORKER_METRICS_HOST:MODERATION_WORKER_METRICS_PORT``
(0: off), behind ``MODERATION_METRICS_TOKEN`` when that is set. Prometheus scrapes it
alongside each web host's ``/metrics`` (README, "Metrics and what to alert on").
"""

from __future__ import annotations

import logging
from typing import Any

from celery.signals import worker_ready

from moderation.metrics import serve_metrics
from moderation.settings import load_settings

log = logging.getLogger(__name__)


@worker_ready.connect
def _serve_worker_metrics(sender: Any = None, **_kwargs: Any) -> None:
    settings = load_settings()
    if not settings.worker_metrics_port:
        return
    serve_metrics(settings.worker_metrics_port, settings.worker_metrics_host, settings.metrics_token)
    log.info("worker metrics on %s:%d", settings.worker_metrics_host, settings.worker_metrics_port)
