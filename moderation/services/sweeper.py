"""Re-enqueue comments left pending (broker down at intake, lost messages, dead workers)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.store import Comment


def stale_pending_ids(session: Session, *, min_age_seconds: float, limit: int = 1000) -> list[int]:
    cutoff = datetime.now(UTC) - timedelta(seconds=min_age_seconds)
    return list(
        session.scalars(
            select(Comment.id)
            .where(Comment.status == "pending", Comment.created_at <= cutoff)
            .order_by(Comment.id)
            .limit(limit)
        )
    )


def sweep(
    session: Session,
    *,
    min_age_seconds: float,
    enqueue: Callable[[int, str | None], None],
    limit: int = 1000,
) -> int:
    """Enqueue each stale pending comment again; the task's claim makes repeats harmless."""
    ids = stale_pending_ids(session, min_age_seconds=min_age_seconds, limit=limit)
    for comment_id in ids:
        enqueue(comment_id, None)
    return len(ids)
