"""The moderation task itself, called in-process: idempotence, poison input, retries.

(The real worker process is exercised by tests/integration.)
"""

from __future__ import annotations

from typing import Any

import pytest
from celery.exceptions import Retry
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from moderation.store import Comment, Verdict
from tests.support.factories import auth, comment_body, make_key, make_site
from tests.support.fake_classifier import FakeClassifier
from workers import tasks


@pytest.fixture
def comment_id(app: Flask, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(app.extensions["celery"], "send_task", lambda *a, **k: None)
    token = make_key(app, "site", make_site(app))
    response = app.test_client().post("/v1/comments", json=comment_body(), headers=auth(token))
    return int(response.get_json()["id"])


def _run(app: Flask, comment_id: int) -> Any:
    with app.app_context():
        return tasks.moderate_comment.run(comment_id, request_id="req-1")


def _comment(app: Flask, comment_id: int) -> Comment:
    with app.extensions["db"].session() as session:
        comment = session.get(Comment, comment_id)
        assert comment is not None
        return comment


def test_running_twice_stores_one_verdict(
    app: Flask, comment_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tasks, "classifier", lambda: FakeClassifier())
    assert _run(app, comment_id) is not None
    assert _run(app, comment_id) is None
    with app.extensions["db"].session() as session:
        verdicts = session.scalars(select(Verdict).where(Verdict.comment_id == comment_id)).all()
    assert len(verdicts) == 1
    assert _comment(app, comment_id).status == "approved"


class ExplodingClassifier(FakeClassifier):
    def predict(self, text: str) -> Any:
        raise ValueError("cannot score this")


def test_a_permanent_failure_marks_the_comment_error_and_reraises(
    app: Flask, comment_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tasks, "classifier", lambda: ExplodingClassifier())
    with pytest.raises(ValueError):
        _run(app, comment_id)
    comment = _comment(app, comment_id)
    assert comment.status == "error"
    assert "cannot score this" in (comment.error_reason or "")
    token = make_key(app, "moderator")
    body = app.test_client().get(f"/v1/comments/{comment_id}", headers=auth(token)).get_json()
    assert body["status"] == "error"


class FlakyDatabaseClassifier(FakeClassifier):
    def predict(self, text: str) -> Any:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))


def test_a_transient_failure_is_retried_and_the_comment_stays_pending(
    app: Flask, comment_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tasks, "classifier", lambda: FlakyDatabaseClassifier())
    calls: list[dict[str, Any]] = []

    def fake_retry(**kwargs: Any) -> Retry:
        calls.append(kwargs)
        return Retry("retrying")

    monkeypatch.setattr(tasks.moderate_comment, "retry", fake_retry)
    with pytest.raises(Retry):
        _run(app, comment_id)
    assert calls and 0 < calls[0]["countdown"] <= 1.5
    assert _comment(app, comment_id).status == "pending"


def test_task_settings_are_explicit() -> None:
    task = tasks.moderate_comment
    assert task.name == "moderation.moderate_comment"
    assert task.acks_late and task.reject_on_worker_lost
    assert task.max_retries == tasks.MAX_RETRIES


class EscalatingClassifier(FakeClassifier):
    """Counts its comments as sent to a second tier, like ``CascadeClassifier``."""

    escalated: int = 0

    def predict(self, text: str) -> Any:
        self.escalated += 1
        return super().predict(text)


def test_second_tier_escalations_are_counted(
    app: Flask, comment_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moderation.metrics import TIER2_ESCALATED

    clf = EscalatingClassifier()
    monkeypatch.setattr(tasks, "classifier", lambda: clf)
    before = TIER2_ESCALATED._value.get()
    _run(app, comment_id)
    assert clf.escalated == 1
    assert TIER2_ESCALATED._value.get() == before + 1
