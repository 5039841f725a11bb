"""Webhooks through the real stack: intake → a real Celery worker (prefork) on real
Redis → verdict → the outbox → delivery to a real local receiver that verifies each
signature; on SQLite and PostgreSQL. Includes kill -9 of the worker mid-burst."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from moderation import create_app
from moderation.embedded_redis import free_port, start_redis
from tests.support.factories import auth, comment_body, make_key, make_site
from tests.support.webhook_receiver import Receiver, receiving
from tests.support.worker import kill_worker_group, start_worker, stop_worker, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

LOOPBACK = "127.0.0.0/8,::1/128"
#: Fast retries and sweeps, short timeouts, small batches (so a kill leaves leases behind).
WORKER_ENV = {
    "MODERATION_WEBHOOK_ALLOWED_NETWORKS": LOOPBACK,
    "MODERATION_WEBHOOK_RETRY_BASE_SECONDS": "0.3",
    "MODERATION_WEBHOOK_RETRY_MAX_DELAY_SECONDS": "1",
    "MODERATION_WEBHOOK_SWEEP_INTERVAL_SECONDS": "1",
    "MODERATION_WEBHOOK_TIMEOUT_SECONDS": "2",
    "MODERATION_WEBHOOK_CONNECT_TIMEOUT_SECONDS": "1",
    "MODERATION_WEBHOOK_BATCH": "2",
    "MODERATION_SWEEPER_MIN_AGE_SECONDS": "2",
    "MODERATION_SWEEPER_INTERVAL_SECONDS": "1",
}


@pytest.fixture
def own_redis_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    process = start_redis(port, tmp_path / "redis")
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


def make_app(database_url: str, redis_url: str) -> Flask:
    return create_app({"database_url": database_url, "redis_url": redis_url, "env": "test",
                       "secret_key": "test-secret-key-0123456789", "webhook_allowed_networks": LOOPBACK})


def setup_endpoint(app: Flask, receiver: Receiver, events: list[str]) -> tuple[str, str, int]:
    """An admin key, a site key and the endpoint (its secret given to the receiver)."""
    admin = make_key(app, "admin")
    site_id = make_site(app)
    response = app.test_client().post(f"/v1/sites/{site_id}/webhooks", headers=auth(admin),
                                      json={"url": receiver.url, "event_types": events})
    assert response.status_code == 201, response.get_data(as_text=True)
    receiver.secrets.append(response.get_json()["secret"])
    return admin, make_key(app, "site", site_id), response.get_json()["id"]


def post_comments(app: Flask, token: str, n: int) -> list[int]:
    client = app.test_client()
    ids = []
    for i in range(n):
        response = client.post("/v1/comments", headers=auth(token), json=comment_body(
            comment=f"Comment {i}: the council should publish the audit of the roads budget."))
        assert response.status_code == 202, response.get_data(as_text=True)
        ids.append(response.get_json()["id"])
    return ids


def delivered_ids(receiver: Receiver, event_type: str) -> set[int]:
    return {p["data"]["comment_id"] for p in receiver.accepted() if p["type"] == event_type}


def test_a_moderated_and_then_decided_comment_reaches_the_receiver_signed_and_in_order(
    database_url: str, own_redis_url: str, tmp_path: Path
) -> None:
    app = make_app(database_url, own_redis_url)
    with receiving(plan=[500, 500]) as receiver:  # the first event is refused twice
        _admin, token, _endpoint = setup_endpoint(app, receiver, ["comment.moderated", "comment.decided"])
        worker = start_worker(database_url, own_redis_url, tmp_path / "w.log", beat=True, **WORKER_ENV)
        try:
            [comment_id] = post_comments(app, token, 1)
            # the verdict's event is being refused; a moderator decides meanwhile
            assert wait_until(lambda: len(receiver.received) >= 1, timeout=60), (
                (tmp_path / "w.log").read_text()[-3000:])
            decided = app.test_client().post(
                f"/v1/comments/{comment_id}/decision", headers=auth(make_key(app, "moderator")),
                json={"decision": "rejected", "reason": "test", "override": True})
            assert decided.status_code == 200, decided.get_data(as_text=True)
            assert wait_until(lambda: len(receiver.accepted()) == 2, timeout=90), (
                (tmp_path / "w.log").read_text()[-3000:])
        finally:
            stop_worker(worker)
    answered = [(r.payload["type"], r.answered, r.verified) for r in receiver.received]
    types = [t for t, _a, _v in answered]
    assert all(v for _t, _a, v in answered)
    # the decision, made while the verdict's event was being refused, waited for it
    assert answered[:3] == [("comment.moderated", 500, True), ("comment.moderated", 500, True),
                            ("comment.moderated", 200, True)]
    assert types[3:] == ["comment.decided"]
    accepted = receiver.accepted()
    assert [p["type"] for p in accepted] == ["comment.moderated", "comment.decided"]
    assert accepted[1]["data"]["decided_by"].startswith("key:")


def test_kill_9_during_a_burst_of_deliveries_loses_no_event(
    database_url: str, own_redis_url: str, tmp_path: Path
) -> None:
    app = make_app(database_url, own_redis_url)
    with receiving() as receiver:
        receiver.delay = 0.15  # a busy receiver: deliveries are in flight when the kill comes
        _admin, token, _endpoint = setup_endpoint(app, receiver, ["comment.moderated"])
        first = start_worker(database_url, own_redis_url, tmp_path / "w1.log", concurrency=2, **WORKER_ENV)
        ids = post_comments(app, token, 30)
        assert wait_until(lambda: len(receiver.received) >= 3, timeout=60), (
            (tmp_path / "w1.log").read_text()[-3000:])
        kill_worker_group(first)
        before_restart = delivered_ids(receiver, "comment.moderated")
        second = start_worker(database_url, own_redis_url, tmp_path / "w2.log", concurrency=2, beat=True,
                              **WORKER_ENV)
        try:
            everything = lambda: delivered_ids(receiver, "comment.moderated") == set(ids)  # noqa: E731
            assert wait_until(everything, timeout=120), (
                sorted(set(ids) - delivered_ids(receiver, "comment.moderated")),
                (tmp_path / "w2.log").read_text()[-3000:])
        finally:
            stop_worker(second)
    assert len(before_restart) < len(ids)  # the kill really interrupted the burst
    counts: dict[Any, int] = {}
    for payload in receiver.accepted():
        counts[payload["id"]] = counts.get(payload["id"], 0) + 1
    assert len(counts) == len(ids)  # one event per comment, each delivered at least once
