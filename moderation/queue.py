"""Hand comment ids to the Celery workers, within a strict time budget.

The web side only knows the task's name. The comment is already committed when it
is enqueued, so a broker that is down *or hung* must never hold the request: the
publish uses its own broker connection whose connect, socket and retry settings are
bounded by ``MODERATION_ENQUEUE_BUDGET_SECONDS``, publishes without Celery's retry
loop, and after a miss the process skips the broker for
``MODERATION_REDIS_COOLDOWN_SECONDS``. A comment that wasn't enqueued stays pending
and the sweeper enqueues it later.
"""

from __future__ import annotations

import os
import threading
from contextlib import suppress
from typing import Any

from celery import Celery
from flask import Flask

from moderation.cooldown import Cooldown
from moderation.services.intake import Enqueue, EnqueueSkipped

__all__ = ["MODERATE_TASK", "EnqueueSkipped", "Publisher", "enqueue_moderation", "publisher"]

MODERATE_TASK = "moderation.moderate_comment"


class Publisher:
    """Publishes moderation tasks over a per-thread broker connection with bounded timeouts."""

    def __init__(self, celery: Celery, budget_seconds: float, cooldown_seconds: float) -> None:
        self.celery = celery
        self.budget = budget_seconds
        self.cooldown = Cooldown(cooldown_seconds)
        self._local = threading.local()
        self.pid = os.getpid()

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self.celery.connection_for_write(
                connect_timeout=self.budget,
                transport_options={
                    # each socket operation (connect, PING on a new channel, LPUSH) is bounded
                    "socket_timeout": self.budget,
                    "socket_connect_timeout": self.budget,
                    # one connection attempt, not kombu's retry-until-timeout loop
                    "max_retries": 0,
                },
            )
            self._local.connection = connection
        return connection

    def _drop_connection(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            with suppress(Exception):
                connection.release()

    def send(self, comment_id: int, request_id: str | None) -> None:
        if self.cooldown.active:
            raise EnqueueSkipped("the broker missed its time budget recently; left to the sweeper")
        try:
            self.celery.send_task(MODERATE_TASK, args=[comment_id], kwargs={"request_id": request_id},
                                  connection=self._connection(), retry=False)
        except Exception:
            self._drop_connection()
            self.cooldown.trip()
            raise


def publisher(app: Flask) -> Publisher:
    """This process's publisher (made again after a fork: connections are not shared)."""
    current: Publisher | None = app.extensions.get("enqueue_publisher")
    if current is None or current.pid != os.getpid():
        settings = app.extensions["settings"]
        current = Publisher(app.extensions["celery"], settings.enqueue_budget_seconds,
                            settings.redis_cooldown_seconds)
        app.extensions["enqueue_publisher"] = current
    return current


def enqueue_moderation(app: Flask) -> Enqueue:
    return publisher(app).send
