"""Entry module for ``celery -A workers.worker worker`` and ``celery -A workers.worker beat``."""

from moderation import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]

# Registers the tasks (``@shared_task``) with ``celery_app``. The web process never imports
# them: it sends tasks by name (moderation.queue).
from workers import tasks  # noqa: E402, F401
