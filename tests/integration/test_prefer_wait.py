"""``Prefer: wait=N`` on intake and edits, through a real Redis and a real Celery worker,
on SQLite and on PostgreSQL: the verdict in the same answer (200), the usual 202 when
the time runs out, and a malformed preference ignored."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from moderation import create_app
from moderation.embedded_redis import free_port
from moderation.store import Comment, Verdict
from moderation.verdict_signal import Waiter, namespace
from tests.support.factories import auth, comment_body, make_key, make_site
from tests.support.worker import start_worker, stop_worker, wait_until

pytestmark = pytest.mark.integration

CLEAN = "A fair and well-argued editorial; thank you for the figures on rural clinics."
ABUSIVE = "You are a pathetic idiot and a disgusting moron, shut up you stupid loser."


@pytest.fixture
def queue_redis_url(redis_url: str) -> str:
    """A Redis database of its own, emptied, so no other test's messages reach the worker."""
    url = redis_url.rsplit("/", 1)[0] + "/1"
    redis.Redis.from_url(url).flushdb()
    return url


def _app(database_url: str, redis_url: str) -> Flask:
    return create_app({"database_url": database_url, "redis_url": redis_url, "env": "test",
                       "secret_key": "test-secret-key-0123456789"})


@pytest.fixture
def stack(database_url: str, queue_redis_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = _app(database_url, queue_redis_url)
    log_path = tmp_path / "worker.log"
    worker = start_worker(database_url, queue_redis_url, log_path)
    yield app
    stop_worker(worker)
    app.extensions["db"].dispose()
    log = log_path.read_text(errors="replace")
    assert "Traceback" not in log, log[-4000:]


@pytest.fixture
def site_token(stack: Flask) -> str:
    token = make_key(stack, "site", make_site(stack))
    # the worker is up once it has moderated a first comment
    warm = stack.test_client().post("/v1/comments", json=comment_body(comment=CLEAN),
                                    headers=auth(token))
    assert wait_until(lambda: _stored_status(stack, warm.get_json()["id"]) != "pending", timeout=60)
    return token


def _stored_status(app: Flask, comment_id: int) -> str:
    with app.extensions["db"].session() as session:
        comment = session.get(Comment, comment_id)
        assert comment is not None
        return comment.status


def _stored_verdict(app: Flask, comment_id: int) -> tuple[str, str]:
    with app.extensions["db"].session() as session:
        comment = session.get(Comment, comment_id)
        verdict = session.query(Verdict).filter_by(comment_id=comment_id).one()
        assert comment is not None
        return comment.status, verdict.decision


def test_a_comment_that_waits_gets_its_verdict_in_the_answer(stack: Flask, site_token: str) -> None:
    client: FlaskClient = stack.test_client()
    for text, expected in ((CLEAN, {"approved"}), (ABUSIVE, {"rejected", "needs_review"})):
        started = time.monotonic()
        response = client.post("/v1/comments", json=comment_body(comment=text),
                               headers={**auth(site_token), "Prefer": "wait=5"})
        elapsed = time.monotonic() - started
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.headers["Preference-Applied"] == "wait=5"
        assert elapsed < 5
        body = response.get_json()
        assert body["status"] in expected
        assert body["verdict"]["decision"] == body["status"]
        assert response.headers["Location"] == body["links"]["self"] == f"/v1/comments/{body['id']}"
        # the answer is the stored verdict, and what GET says
        assert _stored_verdict(stack, body["id"]) == (body["status"], body["verdict"]["decision"])
        shown = client.get(f"/v1/comments/{body['id']}", headers=auth(site_token)).get_json()
        assert shown["verdict"] == body["verdict"]


def test_other_preferences_in_the_header_leave_the_wait_honoured(stack: Flask, site_token: str) -> None:
    client = stack.test_client()
    response = client.post("/v1/comments", json=comment_body(comment=CLEAN), headers=[
        *auth(site_token).items(), ("Prefer", 'respond-async, handling=lenient'),
        ("Prefer", 'return="minimal"; x=1, WAIT = 7 ; y, wait=1')])
    assert response.status_code == 200
    assert response.headers["Preference-Applied"] == "wait=7"  # the first wait counts


MALFORMED = ["wait=abc", "wait=-1", "wait=1.5", "wait=", "wait", "wait=1e3", "respond-async",
             "wait=abc, wait=5", 'wait="x"']


def test_a_malformed_wait_is_ignored(stack: Flask, site_token: str) -> None:
    # with the worker running, an honoured wait would have been answered 200 with the verdict;
    # one worker answers every case (starting one per case cost ~5 s each)
    for prefer in MALFORMED:
        response = stack.test_client().post("/v1/comments", json=comment_body(comment=CLEAN),
                                            headers={**auth(site_token), "Prefer": prefer})
        assert response.status_code == 202, (prefer, response.get_data(as_text=True))
        assert "Preference-Applied" not in response.headers, prefer
        assert response.get_json()["status"] == "pending", prefer


def test_a_retry_that_waits_gets_the_original_with_its_verdict(stack: Flask, site_token: str) -> None:
    client = stack.test_client()
    headers = {**auth(site_token), "Idempotency-Key": "retry-1"}
    first = client.post("/v1/comments", json=comment_body(comment=CLEAN), headers=headers)
    assert first.status_code == 202
    retry = client.post("/v1/comments", json=comment_body(comment=CLEAN),
                        headers={**headers, "Prefer": "wait=5"})
    assert retry.status_code == 200
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.headers["Preference-Applied"] == "wait=5"
    body = retry.get_json()
    assert body["id"] == first.get_json()["id"]
    assert body["verdict"]["decision"] == body["status"] == "approved"
    # a retry without the preference is answered as before: the original, no verdict
    plain = client.post("/v1/comments", json=comment_body(comment=CLEAN), headers=headers)
    assert plain.status_code == 200 and "verdict" not in plain.get_json()


def test_an_edit_that_waits_gets_the_new_revisions_verdict(stack: Flask, site_token: str) -> None:
    client = stack.test_client()
    created = client.post("/v1/comments", json=comment_body(comment=CLEAN),
                          headers={**auth(site_token), "Prefer": "wait=5"})
    assert created.status_code == 200 and created.get_json()["status"] == "approved"
    comment_id = created.get_json()["id"]
    edited = client.put(f"/v1/comments/{comment_id}", json={"comment": ABUSIVE},
                        headers={**auth(site_token), "Prefer": "wait=5"})
    assert edited.status_code == 200, edited.get_data(as_text=True)
    assert edited.headers["Preference-Applied"] == "wait=5"
    body = edited.get_json()
    assert body["revision"] == 2 and body["verdict"]["revision"] == 2
    assert body["status"] in ("rejected", "needs_review") and body["decided_by"] == "system"


def test_without_redis_the_wait_polls_the_database(stack: Flask, site_token: str) -> None:
    # this process's waiter talks to a Redis that isn't there; the worker still publishes
    settings = stack.extensions["settings"]
    stack.extensions["verdict_waiter"] = Waiter(f"redis://127.0.0.1:{free_port()}/0",
                                                namespace(settings.database_url), 0.1, 30)
    response = stack.test_client().post("/v1/comments", json=comment_body(comment=CLEAN),
                                        headers={**auth(site_token), "Prefer": "wait=5"})
    assert response.status_code == 200
    assert response.get_json()["verdict"]["decision"] == "approved"
    assert stack.extensions["verdict_waiter"].cooldown.active  # it did fall back


def test_a_wait_that_runs_out_is_answered_202(database_url: str, queue_redis_url: str) -> None:
    app = _app(database_url, queue_redis_url)  # no worker: the verdict never comes
    try:
        token = make_key(app, "site", make_site(app))
        started = time.monotonic()
        response = app.test_client().post("/v1/comments", json=comment_body(comment=CLEAN),
                                          headers={**auth(token), "Prefer": "wait=1"})
        elapsed = time.monotonic() - started
        assert response.status_code == 202
        assert "Preference-Applied" not in response.headers
        assert response.get_json()["status"] == "pending"
        assert 1 <= elapsed < 3, elapsed  # it waited, and no longer than asked
    finally:
        app.extensions["db"].dispose()
