"""An edit through a real Redis and a real Celery worker process: the new revision is
moderated, the old revision's verdict stays in the history, the site's change feed
reports it; a withdrawal is never moderated. On SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from moderation import create_app
from moderation.queue import MODERATE_TASK
from tests.support.factories import auth, comment_body, make_key, make_site
from tests.support.worker import start_worker, stop_worker, wait_until

pytestmark = pytest.mark.integration

CLEAN = "A fair and well-argued editorial; thank you for the figures."
ABUSIVE = "You are a pathetic idiot and a disgusting moron, shut up you stupid loser."


@pytest.fixture
def stack(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[Flask]:
    queue_url = redis_url.rsplit("/", 1)[0] + "/2"  # a Redis database of its own, emptied
    redis.Redis.from_url(queue_url).flushdb()
    app = create_app({"database_url": database_url, "redis_url": queue_url,
                      "env": "test", "secret_key": "test-secret-key-0123456789"})
    log = tmp_path / "worker.log"
    worker = start_worker(database_url, queue_url, log)
    yield app
    stop_worker(worker)
    app.extensions["db"].dispose()
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[-4000:]


def _get(client: FlaskClient, token: str, comment_id: int) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/v1/comments/{comment_id}", headers=auth(token)).get_json()
    return body


def test_an_edit_is_moderated_by_the_worker_and_the_old_verdict_is_kept(stack: Flask) -> None:
    client = stack.test_client()
    site = make_key(stack, "site", make_site(stack))
    moderator = make_key(stack, "moderator")
    created = client.post("/v1/comments", json=comment_body(comment=CLEAN, external_id="e-1"),
                          headers=auth(site))
    assert created.status_code == 202, created.get_data(as_text=True)
    comment_id = created.get_json()["id"]
    assert wait_until(lambda: _get(client, site, comment_id)["status"] != "pending", timeout=60)
    assert _get(client, site, comment_id)["status"] == "approved"
    cursor = client.get("/v1/comments", headers=auth(site)).get_json()["next_cursor"]

    edited = client.put(f"/v1/comments/{comment_id}", json={"comment": ABUSIVE},
                        headers=auth(site))
    assert edited.status_code == 202, edited.get_data(as_text=True)
    assert wait_until(lambda: _get(client, site, comment_id)["status"] != "pending", timeout=60)

    now = _get(client, site, comment_id)
    assert now["status"] in {"rejected", "needs_review"}
    assert (now["revision"], now["decided_by"], now["verdict"]["revision"]) == (2, "system", 2)
    detail = _get(client, moderator, comment_id)
    history = [(r["revision"], [v["decision"] for v in r["verdicts"]]) for r in detail["revisions"]]
    assert history == [(1, ["approved"]), (2, [now["status"]])]

    feed = client.get("/v1/comments", query_string={"cursor": cursor}, headers=auth(site)).get_json()
    assert [(c["id"], c["status"], c["revision"]) for c in feed["items"]] == [
        (comment_id, now["status"], 2)]

    # A retry of the original POST is still a replay; the new text under the same
    # external_id is a conflict, not a silent replay.
    retry = client.post("/v1/comments", json=comment_body(comment=CLEAN, external_id="e-1"),
                        headers=auth(site))
    assert retry.status_code == 200 and retry.get_json()["id"] == comment_id
    conflict = client.post("/v1/comments", json=comment_body(comment=ABUSIVE, external_id="e-1"),
                           headers=auth(site))
    assert conflict.status_code == 409


def test_a_withdrawn_comment_is_left_alone_by_the_worker(stack: Flask, database_url: str) -> None:
    client = stack.test_client()
    site = make_key(stack, "site", make_site(stack))
    # Submitted while the broker was unreachable, so it is still pending when withdrawn.
    offline = create_app({"database_url": database_url, "redis_url": "redis://127.0.0.1:1/0",
                          "env": "test", "secret_key": "test-secret-key-0123456789"})
    created = offline.test_client().post("/v1/comments", json=comment_body(comment=CLEAN),
                                         headers=auth(site))
    offline.extensions["db"].dispose()
    assert created.status_code == 202
    comment_id = created.get_json()["id"]
    assert client.delete(f"/v1/comments/{comment_id}", headers=auth(site)).status_code == 200

    # Its task reaches the worker anyway (a late redelivery), then a control comment's.
    stack.extensions["celery"].send_task(MODERATE_TASK, args=[comment_id],
                                         kwargs={"request_id": None})
    control = client.post("/v1/comments", json=comment_body(comment=CLEAN), headers=auth(site))
    control_id = control.get_json()["id"]
    assert wait_until(lambda: _get(client, site, control_id)["status"] != "pending", timeout=60)
    body = _get(client, site, comment_id)
    assert (body["status"], body["verdict"], body["decided_by"]) == ("withdrawn", None, None)
