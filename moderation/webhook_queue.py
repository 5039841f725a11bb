"""Nudge the webhook delivery task after a commit that wrote outbox rows.

The nudge is an optimisation: it gets an event out within moments of its change.
It is sent over the moderation publisher's bounded broker connection (and respects
its cooldown), so a hung Redis can't hold a request; whatever a lost nudge leaves
behind, the beat sweep (``MODERATION_WEBHOOK_SWEEP_INTERVAL_SECONDS``) delivers.
"""

from __future__ import annotations

import logging

from flask import Flask

from moderation.queue import publisher

log = logging.getLogger(__name__)

DELIVER_TASK = "moderation.webhooks.deliver"
DUE_SOON_TASK = "moderation.webhooks.due_soon"
#: Webhook tasks have their own queue, so slow receivers never delay moderation. Every
#: worker consumes both queues unless started with ``-Q``.
WEBHOOK_QUEUE = "webhooks"


def nudge(app: Flask) -> None:
    """Queue one delivery run; never raises (the sweep is the safety net)."""
    sender = publisher(app)
    if sender.cooldown.active:
        return
    try:
        app.extensions["celery"].send_task(DELIVER_TASK, queue=WEBHOOK_QUEUE,
                                           connection=sender._connection(), retry=False)
    except Exception:
        sender._drop_connection()
        sender.cooldown.trip()
        log.warning("webhook nudge not sent; the sweep delivers", exc_info=True)


def init_app(app: Flask) -> None:
    """Let every session of this app nudge delivery after committing outbox rows."""
    sessionmaker = app.extensions["db"].sessionmaker
    info = dict(sessionmaker.kw.get("info") or {})
    info["webhook_notify"] = lambda: nudge(app)
    sessionmaker.configure(info=info)
