"""Re-enqueue comments left pending (broker down at intake, lost messages, dead workers).

A comment is stale when it is pending, no worker holds a live lease on it, and
nothing has touched it (intake, a claim, a previous sweep) for ``min_age_seconds``.
The sweep touches each comment it re-queues (``updated_at``), so a backlog that
workers haven't reached yet is re-queued at most once per ``min_age_seconds``
instead of once per sweep.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from moderation.store import Comment


def _stale(now: datetime, min_age_seconds: float) -> ColumnElement[bool]:
    cutoff = now - timedelta(seconds=min_age_seconds)
    return and_(Comment.status == "pending", Comment.updated_at <= cutoff,
                or_(Comment.claimed_until.is_(None), Comment.claimed_until < now))


def take_stale(session: Session, *, min_age_seconds: float, limit: int = 1000,
               now: datetime | None = None) -> list[int]:
    """Mark up to ``limit`` stale pending comments as re-queued now; their ids. Commits."""
    now = now or datetime.now(UTC)
    ids = list(session.scalars(
        select(Comment.id).where(_stale(now, min_age_seconds)).order_by(Comment.id).limit(limit)
        .with_for_update(skip_locked=True)))
    if not ids:
        session.rollback()
        return []
    # Re-checked in the UPDATE: a worker may have claimed or decided one meanwhile (SQLite).
    taken = list(session.scalars(
        update(Comment).where(Comment.id.in_(ids), _stale(now, min_age_seconds))
        .values(updated_at=now).returning(Comment.id)
        .execution_options(synchronize_session=False)))
    session.commit()
    return sorted(taken)


def sweep(
    session: Session,
    *,
    min_age_seconds: float,
    enqueue: Callable[[int, str | None], None],
    limit: int = 1000,
    now: datetime | None = None,
) -> int:
    """Enqueue each stale pending comment again; the task's claim makes repeats harmless.

    The comments are marked before they are enqueued, so if the broker fails part-way
    the rest wait one more ``min_age_seconds`` (the task fails and says so)."""
    ids = take_stale(session, min_age_seconds=min_age_seconds, limit=limit, now=now)
    for comment_id in ids:
        enqueue(comment_id, None)
    return len(ids)
