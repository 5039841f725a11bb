"""The sweeper re-queues comments left pending, skips those a worker holds a live lease
on, and re-queues each at most once per ``min_age_seconds`` (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import update

from moderation.services import sweeper
from moderation.store import Comment
from tests.support.factories import make_site
from tests.support.moderation_data import add_comment

MIN_AGE = 30.0


def sweep(app: Flask, now: datetime) -> list[int]:
    queued: list[int] = []
    with app.extensions["db"].session() as session:
        count = sweeper.sweep(session, min_age_seconds=MIN_AGE, now=now,
                              enqueue=lambda comment_id, _request_id: queued.append(comment_id))
    assert count == len(queued)
    return queued


def lease(app: Flask, comment_id: int, until: datetime) -> None:
    with app.extensions["db"].session() as session:
        session.execute(update(Comment).where(Comment.id == comment_id)
                        .values(claimed_until=until, claimed_by="task-1"))
        session.commit()


def test_a_comment_under_a_live_lease_is_skipped_until_the_lease_ends(app: Flask) -> None:
    site = make_site(app)
    free, leased = (add_comment(app, site, status="pending") for _ in range(2))
    later = datetime.now(UTC) + timedelta(seconds=MIN_AGE + 1)
    lease(app, leased, until=later + timedelta(seconds=5))
    assert sweep(app, later) == [free]
    # the lease ran out (its worker died): the comment is re-queued
    assert sweep(app, later + timedelta(seconds=6)) == [leased]


def test_each_comment_is_requeued_at_most_once_per_period(app: Flask) -> None:
    site = make_site(app)
    ids = [add_comment(app, site, status="pending") for _ in range(3)]
    start = datetime.now(UTC) + timedelta(seconds=MIN_AGE + 1)
    assert sweep(app, start) == ids
    # beat runs the sweeper every few seconds; the backlog isn't queued again each time
    for seconds in (1, 10, MIN_AGE - 1):
        assert sweep(app, start + timedelta(seconds=seconds)) == []
    assert sweep(app, start + timedelta(seconds=MIN_AGE)) == ids
    assert sweep(app, start + timedelta(seconds=MIN_AGE + 1)) == []


def test_only_pending_comments_old_enough_are_requeued(app: Flask) -> None:
    site = make_site(app)
    stale, young = (add_comment(app, site, status="pending") for _ in range(2))
    decided = add_comment(app, site, status="approved")
    now = datetime.now(UTC)
    with app.extensions["db"].session() as session:
        session.execute(update(Comment).where(Comment.id.in_([stale, decided]))
                        .values(updated_at=now - timedelta(seconds=MIN_AGE + 1)))
        session.commit()
    assert sweep(app, now) == [stale]
    assert young not in sweep(app, now + timedelta(seconds=MIN_AGE - 1))


def test_the_beat_task_requeues_a_stale_comment_once(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers import tasks

    sent: list[list[object]] = []
    monkeypatch.setattr(app.extensions["celery"], "send_task",
                        lambda name, args, **_kwargs: sent.append(args))
    comment = add_comment(app, make_site(app), status="pending")
    with app.extensions["db"].session() as session:
        session.execute(update(Comment).where(Comment.id == comment)
                        .values(updated_at=datetime.now(UTC) - timedelta(seconds=MIN_AGE + 1)))
        session.commit()
    with app.app_context():
        assert tasks.sweep_pending.run() == 1
        assert tasks.sweep_pending.run() == 0  # the next beat, seconds later
    assert sent == [[comment]]
