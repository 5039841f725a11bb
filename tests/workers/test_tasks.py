"""The moderation task itself, called in-process: idempotence, poison input, retries.

(The real worker process is exercised by tests/integration and test_worker_retries.py.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from celery.exceptions import Retry
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, OperationalError

from moderation.store import Comment, Verdict
from tests.support.factories import auth, comment_body, make_key, make_site
from tests.support.fake_classifier import FakeClassifier, FakeOutput
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


def _no_retry(**kwargs: Any) -> Retry:
    raise AssertionError(f"a permanent failure was retried: {kwargs}")


def test_a_permanent_failure_marks_the_comment_error_and_reraises(
    app: Flask, comment_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tasks, "classifier", lambda: ExplodingClassifier())
    monkeypatch.setattr(tasks.moderate_comment, "retry", _no_retry)
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


class InvalidatedConnectionClassifier(FakeClassifier):
    def predict(self, text: str) -> Any:
        raise DBAPIError("SELECT 1", {}, Exception("server closed the connection"),
                         connection_invalidated=True)


@pytest.mark.parametrize("flaky", [FlakyDatabaseClassifier, InvalidatedConnectionClassifier])
def test_a_transient_failure_is_retried_by_celery_with_backoff_and_stays_pending(
    app: Flask, comment_id: int, monkeypatch: pytest.MonkeyPatch, flaky: type[FakeClassifier]
) -> None:
    monkeypatch.setattr(tasks, "classifier", lambda: flaky())
    calls: list[dict[str, Any]] = []

    def fake_retry(**kwargs: Any) -> Retry:
        calls.append(kwargs)
        return Retry("retrying")

    monkeypatch.setattr(tasks.moderate_comment, "retry", fake_retry)
    with pytest.raises(Retry):
        _run(app, comment_id)
    # Celery's autoretry: full jitter over 2 ** retries seconds (first attempt: 0-1 s)
    (call,) = calls
    assert 0 <= call["countdown"] <= 1
    assert isinstance(call["exc"], tasks.TRANSIENT_ERRORS)
    assert _comment(app, comment_id).status == "pending"


@pytest.mark.parametrize("task", [tasks.moderate_comment, tasks.retention_run])
def test_retries_are_celerys_own_bounded_and_for_transient_errors_only(task: Any) -> None:
    assert task.acks_late and task.reject_on_worker_lost
    assert task.autoretry_for == tasks.TRANSIENT_ERRORS
    assert task.retry_backoff and task.retry_jitter and task.retry_backoff_max
    assert 0 < task.max_retries <= 5
    for programming_error in (ValueError, KeyError, TypeError):
        assert not issubclass(programming_error, tasks.TRANSIENT_ERRORS)


def test_task_settings_are_explicit() -> None:
    task = tasks.moderate_comment
    assert task.name == "moderation.moderate_comment"
    assert task.max_retries == tasks.MAX_RETRIES
    assert task.retry_backoff_max == tasks.BACKOFF_MAX_SECONDS


@pytest.mark.parametrize("tier, counted", [("tier2", 1), ("fast", 0)])
def test_second_tier_escalations_are_counted_from_each_outputs_tier(
    app: Flask, comment_id: int, monkeypatch: pytest.MonkeyPatch, tier: str, counted: int
) -> None:
    from moderation.metrics import TIER2_ESCALATED

    class TieredClassifier(FakeClassifier):
        """Says which tier scored each comment, like ``CascadeClassifier``; no counters."""

        def predict(self, text: str) -> Any:
            out = super().predict(text)
            return TieredOutput(out.scores, out.spans, tier)

    monkeypatch.setattr(tasks, "classifier", lambda: TieredClassifier())
    before = TIER2_ESCALATED._value.get()
    _run(app, comment_id)
    assert TIER2_ESCALATED._value.get() == before + counted


@dataclass(frozen=True)
class TieredOutput(FakeOutput):
    tier: str = "fast"
