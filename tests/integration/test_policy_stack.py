"""One policy across the processes: the web process and a real Celery worker (the shipped
model, MODERATION_MAX_COMMENT_LENGTH=5000) enforce the same length limit and the same
thresholds, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from moderation import create_app
from moderation.store import Comment, Verdict
from tests.support.factories import auth, comment_body, make_key, make_site
from tests.support.worker import start_worker, stop_worker, wait_until

pytestmark = pytest.mark.integration

#: Scored by the shipped model between its discriminatory review threshold and the fallback's.
BORDERLINE = "Those immigrants should go back where they came from."
#: Below half of every review threshold but not clearly below: pre-moderation holds it.
NOT_CLEARLY_CLEAN = "Someone should teach him a lesson he won't forget."
CLEAN = "A fair and well-argued editorial; thank you for the figures."


@pytest.fixture
def stack(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[Flask]:
    queue = redis_url.rsplit("/", 1)[0] + "/2"
    redis.Redis.from_url(queue).flushdb()
    app = create_app({"database_url": database_url, "redis_url": queue, "env": "test",
                      "secret_key": "test-secret-key-0123456789", "max_comment_length": 5000})
    log = tmp_path / "worker.log"
    worker = start_worker(database_url, queue, log, MODERATION_MAX_COMMENT_LENGTH="5000")
    yield app
    stop_worker(worker)
    app.extensions["db"].dispose()
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[-4000:]


def _submit(client: FlaskClient, token: str, text: str) -> int:
    response = client.post("/v1/comments", headers=auth(token), json=comment_body(comment=text))
    assert response.status_code == 202, response.get_data(as_text=True)
    comment_id: int = response.get_json()["id"]
    return comment_id


def _verdict(app: Flask, comment_id: int) -> dict[str, Any]:
    def done() -> bool:
        with app.extensions["db"].session() as session:
            comment = session.get(Comment, comment_id)
            return comment is not None and comment.status != "pending"

    assert wait_until(done, timeout=60), f"comment {comment_id} was not moderated"
    with app.extensions["db"].session() as session:
        verdict = session.query(Verdict).filter_by(comment_id=comment_id).one()
        return {"decision": verdict.decision, "codes": [r["code"] for r in verdict.reasons],
                "messages": [r["message"] for r in verdict.reasons],
                "policy_version": verdict.policy_version}


def test_the_api_and_the_worker_apply_one_policy(stack: Flask) -> None:
    client = stack.test_client()
    site = make_site(stack)
    token, admin = make_key(stack, "site", site), make_key(stack, "admin")

    # one length limit: 3,000 characters pass both the API and the worker, 5,001 neither
    long_text = " ".join(f"Point {i}: the council should publish the {i}th budget line." for i in range(80))
    long_id = _submit(client, token, long_text[:3000])
    assert client.post("/v1/comments", headers=auth(token),
                       json=comment_body(comment=(long_text * 2)[:5001])).status_code == 422
    assert "too_long" not in _verdict(stack, long_id)["codes"]

    # the thresholds shown are the ones applied: re-saving them keeps the verdict
    first = _verdict(stack, _submit(client, token, BORDERLINE))
    assert first["decision"] == "needs_review" and first["codes"] == ["classifier:discriminatory"]
    assert "review threshold" in first["messages"][0]
    shown = client.get(f"/v1/sites/{site}/policy", headers=auth(admin))
    resaved = client.put(f"/v1/sites/{site}/policy", json=shown.get_json()["policy"],
                         headers={**auth(admin), "If-Match": shown.headers["ETag"]})
    assert resaved.status_code == 200, resaved.get_data(as_text=True)
    again = _verdict(stack, _submit(client, token, BORDERLINE))
    assert again["decision"] == "needs_review" and again["policy_version"] == 2

    # pre-moderation holds what isn't clearly clean, and says so
    assert client.patch(f"/v1/sites/{site}/policy", json={"mode": "pre"},
                        headers=auth(admin)).status_code == 200
    held = _verdict(stack, _submit(client, token, NOT_CLEARLY_CLEAN))
    assert held == {**held, "decision": "needs_review", "codes": ["policy:pre_moderation"]}
    assert _verdict(stack, _submit(client, token, CLEAN))["decision"] == "approved"
