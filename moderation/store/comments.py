"""Comments, their senders' personal details, and the append-only verdict history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from moderation.store.base import Base, utcnow

#: Lifecycle of a comment's current status.
STATUSES = ("pending", "approved", "rejected", "needs_review", "error")


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        UniqueConstraint("site_id", "external_id", name="uq_comments_site_external"),
        UniqueConstraint("site_id", "idempotency_key", name="uq_comments_site_idempotency"),
        Index("ix_comments_site_status_id", "site_id", "status", "id"),
        Index("ix_comments_status_id", "status", "id"),
        Index("ix_comments_created_at", "created_at"),
        Index("ix_comments_site_id_id", "site_id", "id"),
        Index("ix_comments_toxicity_id", "toxicity", "id"),
        Index("ix_comments_site_toxicity_id", "site_id", "toxicity", "id"),
        Index("ix_comments_site_article_id", "site_id", "article_id", "id"),
        Index("ix_comments_pseudonym_id", "sender_pseudonym", "id"),
        Index("ix_comments_site_language_id", "site_id", "language", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    article_id: Mapped[str] = mapped_column(String(200))
    article_url: Mapped[str | None] = mapped_column(String(2000))
    parent_id: Mapped[str | None] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    #: A keyed hash of the site and the sender's email (``moderation.senders.pseudonym``):
    #: stable across the sender's comments on one site, unrelated across sites, and kept
    #: after erasure.
    sender_pseudonym: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    #: Denormalised from the latest verdict for fast sorting and filtering.
    toxicity: Mapped[float | None] = mapped_column(Float)
    error_reason: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    moderated_at: Mapped[datetime | None]
    #: Denormalised from the latest verdict: its category scores, and its reason codes
    #: as `` code1 code2 `` (space-delimited, space-padded) for exact LIKE filtering.
    scores: Mapped[dict[str, Any] | None]
    reason_codes: Mapped[str | None] = mapped_column(Text)
    #: Denormalised from the latest verdict: the main language code (``en``, ``kn``, ``hi-Latn``)
    language: Mapped[str | None] = mapped_column(String(16))
    #: Denormalised from the latest moderator decision (the history is in ``decisions``).
    last_decision: Mapped[str | None] = mapped_column(String(20))
    decided_at: Mapped[datetime | None]
    #: A worker's short lease on a pending comment it is moderating in a batch, so other
    #: workers skip it. Only an efficiency hint: the verdict is still written by a
    #: conditional UPDATE on ``status = 'pending'``, so an expired or lost lease can cost
    #: duplicate work but never a second verdict.
    claimed_until: Mapped[datetime | None]
    #: Who holds the lease (the Celery task id), so a redelivered or retried task can
    #: take its own batch back at once instead of waiting for the lease to expire.
    claimed_by: Mapped[str | None] = mapped_column(String(64))


class SenderDetails(Base):
    """Personal data about a comment's sender, kept apart so retention can erase it."""

    __tablename__ = "sender_details"
    __table_args__ = (
        Index("ix_sender_details_email", "email"),
        Index("ix_sender_details_ip", "ip"),
    )

    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(1000))
    #: The address the HTTP request itself came from (the site's server).
    submitted_from: Mapped[str | None] = mapped_column(String(45))
    erased_at: Mapped[datetime | None]


class Verdict(Base):
    """One pipeline run's outcome. Append-only: a re-run adds a row."""

    __tablename__ = "verdicts"
    __table_args__ = (
        Index("ix_verdicts_comment", "comment_id", "id"),
        Index("ix_verdicts_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"))
    decision: Mapped[str] = mapped_column(String(20))
    scores: Mapped[dict[str, Any]]
    reasons: Mapped[list[Any]]
    model_version: Mapped[str] = mapped_column(String(100))
    policy_version: Mapped[int]
    #: ``{"code", "script", "share", "others"}``: the language identified (None before it was)
    language: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Decision(Base):
    """A moderator's decision on a comment. Append-only history."""

    __tablename__ = "decisions"
    __table_args__ = (
        Index("ix_decisions_comment", "comment_id", "id"),
        Index("ix_decisions_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"))
    decision: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(100))  # display name at the time
    actor_id: Mapped[str | None] = mapped_column(String(100))  # stable id: user:3, key:7
    actor_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    override: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
