"""Hand comment ids to the Celery workers. The web side only knows the task's name."""

from __future__ import annotations

from flask import Flask

from moderation.services.intake import Enqueue

MODERATE_TASK = "moderation.moderate_comment"


def enqueue_moderation(app: Flask) -> Enqueue:
    celery = app.extensions["celery"]

    def enqueue(comment_id: int, request_id: str | None) -> None:
        celery.send_task(MODERATE_TASK, args=[comment_id], kwargs={"request_id": request_id})

    return enqueue
