"""Prometheus metric definitions shared by the web processes and the workers.

With ``PROMETHEUS_MULTIPROC_DIR`` set (``make run`` sets it), every gunicorn and
Celery process writes to that directory and ``/metrics`` aggregates them all.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
