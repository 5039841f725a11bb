"""Celery tasks: load ids, call one service function, handle retries.

Transient failures (database or Redis connection errors) are retried with
exponential backoff and jitter, up to MAX_RETRIES; after that the comment stays
``pending`` and the sweeper enqueues it again. Anything else is permanent: the
comment is marked ``error`` with the reason, so it never blocks the queue.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Any

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init
from flask import current_app
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, OperationalError

from moderation.classifier.tier2 import load_service_classifier
from moderation.logs import task_request_id
from moderation.metrics import (
    CATEGORY_FLAGS,
    CLASSIFIER_LATENCY,
    SWEPT,
    TASK_DURATION,
    TASK_RETRIES,
    TIER2_ESCALATED,
    VERDICTS,
)
from moderation.queue import MODERATE_TASK, enqueue_moderation
from moderation.services import moderation as moderation_service
from moderation.services import retention, sweeper
from moderation.services.access import SYSTEM_RETENTION
from moderation.services.policies import policy_defaults
from moderation.store.database import Database

log = logging.getLogger(__name__)

MAX_RETRIES = 5
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionError,
)


@functools.cache
def classifier() -> Any:
    """The classifier, loaded once per worker process."""
    settings = current_app.extensions["settings"]
    return load_service_classifier(settings.model_path or None, settings.tier2,
                                   threads=settings.tier2_threads)  # fmt: skip


def _database() -> Database:
    db: Database = current_app.extensions["db"]
    return db


@worker_process_init.connect
def _after_fork(**_kwargs: Any) -> None:
    # Connections must never be shared across the fork; drop the parent's pool.
    from workers.worker import flask_app

    flask_app.extensions["db"].engine.dispose(close=False)
    with flask_app.app_context():
        classifier()


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError) and getattr(exc, "connection_invalidated", False):
        return True
    return isinstance(exc, TRANSIENT_ERRORS)


@shared_task(
    name=MODERATE_TASK,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
)
def moderate_comment(self: Task, comment_id: int, request_id: str | None = None) -> int | None:
    """Moderate ``comment_id`` and, in the same run, a batch of other pending comments
    (MODERATION_WORKER_BATCH); their own tasks then find nothing left to do."""
    token = task_request_id.set(request_id)
    started = time.perf_counter()
    outcome_label = "error"
    settings = current_app.extensions["settings"]
    try:
        clf = classifier()
        escalated_before = getattr(clf, "escalated", 0)
        with _database().session() as session:
            try:
                batch = moderation_service.moderate_batch(
                    session, comment_id, clf, size=settings.worker_batch,
                    claimer=self.request.id, lease_seconds=settings.worker_claim_seconds,
                    fatal=(SoftTimeLimitExceeded,), defaults=policy_defaults(settings))
            except SoftTimeLimitExceeded:
                session.rollback()
                moderation_service.mark_error(session, comment_id, "moderation timed out")
                raise
            except Exception as exc:
                session.rollback()
                if _is_transient(exc):
                    outcome_label = "retry"
                    TASK_RETRIES.labels(MODERATE_TASK).inc()
                    countdown = min(60, 2 ** self.request.retries)
                    log.warning("transient error moderating %s, retry in ~%ss: %s",
                                comment_id, countdown, exc)
                    raise self.retry(exc=exc, countdown=_jitter(countdown)) from exc
                log.exception("permanent failure moderating comment %s", comment_id)
                moderation_service.mark_error(session, comment_id, f"{type(exc).__name__}: {exc}")
                raise
        outcome_label = "ok" if batch.own.result is not None else "noop"
        TIER2_ESCALATED.inc(getattr(clf, "escalated", 0) - escalated_before)
        for outcome in batch.moderated:
            _observe_verdict(outcome)
            task_request_id.set(outcome.request_id)
            assert outcome.result is not None
            log.info("comment %s moderated: %s", outcome.comment_id, outcome.result.decision,
                     extra={"comment_id": outcome.comment_id})
        return batch.own.verdict_id
    finally:
        TASK_DURATION.labels(MODERATE_TASK, outcome_label).observe(time.perf_counter() - started)
        task_request_id.reset(token)


def _observe_verdict(outcome: moderation_service.Outcome) -> None:
    assert outcome.result is not None
    CLASSIFIER_LATENCY.observe(outcome.pipeline_seconds)
    VERDICTS.labels(outcome.result.decision).inc()
    for category in {reason.code.split(":")[-1] if reason.code.startswith("classifier:")
                     else reason.code.split(":")[0] for reason in outcome.result.reasons}:
        CATEGORY_FLAGS.labels(category).inc()


def _jitter(countdown: float) -> float:
    import random

    return countdown * (0.5 + random.random())


@shared_task(name="moderation.sweep_pending", acks_late=True, max_retries=0,
             soft_time_limit=60, time_limit=120)
def sweep_pending() -> int:
    settings = current_app.extensions["settings"]
    with _database().session() as session:
        count = sweeper.sweep(session, min_age_seconds=settings.sweeper_min_age_seconds,
                              enqueue=enqueue_moderation(current_app))
    SWEPT.inc(count)
    if count:
        log.info("sweeper re-enqueued %d pending comments", count)
    return count


@shared_task(name="moderation.retention_run", bind=True, acks_late=True, reject_on_worker_lost=True,
             max_retries=3, soft_time_limit=1800, time_limit=2400)
def retention_run(self: Task) -> dict[str, int]:
    """Anonymise expired sender details (idempotent: a rerun finds nothing left to erase)."""
    settings = current_app.extensions["settings"]
    try:
        with _database().session() as session:
            report = retention.run_retention(session, retention_days=settings.retention_days,
                                             actor=SYSTEM_RETENTION)
    except Exception as exc:
        if _is_transient(exc):
            raise self.retry(exc=exc, countdown=_jitter(min(600, 30 * 2 ** self.request.retries))) from exc
        raise
    log.info("retention erased %d sender records, kept %d under hold", report.erased, report.skipped_held)
    return {"erased": report.erased, "skipped_held": report.skipped_held}
