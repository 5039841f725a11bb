"""Fault tests: every accepted comment gets exactly one verdict despite killed workers,
a restarted Redis, a stopped database and duplicate deliveries. Each is bounded."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from moderation import create_app
from moderation.embedded_redis import free_port, start_redis
from moderation.queue import MODERATE_TASK
from moderation.store import Comment, Verdict
from moderation.store.migrate import upgrade
from tests.support.factories import auth, comment_body, make_key, make_site
from tests.support.postgres import PostgresServer, admin_execute, start_postgres
from tests.support.worker import kill_worker_group, start_worker, stop_worker, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

#: The sweeper re-enqueues anything pending for 2 s, checking every second.
FAST_SWEEPER = {"MODERATION_SWEEPER_MIN_AGE_SECONDS": "2",
                "MODERATION_SWEEPER_INTERVAL_SECONDS": "1"}


def make_app(database_url: str, redis_url: str) -> Flask:
    return create_app({"database_url": database_url, "redis_url": redis_url, "env": "test",
                       "secret_key": "test-secret-key-0123456789"})


def verdict_counts(app: Flask) -> dict[int, int]:
    with app.extensions["db"].session() as session:
        ids = session.scalars(select(Comment.id)).all()
        counts = dict(session.execute(
            select(Verdict.comment_id, func.count()).group_by(Verdict.comment_id)).all())
    return {i: counts.get(i, 0) for i in ids}


def all_moderated_once(app: Flask, expected: int) -> bool:
    counts = verdict_counts(app)
    return len(counts) == expected and all(n >= 1 for n in counts.values())


def post_many(client: FlaskClient, token: str, n: int, prefix: str) -> list[int]:
    statuses = []
    for i in range(n):
        response = client.post("/v1/comments", headers=auth(token), json=comment_body(
            comment=f"{prefix} comment number {i}: the council should publish the audit."))
        assert response.status_code == 202, response.get_data(as_text=True)
        statuses.append(response.get_json()["id"])
    return statuses


class OwnRedis:
    """A Redis server for one test, which the test may stop and start again on its port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process = start_redis(self.port, workdir)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path / "redis")
    yield server
    server.stop()


def test_kill_9_of_a_busy_worker_loses_nothing(
    database_url: str, own_redis: OwnRedis, tmp_path: Path
) -> None:
    redis_url = own_redis.url
    app = make_app(database_url, redis_url)
    token = make_key(app, "site", make_site(app))
    first = start_worker(database_url, redis_url, tmp_path / "w1.log", concurrency=2)
    ids = post_many(app.test_client(), token, 40, "busy")
    # Kill the worker once it is demonstrably working, holding prefetched tasks.
    assert wait_until(lambda: sum(verdict_counts(app).values()) >= 1, timeout=40)
    kill_worker_group(first)
    second = start_worker(database_url, redis_url, tmp_path / "w2.log", concurrency=2,
                          beat=True, **FAST_SWEEPER)
    try:
        assert wait_until(lambda: all_moderated_once(app, len(ids)), timeout=60)
    finally:
        stop_worker(second)
    assert set(verdict_counts(app).values()) == {1}


def test_redis_restart_without_persistence_loses_no_accepted_comment(
    database_url: str, own_redis: OwnRedis, tmp_path: Path
) -> None:
    redis_url = own_redis.url
    app = make_app(database_url, redis_url)
    client = app.test_client()
    token = make_key(app, "site", make_site(app))
    worker = start_worker(database_url, redis_url, tmp_path / "w.log", beat=True, **FAST_SWEEPER)
    try:
        ids = post_many(client, token, 10, "before")
        redis.Redis.from_url(redis_url).shutdown(nosave=True)
        own_redis.process.wait(timeout=10)
        ids += post_many(client, token, 5, "during")  # accepted while Redis is down
        own_redis.process = start_redis(own_redis.port, own_redis.workdir)
        ids += post_many(client, token, 10, "after")
        assert wait_until(lambda: all_moderated_once(app, len(ids)), timeout=60)
    finally:
        stop_worker(worker)
    assert set(verdict_counts(app).values()) == {1}


@pytest.fixture
def private_postgres() -> Iterator[PostgresServer]:
    server = start_postgres()
    admin_execute(server, "CREATE DATABASE outage")
    upgrade(server.database_url("outage"))
    yield server
    server.stop()


def test_database_outage_gives_503_then_everything_is_moderated(
    private_postgres: PostgresServer, redis_url: str, tmp_path: Path
) -> None:
    database_url = private_postgres.database_url("outage")
    queue_url = redis_url.rsplit("/", 1)[0] + "/2"
    redis.Redis.from_url(queue_url).flushdb()
    app = make_app(database_url, queue_url)
    client = app.test_client()
    token = make_key(app, "site", make_site(app))
    worker = start_worker(database_url, queue_url, tmp_path / "w.log", beat=True, **FAST_SWEEPER)
    try:
        accepted = post_many(client, token, 5, "before")
        private_postgres.halt()
        outage = [client.post("/v1/comments", headers=auth(token), json=comment_body())
                  for _ in range(5)]
        assert [r.status_code for r in outage] == [503] * 5
        assert all(r.headers.get("Retry-After") for r in outage)
        assert outage[0].get_json()["error"]["code"] == "service_unavailable"
        assert client.get("/readyz").status_code == 503
        private_postgres.resume()
        accepted += post_many(client, token, 5, "after")
        assert wait_until(lambda: all_moderated_once(app, len(accepted)), timeout=60)
    finally:
        stop_worker(worker)
        app.extensions["db"].dispose()
    assert set(verdict_counts(app).values()) == {1}


def test_the_same_task_delivered_twice_makes_one_verdict(
    database_url: str, own_redis: OwnRedis, tmp_path: Path
) -> None:
    redis_url = own_redis.url
    app = make_app(database_url, redis_url)
    token = make_key(app, "site", make_site(app))
    ids = post_many(app.test_client(), token, 3, "dup")
    celery = app.extensions["celery"]
    for comment_id in ids:  # each is now queued three times
        celery.send_task(MODERATE_TASK, args=[comment_id])
        celery.send_task(MODERATE_TASK, args=[comment_id])
    worker = start_worker(database_url, redis_url, tmp_path / "w.log", concurrency=2)
    try:
        assert wait_until(lambda: all_moderated_once(app, len(ids)), timeout=40)
        threading.Event().wait(1.5)  # let the duplicates run too
    finally:
        stop_worker(worker)
    assert set(verdict_counts(app).values()) == {1}


def _pool_children(worker_pid: int) -> list[int]:
    """Child pids from /proc (no dependency on procps being installed)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process exited while we looked
        if int(fields[1]) == worker_pid:
            children.append(int(stat.parent.name))
    return children


def test_sigterm_finishes_or_requeues_current_work_without_the_sweeper(
    database_url: str, own_redis: OwnRedis, tmp_path: Path
) -> None:
    """Warm shutdown: active tasks finish, prefetched ones go back to the queue."""
    app = make_app(database_url, own_redis.url)
    token = make_key(app, "site", make_site(app))
    first = start_worker(database_url, own_redis.url, tmp_path / "w1.log", concurrency=2)
    ids = post_many(app.test_client(), token, 30, "term")
    assert wait_until(lambda: sum(verdict_counts(app).values()) >= 1, timeout=40)
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=40) == 0
    second = start_worker(database_url, own_redis.url, tmp_path / "w2.log", concurrency=2)
    try:  # no beat here: every comment must come back through the queue itself
        assert wait_until(lambda: all_moderated_once(app, len(ids)), timeout=40)
    finally:
        stop_worker(second)
    assert set(verdict_counts(app).values()) == {1}


def test_a_killed_pool_process_does_not_lose_its_task(
    database_url: str, own_redis: OwnRedis, tmp_path: Path
) -> None:
    app = make_app(database_url, own_redis.url)
    token = make_key(app, "site", make_site(app))
    worker = start_worker(database_url, own_redis.url, tmp_path / "w.log", concurrency=2)
    try:
        assert wait_until(lambda: len(_pool_children(worker.pid)) == 2, timeout=30)
        ids = post_many(app.test_client(), token, 30, "pool")
        assert wait_until(lambda: sum(verdict_counts(app).values()) >= 1, timeout=40)
        for child in _pool_children(worker.pid):
            os.kill(child, signal.SIGKILL)  # both pool processes, mid-stream
        assert wait_until(lambda: all_moderated_once(app, len(ids)), timeout=40)
    finally:
        stop_worker(worker)
    assert set(verdict_counts(app).values()) == {1}
