"""Signed webhooks: endpoints, the transactional outbox of events, one delivery per event
and endpoint, and the log of every attempt.

An event row (``webhook_events``) and its deliveries (``webhook_deliveries``, one per
subscribed endpoint) are written in the transaction that made the change they report,
so an event exists exactly when its change was committed. Workers then claim due
deliveries with a short lease and record each attempt (``webhook_attempts``,
append-only).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from moderation.store.base import Base, utcnow

#: A delivery's lifecycle: pending → delivered, or pending → failed (retries ran out).
DELIVERY_STATUSES = ("pending", "delivered", "failed")


class WebhookEndpoint(Base):
    """Where a site's events go. ``secrets``: ``[{"id", "secret", "created_at",
    "expires_at"}]``; every secret not yet expired signs each attempt (rotation)."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_site_enabled", "site_id", "enabled"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(500), default="")
    #: The event types it receives, e.g. ``["comment.moderated", "comment.decided"]``.
    event_types: Mapped[list[Any]]
    #: A compliance endpoint may receive ``case.due_soon`` (lawful-request deadlines).
    compliance: Mapped[bool] = mapped_column(default=False)
    secrets: Mapped[list[Any]]
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    disabled_at: Mapped[datetime | None]
    #: Since when every attempt failed (None: the last attempt succeeded, or none yet).
    failing_since: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebhookEvent(Base):
    """One event of the outbox. Append-only; ``public_id`` is the ``webhook-id`` header."""

    __tablename__ = "webhook_events"
    __table_args__ = (Index("ix_webhook_events_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    #: What the event is about (``comment:12``, ``case:3``): deliveries about one subject
    #: reach each endpoint in event order.
    subject: Mapped[str] = mapped_column(String(60))
    data: Mapped[dict[str, Any]]
    #: Set for events that must be emitted once only (``case.due_soon`` per case and deadline).
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One event for one endpoint: pending until an attempt succeeds or retries run out."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_chain", "endpoint_id", "subject", "status", "event_id"),
        Index("ix_webhook_deliveries_event", "event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id"))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"))
    #: Copied from the event so the per-subject order is one indexed lookup.
    subject: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The first attempt of the current retry window (reset by a manual redelivery).
    first_attempt_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    #: A worker's lease while it sends; an expired lease is claimed again (at least once).
    leased_until: Mapped[datetime | None]
    leased_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookAttempt(Base):
    """One HTTP attempt of a delivery. Append-only."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id"))
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: None: no HTTP answer (refused address, connection error, timeout).
    status_code: Mapped[int | None]
    latency_ms: Mapped[int]
    error: Mapped[str | None] = mapped_column(Text)
    #: The address connected to (after the outbound-safety check).
    address: Mapped[str | None] = mapped_column(String(64))
    #: The first bytes of the answer (capped), for debugging a receiver.
    response_excerpt: Mapped[str | None] = mapped_column(Text)
