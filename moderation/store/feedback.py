"""Labelled feedback: suggested scores and other labels a site's own people give."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from moderation.store.base import Base, utcnow


class Feedback(Base):
    """One suggested label for a text (append-only). ``comment_id`` is set when it names a stored comment."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_site_created", "site_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))
    source: Mapped[str] = mapped_column(String(40))  # "perspective.suggestscore", ...
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    attribute: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    community_id: Mapped[str | None] = mapped_column(String(1000))
    client_token: Mapped[str | None] = mapped_column(String(1000))
    actor: Mapped[str] = mapped_column(String(100))  # the actor's stable id
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
