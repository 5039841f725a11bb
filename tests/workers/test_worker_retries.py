"""A real Celery worker process retries a transient failure itself (autoretry_for with
exponential backoff and jitter) and the comment is moderated once the database is back."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from moderation import create_app
from moderation.store import Comment, Verdict
from tests.support.factories import auth, comment_body, make_key, make_site
from tests.support.postgres import PostgresServer, admin_execute
from tests.support.worker import start_worker, stop_worker, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.timeout(150)]

RETRY_LINE = re.compile(r"moderation\.moderate_comment\[[^\]]+\] retry: Retry in ([\d.]+)s: (\w+)")


def test_a_real_worker_retries_a_database_outage_with_backoff_then_moderates(
    postgres_server: PostgresServer, redis_url: str, tmp_path: Path
) -> None:
    name = f"worker_retry_{os.getpid()}"
    admin_execute(postgres_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin_execute(postgres_server, f"CREATE DATABASE {name} TEMPLATE moderation_template")
    database_url = postgres_server.database_url(name)
    queue_url = redis_url.rsplit("/", 1)[0] + "/3"  # a Redis database of its own
    redis.Redis.from_url(queue_url).flushdb()
    app = create_app({"database_url": database_url, "redis_url": queue_url, "env": "test",
                      "secret_key": "test-secret-key-0123456789"})
    token = make_key(app, "site", make_site(app))
    response = app.test_client().post("/v1/comments", headers=auth(token), json=comment_body(
        comment="The council should publish the audit before the vote."))
    assert response.status_code == 202
    comment_id = response.get_json()["id"]  # queued; no worker runs yet
    app.extensions["db"].dispose()

    # The database refuses every connection: the worker's first attempts fail transiently.
    admin_execute(postgres_server, f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
    admin_execute(postgres_server, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                   f"WHERE datname = '{name}'")
    log_path = tmp_path / "worker.log"
    worker = start_worker(database_url, queue_url, log_path)
    try:
        def log() -> str:
            return log_path.read_text(errors="replace") if log_path.exists() else ""

        assert wait_until(lambda: RETRY_LINE.search(log()) is not None, timeout=90), log()[-3000:]
        admin_execute(postgres_server, f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")

        def moderated() -> bool:
            with app.extensions["db"].session() as session:
                comment = session.get(Comment, comment_id)
                return comment is not None and comment.status != "pending"

        assert wait_until(moderated, timeout=60), log()[-3000:]
    finally:
        admin_execute(postgres_server, f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        stop_worker(worker)
    retries = [(float(s), exc) for s, exc in RETRY_LINE.findall(log())]
    # Celery's own backoff: attempt k waits a jittered 0..2**k seconds, for an OperationalError
    assert retries and all(exc == "OperationalError" for _, exc in retries)
    assert all(0 <= wait <= 2 ** k for k, (wait, _) in enumerate(retries))
    with app.extensions["db"].session() as session:
        verdicts = session.scalar(select(func.count()).select_from(Verdict)
                                  .where(Verdict.comment_id == comment_id))
        assert verdicts == 1
        assert session.get(Comment, comment_id).status == "approved"  # type: ignore[union-attr]
    app.extensions["db"].dispose()
    admin_execute(postgres_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
