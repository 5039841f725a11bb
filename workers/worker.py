"""Entry module for ``celery -A workers.worker worker`` and ``celery -A workers.worker beat``."""

from typing import Any

from celery.signals import worker_process_init

from moderation import create_app
from workers import tasks, webhook_tasks  # noqa: F401 (registers the webhook tasks)

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
# ``tasks`` (imported above) registers its ``@shared_task``s with ``celery_app`` when the app
# is finalised. The web process never imports them: it sends tasks by name (moderation.queue).


@worker_process_init.connect
def _after_fork(**_kwargs: Any) -> None:
    # Connections must never be shared across the fork; drop the parent's pool. Then load
    # the classifier once per pool process, before the first task.
    flask_app.extensions["db"].engine.dispose(close=False)
    with flask_app.app_context():
        tasks.classifier()
