"""Deliver the webhook outbox: claim due deliveries, sign, send, record, retry.

At least once: a delivery stays ``pending`` until an attempt got a 2xx, and it is
claimed with a lease, never removed from a queue. A worker killed mid-attempt leaves
the lease to expire; the next run (the beat sweep at the latest) claims the delivery
again. A receiver may therefore see an event twice, with the same ``webhook-id``.

In order per subject: only the *head* of each endpoint's chain for one comment (or
case) is claimable — the pending delivery with the lowest event id — so event n+1 is
not sent before event n was delivered (or given up on, or its endpoint deleted).

Retries: exponential backoff with jitter from ``webhook_retry_base_seconds``, each delay
at most ``webhook_retry_max_delay_seconds`` (a ``Retry-After`` answer is honoured up to
that), until ``webhook_retry_window_seconds`` after the first attempt; then the
delivery is ``failed``. An endpoint whose every attempt failed for
``webhook_disable_after_seconds``, or that answered ``410 Gone``, is disabled (audited).
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from moderation.services import webhook_http, webhooks
from moderation.services.webhook_http import Answer, IPNetwork
from moderation.store import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

log = logging.getLogger(__name__)

Sender = Callable[[str, bytes, dict[str, str]], Answer]


@dataclass(frozen=True)
class DeliveryConfig:
    """The settings delivery uses (built from ``Settings`` by :func:`config_from`)."""

    allowed: tuple[IPNetwork, ...] = ()
    connect_timeout: float = 2.0
    timeout: float = 5.0
    max_response_bytes: int = 16 * 1024
    retry_base: float = 5.0
    retry_max_delay: float = 3600.0
    retry_window: float = 86400.0
    disable_after: float = 5 * 86400.0
    batch: int = 10


def config_from(settings: Any) -> DeliveryConfig:
    return DeliveryConfig(
        allowed=tuple(settings.webhook_networks), connect_timeout=settings.webhook_connect_timeout_seconds,
        timeout=settings.webhook_timeout_seconds, max_response_bytes=settings.webhook_max_response_bytes,
        retry_base=settings.webhook_retry_base_seconds,
        retry_max_delay=settings.webhook_retry_max_delay_seconds,
        retry_window=settings.webhook_retry_window_seconds,
        disable_after=settings.webhook_disable_after_seconds, batch=settings.webhook_batch)


@dataclass
class RunReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    claimed: int = 0


def backoff(attempt: int, config: DeliveryConfig, retry_after: float | None = None) -> float:
    """Seconds before attempt ``attempt + 1``: base·2^(n-1), half of it random (jitter),
    capped; a receiver's Retry-After (capped too) when it asks for longer."""
    ceiling = min(config.retry_max_delay, config.retry_base * 2 ** min(attempt - 1, 30))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, config.retry_max_delay))
    return delay


def _claim(session: Session, *, now: datetime, limit: int, lease: float, claimer: str) -> list[int]:
    """Lease up to ``limit`` due chain heads on enabled endpoints; their ids."""
    earlier = aliased(WebhookDelivery)
    head = ~exists().where(earlier.endpoint_id == WebhookDelivery.endpoint_id,
                           earlier.subject == WebhookDelivery.subject,
                           earlier.status == "pending", earlier.event_id < WebhookDelivery.event_id)
    ids = list(session.scalars(
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now,
               or_(WebhookDelivery.leased_until.is_(None), WebhookDelivery.leased_until < now),
               WebhookEndpoint.enabled.is_(True), head)
        .order_by(WebhookDelivery.id).limit(limit)
        .with_for_update(of=WebhookDelivery, skip_locked=True)))
    if not ids:
        return []
    claimed = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(ids), WebhookDelivery.status == "pending",
               or_(WebhookDelivery.leased_until.is_(None), WebhookDelivery.leased_until < now))
        .values(leased_until=now + timedelta(seconds=lease), leased_by=claimer)
        .returning(WebhookDelivery.id).execution_options(synchronize_session=False))
    return sorted(claimed.scalars())


def _send(session: Session, delivery_id: int, config: DeliveryConfig, sender: Sender | None,
          ) -> tuple[WebhookDelivery, WebhookEndpoint, Answer] | None:
    """Build and send one claimed delivery (no transaction held while it is on the wire)."""
    row = session.execute(
        select(WebhookDelivery, WebhookEvent, WebhookEndpoint)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.id == delivery_id)
        .execution_options(populate_existing=True)).one_or_none()  # fresh, not the identity map's
    session.commit()  # end the read transaction: SQLite must not hold a lock during the POST
    if row is None:
        return None
    delivery, event, endpoint = row
    now = datetime.now(UTC)
    body = webhooks.envelope(event)
    stamp = int(now.timestamp())
    headers = {
        "content-type": "application/json",
        "user-agent": "moderation-webhooks/1",
        "webhook-id": event.public_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": webhooks.signature_header(webhooks.active_secrets(endpoint, now),
                                                       event.public_id, stamp, body),
    }
    if sender is not None:
        answer = sender(endpoint.url, body, headers)
    else:
        answer = webhook_http.post(endpoint.url, body, headers, allowed=config.allowed,
                                   connect_timeout=config.connect_timeout, timeout=config.timeout,
                                   max_response_bytes=config.max_response_bytes)
    return delivery, endpoint, answer


def _record(session: Session, delivery: WebhookDelivery, endpoint: WebhookEndpoint, answer: Answer,
            config: DeliveryConfig, claimer: str, report: RunReport) -> None:
    """Log the attempt and move the delivery on, if this run still holds its lease. Commits."""
    now = datetime.now(UTC)
    first = delivery.first_attempt_at or now
    attempts = delivery.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "last_attempt_at": now, "first_attempt_at": first,
                              "leased_until": None, "leased_by": None, "last_error": answer.error}
    if answer.ok:
        values.update(status="delivered", delivered_at=now)
    elif (now - first).total_seconds() >= config.retry_window:
        values.update(status="failed")
    else:
        values.update(next_attempt_at=now + timedelta(seconds=backoff(attempts, config, answer.retry_after)))
    moved = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id, WebhookDelivery.leased_by == claimer,
               WebhookDelivery.status == "pending")
        .values(**values).execution_options(synchronize_session=False))
    session.add(WebhookAttempt(delivery_id=delivery.id, attempted_at=now, status_code=answer.status,
                               latency_ms=answer.latency_ms, error=answer.error, address=answer.address,
                               response_excerpt=(answer.excerpt or None) and answer.excerpt[:1000]))
    if not moved.rowcount:  # type: ignore[attr-defined]
        # the lease ran out and someone else took it over (or it was redelivered): log only
        session.commit()
        return
    if answer.ok:
        report.delivered += 1
        session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id,
                                                      WebhookEndpoint.failing_since.is_not(None))
                        .values(failing_since=None).execution_options(synchronize_session=False))
    else:
        report.failed += values.get("status") == "failed"
        report.retried += values.get("status") != "failed"
        since = session.scalar(select(WebhookEndpoint.failing_since).where(WebhookEndpoint.id == endpoint.id))
        if since is None:
            session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id)
                            .values(failing_since=now).execution_options(synchronize_session=False))
            since = now
        if answer.status == 410:
            webhooks.disable_endpoint(session, endpoint.id, "the receiver answered 410 Gone")
        elif (now - since).total_seconds() >= config.disable_after:
            webhooks.disable_endpoint(
                session, endpoint.id,
                f"every attempt failed since {since.isoformat(timespec='seconds')} ({answer.error})")
    session.commit()


def deliver_due(
    session: Session, config: DeliveryConfig, *, claimer: str | None = None, budget_seconds: float = 20.0,
    sender: Sender | None = None,
) -> RunReport:
    """Deliver what is due, batch after batch, for about ``budget_seconds``.

    ``sender`` replaces the HTTP client (tests of the bookkeeping only).
    """
    claimer = claimer or uuid.uuid4().hex
    report = RunReport()
    started = time.monotonic()
    lease = config.batch * (config.timeout + 1) + 10
    while time.monotonic() - started < budget_seconds:
        now = datetime.now(UTC)
        ids = _claim(session, now=now, limit=config.batch, lease=lease, claimer=claimer)
        session.commit()
        if not ids:
            break
        report.claimed += len(ids)
        for position, delivery_id in enumerate(ids):
            if time.monotonic() - started >= budget_seconds:  # hand the rest back at once
                _release(session, ids[position:], claimer)
                return report
            sent = _send(session, delivery_id, config, sender)
            if sent is not None:
                _record(session, *sent, config, claimer, report)
    return report


def _release(session: Session, ids: Sequence[int], claimer: str) -> None:
    session.execute(update(WebhookDelivery)
                    .where(WebhookDelivery.id.in_(list(ids)), WebhookDelivery.leased_by == claimer)
                    .values(leased_until=None, leased_by=None).execution_options(synchronize_session=False))
    session.commit()


def next_due(session: Session) -> datetime | None:
    """When the earliest pending delivery on an enabled endpoint is due (None: nothing)."""
    return session.scalar(
        select(WebhookDelivery.next_attempt_at)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.status == "pending", WebhookEndpoint.enabled.is_(True))
        .order_by(WebhookDelivery.next_attempt_at).limit(1))


def emit_due_soon(session: Session, *, within_hours: float, now: datetime | None = None) -> int:
    """``case.due_soon`` once per open case (and deadline) due within ``within_hours``. Commits."""
    from moderation.store import DisclosureRequest

    now = now or datetime.now(UTC)
    written = 0
    for case in session.scalars(select(DisclosureRequest).where(
            DisclosureRequest.status == "open",
            and_(DisclosureRequest.due_at <= now + timedelta(hours=within_hours)))):
        data = {"case_id": case.id, "site_id": case.site_id, "status": case.status,
                "due_at": case.due_at.isoformat(), "received_at": case.received_at.isoformat(),
                "overdue": case.due_at <= now}
        written += webhooks.record_case_event(
            session, "case.due_soon", case_id=case.id, site_id=case.site_id, data=data,
            dedupe_key=f"case.due_soon:{case.id}:{case.due_at.isoformat()}")
    session.commit()
    return written


__all__: Sequence[str] = ["DeliveryConfig", "RunReport", "backoff", "config_from", "deliver_due",
                          "emit_due_soon", "next_due"]
