"""Webhook tasks: deliver the outbox (nudged after commits, and swept by beat), and
announce lawful-request cases that are due soon. Thin: one service call each."""

from __future__ import annotations

import logging

from celery import Task, shared_task
from flask import current_app

from moderation.services import webhook_delivery
from moderation.store.database import Database
from moderation.webhook_queue import DELIVER_TASK, DUE_SOON_TASK

log = logging.getLogger(__name__)


def _database() -> Database:
    db: Database = current_app.extensions["db"]
    return db


# Idempotent: a delivery is leased before it is sent and recorded under that lease, so a
# redelivered or duplicated task only sends what is still pending (at least once). No
# Celery retries: anything left pending is due again for the next run (nudge or beat).
@shared_task(name=DELIVER_TASK, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=0,
             soft_time_limit=50, time_limit=70)
def deliver_webhooks(self: Task) -> int:
    settings = current_app.extensions["settings"]
    config = webhook_delivery.config_from(settings)
    with _database().session() as session:
        report = webhook_delivery.deliver_due(session, config, claimer=self.request.id,
                                              budget_seconds=30.0)
    if report.claimed:
        log.info("webhooks: %d delivered, %d to retry, %d failed", report.delivered, report.retried,
                 report.failed)
    return report.delivered


@shared_task(name=DUE_SOON_TASK, acks_late=True, max_retries=0, soft_time_limit=60, time_limit=120)
def cases_due_soon() -> int:
    settings = current_app.extensions["settings"]
    with _database().session() as session:
        return webhook_delivery.emit_due_soon(session, within_hours=settings.disclosure_due_soon_hours)
