"""Celery wired to the Flask app: one config object, and a Task class that runs every task
inside an app context. The tasks themselves live in the top-level ``workers`` package,
which imports this module; ``moderation`` never imports ``workers``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask

from moderation.queue import MODERATE_TASK
from moderation.settings import Settings

#: Task names (the web side and beat only ever refer to tasks by name).
SWEEP_TASK = "moderation.sweep_pending"
RETENTION_TASK = "moderation.retention_run"
CHECKPOINT_TASK = "moderation.audit_checkpoint"
#: Retention runs daily at this UTC time (the compliance console shows the next run).
RETENTION_HOUR, RETENTION_MINUTE = 3, 17
__all__ = ["CHECKPOINT_TASK", "MODERATE_TASK", "RETENTION_TASK", "SWEEP_TASK", "celery_config",
           "celery_init_app"]


def celery_config(settings: Settings) -> dict[str, Any]:
    """All Celery settings in one place."""
    return {
        "broker_url": settings.redis_url,
        "task_ignore_result": True,  # verdicts live in the database, not the result backend
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_default_queue": "moderation",
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
                "schedule": crontab(minute=RETENTION_MINUTE, hour=RETENTION_HOUR),
            },
            # Signed audit checkpoints outside the database (README, "Audit log").
            "audit-checkpoint": {
                "task": CHECKPOINT_TASK,
                "schedule": timedelta(seconds=settings.audit_checkpoint_interval_seconds),
            },
        },
    }


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
