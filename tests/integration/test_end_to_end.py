"""Intake to stored verdict through a real Redis and a real Celery worker process,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import importlib.util
import json
import os
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
ROOT = Path(__file__).resolve().parents[2]


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


@pytest.mark.skipif(
    os.environ.get("MODERATION_TEST_TIER2") != "required"
    and importlib.util.find_spec("sentence_transformers") is None,
    reason="second-tier extra not installed (pip install -r requirements-tier2.txt)",
)
def test_worker_runs_the_second_tier_when_configured(database_url: str, queue_redis_url: str,
                                                     tmp_path: Path) -> None:
    """MODERATION_TIER2=latest: a real worker loads the encoder and the cascade's verdicts
    carry both model versions."""
    app = create_app({"database_url": database_url, "redis_url": queue_redis_url,
                      "env": "test", "secret_key": "test-secret-key-0123456789"})
    log = tmp_path / "worker.log"
    worker = start_worker(database_url, queue_redis_url, log, MODERATION_TIER2="latest")
    try:
        client: FlaskClient = app.test_client()
        token = make_key(app, "site", make_site(app))
        texts = ["Thank you for the careful reporting on the water supply.",
                 "Those people are vermin and should be thrown out of this country."]
        ids = []
        for text in texts:
            response = client.post("/v1/comments", json=comment_body(comment=text), headers=auth(token))
            assert response.status_code == 202, response.get_data(as_text=True)
            ids.append(response.get_json()["id"])
        assert wait_until(lambda: _moderated(app, ids), timeout=120), log.read_text()[-3000:]
        verdicts = [client.get(f"/v1/comments/{i}", headers=auth(token)).get_json()["verdict"]
                    for i in ids]
    finally:
        stop_worker(worker)
        app.extensions["db"].dispose()
    tier2 = (ROOT / "models" / "TIER2_LATEST").read_text().strip().removesuffix(".npz")
    assert all(v["model_version"].endswith("+" + tier2) for v in verdicts), verdicts
    assert verdicts[0]["decision"] == "approved"
    assert verdicts[1]["decision"] in {"rejected", "needs_review"}
    assert "Traceback" not in log.read_text(errors="replace")
