"""Celery wired to the Flask app: one config object, and a Task class that runs every task
inside an app context. The tasks themselves live in the top-level ``workers`` package,
which imports this module; ``moderation`` never imports ``workers``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask
from kombu import Exchange, Queue

from moderation.queue import MODERATE_TASK
from moderation.settings import Settings
from moderation.webhook_queue import DELIVER_TASK, DUE_SOON_TASK, WEBHOOK_QUEUE

#: Task names (the web side and beat only ever refer to tasks by name).
SWEEP_TASK = "moderation.sweep_pending"
RETENTION_TASK = "moderation.retention_run"
CHECKPOINT_TASK = "moderation.audit_checkpoint"
ADAPT_TASK = "moderation.adapt_sites"
__all__ = ["ADAPT_TASK", "CHECKPOINT_TASK", "MODERATE_TASK", "RETENTION_TASK", "SWEEP_TASK", "celery_config",
           "celery_init_app"]


def celery_config(settings: Settings) -> dict[str, Any]:
    """All Celery settings in one place."""
    return {
        "broker_url": settings.redis_url,
        "task_ignore_result": True,  # verdicts live in the database, not the result backend
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_default_queue": "moderation",
        # Workers consume both queues unless started with -Q (README, "Webhooks").
        "task_queues": (Queue("moderation", Exchange("moderation"), routing_key="moderation"),
                        Queue(WEBHOOK_QUEUE, Exchange(WEBHOOK_QUEUE), routing_key=WEBHOOK_QUEUE)),
        "task_routes": {DELIVER_TASK: {"queue": WEBHOOK_QUEUE}, DUE_SOON_TASK: {"queue": WEBHOOK_QUEUE}},
        "worker_prefetch_multiplier": 4,
        "task_soft_time_limit": settings.task_soft_time_limit,
        "task_time_limit": settings.task_time_limit,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": 2,
        # Fail fast when Redis is down: the comment is already committed and the
        # sweeper will enqueue it, so intake must not hang on the broker.
        "task_publish_retry": True,
        "task_publish_retry_policy": {
            "max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2,
        },
        "broker_transport_options": {"visibility_timeout": 3600, "socket_timeout": 2,
                                     "socket_connect_timeout": 2},
        "worker_hijack_root_logger": False,
        "worker_send_task_events": False,
        "beat_schedule": {
            "sweep-pending": {
                "task": SWEEP_TASK,
                "schedule": timedelta(seconds=settings.sweeper_interval_seconds),
            },
            # Daily: anonymise sender details past MODERATION_RETENTION_DAYS, skipping holds.
            "retention-purge": {
                "task": RETENTION_TASK,
                "schedule": crontab(minute=17, hour=3),
            },
            # Signed audit checkpoints outside the database (README, "Audit log").
            "audit-checkpoint": {
                "task": CHECKPOINT_TASK,
                "schedule": timedelta(seconds=settings.audit_checkpoint_interval_seconds),
            },
            # Webhooks: deliver what the nudges missed, and announce cases due soon.
            "webhooks-deliver": {
                "task": DELIVER_TASK,
                "schedule": timedelta(seconds=settings.webhook_sweep_interval_seconds),
            },
            "webhooks-due-soon": {
                "task": DUE_SOON_TASK,
                "schedule": timedelta(minutes=5),
            },
            **_adapt_schedule(settings),
        },
    }


def _adapt_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """Site models (README, "Learning from moderators"): nightly for every site with new
    decisions, and after every MODERATION_ADAPT_EVERY_DECISIONS decisions."""
    entries: dict[str, dict[str, Any]] = {}
    if settings.adapt_nightly_hour >= 0:
        entries["adapt-nightly"] = {"task": ADAPT_TASK, "kwargs": {"nightly": True},
                                    "schedule": crontab(minute=41, hour=settings.adapt_nightly_hour)}
    if settings.adapt_every_decisions > 0:
        entries["adapt-after-decisions"] = {
            "task": ADAPT_TASK, "kwargs": {"nightly": False},
            "schedule": timedelta(seconds=settings.adapt_check_interval_seconds)}
    return entries


def celery_init_app(app: Flask) -> Celery:
    """Create the app's Celery instance (``app.extensions["celery"]``), the default app."""

    class FlaskTask(Task):  # type: ignore[misc]
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.config_from_object(celery_config(app.extensions["settings"]))
    celery.set_default()
    app.extensions["celery"] = celery
    return celery
