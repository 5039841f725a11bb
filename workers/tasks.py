"""Celery tasks: load ids, call one service function; Celery handles the retries.

Transient failures (database or Redis connection errors, :data:`TRANSIENT_ERRORS`) are
retried by Celery itself (``autoretry_for`` with exponential ``retry_backoff`` and full
``retry_jitter``), at most ``max_retries`` times; after that the comment stays ``pending``
and the sweeper enqueues it again. Anything else is permanent (never retried: a
``ValueError``, ``KeyError`` or ``TypeError`` is a bug or bad input, not bad luck): the
comment is marked ``error`` with the reason, so it never blocks the queue.
"""

from __future__ import annotations

import functools
import logging
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from flask import current_app
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, OperationalError

from moderation.celery_setup import ADAPT_TASK, CHECKPOINT_TASK, RETENTION_TASK, SWEEP_TASK
from moderation.classifier.model import ClassifierOutput
from moderation.classifier.tier2 import load_service_classifier
from moderation.domain.errors import DomainError
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
from moderation.services import adaptation, audit_checkpoints, retention, sweeper
from moderation.services import moderation as moderation_service
from moderation.services.access import SYSTEM_RETENTION
from moderation.services.policies import policy_defaults
from moderation.services.site_serving import SiteClassifiers
from moderation.store.database import Database
from moderation.verdict_signal import notifier

log = logging.getLogger(__name__)

MAX_RETRIES = 5
#: Retry delays: full jitter over 1, 2, 4, … s, capped at a minute (Celery's retry_backoff).
BACKOFF_MAX_SECONDS = 60


class ConnectionInvalidated(Exception):
    """A database error that dropped the connection (SQLAlchemy's ``connection_invalidated``)
    but is not an ``OperationalError``: worth a retry like one."""


#: What Celery retries (``autoretry_for``). Never ``ValueError``, ``KeyError`` or
#: ``TypeError``: those are permanent, and retrying them only repeats the failure.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    ConnectionInvalidated,
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionError,
)


@functools.cache
def classifier() -> Any:
    """The classifier, loaded once per worker process."""
    settings = current_app.extensions["settings"]
    return load_service_classifier(settings.model_path or None, settings.tier2,
                                   threads=settings.tier2_threads, kannada=settings.kannada)


_site_classifiers: SiteClassifiers | None = None


def site_classifiers(base: Any) -> SiteClassifiers:
    """The sites' active models over ``base`` (:func:`classifier`), kept per worker process."""
    global _site_classifiers
    if _site_classifiers is None or _site_classifiers.base is not base:
        _site_classifiers = SiteClassifiers(base)
    return _site_classifiers


def _database() -> Database:
    db: Database = current_app.extensions["db"]
    return db


def _transient(exc: BaseException) -> Exception | None:
    """The exception for Celery to retry when ``exc`` is transient, else None."""
    if isinstance(exc, TRANSIENT_ERRORS):
        return exc
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return ConnectionInvalidated(f"{type(exc).__name__}: {exc}")
    return None


class TierCount:
    """Wraps the classifier for one task run and counts, from each output's ``tier``, the
    comments the second tier scored (the process-wide classifier keeps no counters)."""

    def __init__(self, clf: Any) -> None:
        self._clf = clf
        self.version: str = clf.version
        self.thresholds: dict[str, dict[str, float]] = clf.thresholds
        # the coverage rule reads the classifier's languages (the Kannada routing declares kn)
        self.languages: tuple[str, ...] | None = getattr(clf, "languages", None)
        self.tiers: Counter[str] = Counter()

    def _seen(self, outputs: Sequence[ClassifierOutput]) -> None:
        # other ClassifierLike implementations (test doubles) may not say: the fast tier
        self.tiers.update(getattr(o, "tier", "fast") for o in outputs)

    def predict(self, text: str) -> ClassifierOutput:
        out: ClassifierOutput = self._clf.predict(text)
        self._seen([out])
        return out

    def predict_batch(self, texts: Sequence[str]) -> list[ClassifierOutput]:
        outs: list[ClassifierOutput] = list(self._clf.predict_batch(texts))
        self._seen(outs)
        return outs

    def predict_identified(self, texts: Sequence[str], languages: Sequence[Any]) -> list[ClassifierOutput]:
        """The pipeline's language guesses passed on to a classifier that routes by them."""
        inner = getattr(self._clf, "predict_identified", None)
        if callable(inner):
            outs: list[ClassifierOutput] = list(inner(texts, languages))
        elif len(texts) > 1 and callable(getattr(self._clf, "predict_batch", None)):
            outs = list(self._clf.predict_batch(texts))
        else:  # as the pipeline calls a classifier without either
            outs = [self._clf.predict(text) for text in texts]
        self._seen(outs)
        return outs


@shared_task(
    name=MODERATE_TASK,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=BACKOFF_MAX_SECONDS,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
)
def moderate_comment(self: Task, comment_id: int, request_id: str | None = None) -> int | None:
    """Moderate ``comment_id`` and, in the same run, a batch of other pending comments
    (MODERATION_WORKER_BATCH); their own tasks then find nothing left to do."""
    token = task_request_id.set(request_id)
    started = time.perf_counter()
    outcome_label = "error"
    settings = current_app.extensions["settings"]
    settled: list[int] = []  # committed verdicts or errors, announced to waiting requests
    try:
        base = classifier()
        clf = TierCount(base)
        with _database().session() as session:
            try:
                batch = moderation_service.moderate_batch(
                    session, comment_id, clf, size=settings.worker_batch,
                    claimer=self.request.id, lease_seconds=settings.worker_claim_seconds,
                    fatal=(SoftTimeLimitExceeded,), defaults=policy_defaults(settings),
                    site_classifiers=site_classifiers(base))
            except SoftTimeLimitExceeded:
                session.rollback()
                if moderation_service.mark_error(session, comment_id, "moderation timed out"):
                    settled.append(comment_id)
                raise
            except Exception as exc:
                session.rollback()
                transient = _transient(exc)
                if transient is not None:  # Celery retries it (autoretry_for)
                    outcome_label = "retry"
                    TASK_RETRIES.labels(MODERATE_TASK).inc()
                    log.warning("transient error moderating %s (attempt %d), Celery retries: %s",
                                comment_id, self.request.retries + 1, exc)
                    if transient is exc:
                        raise
                    raise transient from exc
                log.exception("permanent failure moderating comment %s", comment_id)
                if moderation_service.mark_error(session, comment_id, f"{type(exc).__name__}: {exc}"):
                    settled.append(comment_id)
                raise
        settled += [outcome.comment_id for outcome in batch.moderated]
        outcome_label = "ok" if batch.own.result is not None else "noop"
        TIER2_ESCALATED.inc(clf.tiers["tier2"])
        for outcome in batch.moderated:
            _observe_verdict(outcome)
            task_request_id.set(outcome.request_id)
            assert outcome.result is not None
            log.info("comment %s moderated: %s", outcome.comment_id, outcome.result.decision,
                     extra={"comment_id": outcome.comment_id})
        return batch.own.verdict_id
    finally:
        notifier(current_app.extensions, settings).settled(settled)  # never raises
        TASK_DURATION.labels(MODERATE_TASK, outcome_label).observe(time.perf_counter() - started)
        task_request_id.reset(token)


def _observe_verdict(outcome: moderation_service.Outcome) -> None:
    assert outcome.result is not None
    CLASSIFIER_LATENCY.observe(outcome.pipeline_seconds)
    VERDICTS.labels(outcome.result.decision).inc()
    for category in {reason.code.split(":")[-1] if reason.code.startswith("classifier:")
                     else reason.code.split(":")[0] for reason in outcome.result.reasons}:
        CATEGORY_FLAGS.labels(category).inc()


@shared_task(name=SWEEP_TASK, acks_late=True, max_retries=0, soft_time_limit=60, time_limit=120)
def sweep_pending() -> int:
    settings = current_app.extensions["settings"]
    with _database().session() as session:
        count = sweeper.sweep(session, min_age_seconds=settings.sweeper_min_age_seconds,
                              enqueue=enqueue_moderation(current_app))
    SWEPT.inc(count)
    if count:
        log.info("sweeper re-enqueued %d pending comments", count)
    return count


@shared_task(name=RETENTION_TASK, bind=True, acks_late=True, reject_on_worker_lost=True,
             autoretry_for=TRANSIENT_ERRORS, retry_backoff=30, retry_backoff_max=600,
             retry_jitter=True, max_retries=3, soft_time_limit=1800, time_limit=2400)
def retention_run(self: Task) -> dict[str, int]:
    """Anonymise expired sender details (idempotent: a rerun finds nothing left to erase)."""
    settings = current_app.extensions["settings"]
    try:
        with _database().session() as session:
            report = retention.run_retention(session, retention_days=settings.retention_days,
                                             actor=SYSTEM_RETENTION, export_dir=settings.export_dir,
                                             export_lifetime_days=settings.export_retention_days)
    except DBAPIError as exc:
        transient = _transient(exc)
        if transient is None or transient is exc:
            raise
        raise transient from exc
    log.info("retention erased %d sender records, kept %d under hold; deleted %d exports, "
             "kept %d under hold", report.erased, report.skipped_held, report.exports_deleted,
             report.exports_kept_held)
    return {"erased": report.erased, "skipped_held": report.skipped_held,
            "exports_deleted": report.exports_deleted, "exports_kept_held": report.exports_kept_held}


@shared_task(name=CHECKPOINT_TASK, acks_late=True, max_retries=0, soft_time_limit=600, time_limit=900)
def audit_checkpoint() -> int | None:
    """Append a signed checkpoint of the audit chain's head (none for a broken chain: logged)."""
    settings = current_app.extensions["settings"]
    with _database().session() as session:
        try:
            written = audit_checkpoints.scheduled_checkpoint(
                session, signing_key_file=settings.audit_signing_key_file,
                destination=settings.audit_checkpoint_file)
        except DomainError as exc:
            log.error("audit checkpoint not written: %s", exc.message)
            raise
    if written is not None:
        log.info("audit checkpoint: event %d, %d events", written.event_id, written.count)
        return written.event_id
    return None


@shared_task(name=ADAPT_TASK, acks_late=True, max_retries=0, soft_time_limit=1800,
             time_limit=2400)
def adapt_sites(nightly: bool = False) -> dict[str, str]:
    """Retrain the site models that are due (``nightly``: every site with a new decision;
    otherwise those with MODERATION_ADAPT_EVERY_DECISIONS new ones). Each run is recorded
    and audited as ``system:adapt``, activated or not."""
    from moderation.classifier.site_model import fast_tier

    settings = current_app.extensions["settings"]
    base = fast_tier(classifier())
    if base is None:
        log.warning("adaptation skipped: the service classifier has no linear fast tier")
        return {}
    outcome: dict[str, str] = {}
    with _database().session() as session:
        for site in adaptation.sites_due(session, every=settings.adapt_every_decisions,
                                         nightly=nightly):
            run = adaptation.run_adaptation(session, site, base, adaptation.adapt_config(settings),
                                            actor=adaptation.SYSTEM_ADAPT)
            outcome[site.name] = f"{run.row.label}: {run.row.status}"
            log.info("site %s adaptation: %s", site.name, run.row.reason)
    return outcome
