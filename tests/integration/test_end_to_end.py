"""Intake to stored verdict through a real Redis and a real Celery worker process,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from moderation import create_app
from moderation.store import Comment, SenderDetails, Verdict
from tests.support.factories import auth, comment_body, make_key, make_site
from tests.support.worker import start_worker, stop_worker, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def queue_redis_url(redis_url: str) -> str:
    """A Redis database of its own, emptied, so no other test's messages reach the worker."""
    url = redis_url.rsplit("/", 1)[0] + "/1"
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def worker_log(tmp_path: Path) -> Path:
    return tmp_path / "worker.log"


@pytest.fixture
def stack(database_url: str, queue_redis_url: str, worker_log: Path) -> Iterator[Flask]:
    app = create_app({"database_url": database_url, "redis_url": queue_redis_url,
                      "env": "test", "secret_key": "test-secret-key-0123456789"})
    worker = start_worker(database_url, queue_redis_url, worker_log)
    yield app
    stop_worker(worker)
    app.extensions["db"].dispose()
    log = worker_log.read_text(errors="replace")
    assert "Traceback" not in log, log[-4000:]


def _moderated(app: Flask, ids: list[int]) -> bool:
    with app.extensions["db"].session() as session:
        return all(session.get(Comment, i).status != "pending" for i in ids)  # type: ignore[union-attr]


def test_comments_reach_stored_verdicts_with_the_sender_ip(stack: Flask, worker_log: Path) -> None:
    client: FlaskClient = stack.test_client()
    token = make_key(stack, "site", make_site(stack))
    posts = {
        "clean": comment_body(comment="A fair and well-argued editorial; thank you for the figures."),
        "abusive": comment_body(
            comment="You are a pathetic idiot and a disgusting moron, shut up you stupid loser.",
            sender={"ip": "2001:db8::42", "user_agent": "test"}),
        "pii": comment_body(comment="Call me on +91 98765 43210 or mail me at reader@example.org"),
    }
    ids: dict[str, int] = {}
    for label, body in posts.items():
        response = client.post("/v1/comments", json=body,
                               headers={**auth(token), "X-Request-ID": f"trace-{label}"})
        assert response.status_code == 202, response.get_data(as_text=True)
        ids[label] = response.get_json()["id"]

    assert wait_until(lambda: _moderated(stack, list(ids.values())), timeout=60), \
        "the worker did not moderate every comment in time"

    verdicts = {label: client.get(f"/v1/comments/{i}", headers=auth(token)).get_json()
                for label, i in ids.items()}
    assert verdicts["clean"]["status"] == "approved"
    assert verdicts["clean"]["verdict"]["decision"] == "approved"

    abusive = verdicts["abusive"]["verdict"]
    assert abusive["decision"] in {"rejected", "needs_review"}
    assert abusive["categories"]["abusive"] >= 0.5
    assert any(r["code"] == "classifier:abusive" and r["spans"] for r in abusive["reasons"])

    pii = verdicts["pii"]["verdict"]
    assert pii["decision"] == "rejected"
    codes = {r["code"] for r in pii["reasons"]}
    assert {"personal_information:phone_number", "personal_information:email"} <= codes
    assert all(set(v["verdict"]["categories"]) >= {
        "toxicity", "abusive", "obscene", "threat", "discriminatory", "defamatory",
        "personal_information", "spam"} for v in verdicts.values())

    with stack.extensions["db"].session() as session:
        for label, comment_id in ids.items():
            assert session.query(Verdict).filter_by(comment_id=comment_id).count() == 1
            sender = session.get(SenderDetails, comment_id)
            assert sender is not None
            assert sender.ip == posts[label]["sender"]["ip"]

    # The request id given at intake follows each comment into the worker's JSON logs.
    logged = [json.loads(line) for line in worker_log.read_text().splitlines()
              if line.startswith("{")]
    traced = {entry.get("request_id") for entry in logged
              if entry.get("logger") == "workers.tasks"}
    assert {"trace-clean", "trace-abusive", "trace-pii"} <= traced
