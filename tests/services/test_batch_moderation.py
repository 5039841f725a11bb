"""Batched moderation: one task claims and moderates many pending comments, and every
comment still gets exactly one verdict (both databases, concurrent workers, crashes)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from moderation.pipeline.run import PipelineInput, moderate_many
from moderation.services import moderation as moderation_service
from moderation.store import Comment, Verdict
from tests.support.factories import make_site
from tests.support.fake_classifier import FakeClassifier
from tests.support.moderation_data import add_comment


def pending(app: Flask, n: int, **kwargs: Any) -> list[int]:
    site = make_site(app)
    return [add_comment(app, site, status="pending", **kwargs) for _ in range(n)]


def verdicts_per_comment(app: Flask) -> dict[int, int]:
    with app.extensions["db"].session() as session:
        ids = session.scalars(select(Comment.id)).all()
        counts = dict(session.execute(  # type: ignore[arg-type]
            select(Verdict.comment_id, func.count()).group_by(Verdict.comment_id)).all())
    return {i: counts.get(i, 0) for i in ids}


def run(app: Flask, comment_id: int, classifier: Any = None, **kwargs: Any) -> Any:
    with app.extensions["db"].session() as session:
        return moderation_service.moderate_batch(
            session, comment_id, classifier or FakeClassifier(), **kwargs)


def test_one_task_moderates_its_comment_and_a_batch_of_others(app: Flask) -> None:
    ids = pending(app, 6)
    batch = run(app, ids[3], size=4)
    assert batch.own.comment_id == ids[3] and batch.own.verdict_id is not None
    # its own comment first, then the oldest pending ones
    assert {o.comment_id for o in batch.moderated} == {ids[3], ids[0], ids[1], ids[2]}
    assert verdicts_per_comment(app) == {**dict.fromkeys(ids[:4], 1), ids[4]: 0, ids[5]: 0}
    with app.extensions["db"].session() as session:
        decided = session.scalars(select(Comment).where(Comment.id.in_(ids[:4]))).all()
    assert {c.status for c in decided} == {"approved"}
    assert all(c.claimed_by is None and c.claimed_until is None for c in decided)
    # the other comments' own tasks find nothing to do for their own comment
    for comment_id in ids[:4]:
        assert run(app, comment_id, size=4).own.verdict_id is None
    assert verdicts_per_comment(app)[ids[4]] == 0
    assert {o.comment_id for o in run(app, ids[4], size=4).moderated} == {ids[4], ids[5]}
    assert set(verdicts_per_comment(app).values()) == {1}


def test_a_no_op_task_claims_nothing_else(app: Flask) -> None:
    ids = pending(app, 3)
    run(app, ids[0], size=1)
    batch = run(app, ids[0], size=8)  # a duplicate delivery: one cheap statement
    assert batch.own.verdict_id is None and batch.moderated == []
    assert verdicts_per_comment(app) == {ids[0]: 1, ids[1]: 0, ids[2]: 0}
    assert {o.comment_id for o in run(app, ids[1], size=8).moderated} == {ids[1], ids[2]}
    assert set(verdicts_per_comment(app).values()) == {1}


def test_concurrent_batches_give_exactly_one_verdict_per_comment(app: Flask) -> None:
    ids = pending(app, 120)
    errors: list[BaseException] = []

    def worker(start: int) -> None:
        try:
            for comment_id in ids[start::4]:  # every task, as four busy worker processes
                run(app, comment_id, size=16, claimer=f"worker-{start}-{comment_id}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert set(verdicts_per_comment(app).values()) == {1}


def _lease(app: Flask, ids: list[int], claimer: str, until: datetime) -> None:
    with app.extensions["db"].session() as session:
        session.execute(update(Comment).where(Comment.id.in_(ids))
                        .values(claimed_by=claimer, claimed_until=until))
        session.commit()


def test_comments_leased_by_another_worker_are_skipped_until_the_lease_expires(app: Flask) -> None:
    ids = pending(app, 4)
    _lease(app, ids[1:3], "someone-else", datetime.now(UTC) + timedelta(minutes=5))
    batch = run(app, ids[0], size=10, claimer="me")
    assert {o.comment_id for o in batch.moderated} == {ids[0], ids[3]}  # not the leased ones
    assert run(app, ids[1], size=10, claimer="me").moderated == []  # its own task: leased
    _lease(app, ids[1:3], "someone-else", datetime.now(UTC) - timedelta(seconds=1))
    batch = run(app, ids[1], size=10, claimer="me")
    assert {o.comment_id for o in batch.moderated} == set(ids[1:3])
    assert set(verdicts_per_comment(app).values()) == {1}


def test_a_task_that_died_mid_batch_takes_its_claims_back_when_redelivered(app: Flask) -> None:
    ids = pending(app, 5)
    with app.extensions["db"].session() as session:  # claimed, then the worker was killed
        claimed = moderation_service.claim_batch(session, ids[0], size=5, claimer="task-1",
                                                 lease_seconds=600, now=datetime.now(UTC))
        session.commit()
    assert len(claimed) == 5
    assert run(app, ids[1], size=5, claimer="task-2").moderated == []  # leased: skipped
    batch = run(app, ids[0], size=5, claimer="task-1")  # redelivery: same task id
    assert {o.comment_id for o in batch.moderated} == set(ids)
    assert set(verdicts_per_comment(app).values()) == {1}


def test_an_expired_lease_racing_its_old_holder_still_writes_one_verdict(app: Flask) -> None:
    ids = pending(app, 3)
    with app.extensions["db"].session() as session:
        moderation_service.claim_batch(session, ids[0], size=3, claimer="slow",
                                       lease_seconds=0.001, now=datetime.now(UTC))
        session.commit()
    assert len(run(app, ids[0], size=3, claimer="fast").moderated) == 3
    # the slow holder finally gets to write: nothing is left pending for it
    with app.extensions["db"].session() as session:
        late = moderate_many([PipelineInput("late")], classifier=FakeClassifier())[0]
        written = moderation_service.write_verdicts(session, dict.fromkeys(ids, late))
        session.commit()
    assert written == {}
    assert set(verdicts_per_comment(app).values()) == {1}


class PoisonClassifier(FakeClassifier):
    def predict(self, text: str) -> Any:
        if "poison" in text:
            raise ValueError("cannot score this")
        return super().predict(text)


def test_a_poison_comment_in_someone_elses_batch_fails_alone(app: Flask) -> None:
    site = make_site(app)
    good = add_comment(app, site, status="pending")
    poison = add_comment(app, site, status="pending", text="poison pill")
    later = add_comment(app, site, status="pending")
    batch = run(app, good, PoisonClassifier(), size=10, claimer="me")
    assert {o.comment_id for o in batch.moderated} == {good, later}
    assert batch.released == [poison]
    with app.extensions["db"].session() as session:
        left = session.get(Comment, poison)
        assert left is not None
        assert (left.status, left.claimed_by) == ("pending", None)  # for its own task
    with pytest.raises(ValueError, match="cannot score"):  # which fails loudly
        run(app, poison, PoisonClassifier(), size=10)
    assert verdicts_per_comment(app) == {good: 1, poison: 0, later: 1}
