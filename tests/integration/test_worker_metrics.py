"""A real Celery worker (prefork) started with ``-I moderation.worker_metrics`` serves its
pool processes' metrics, summed through PROMETHEUS_MULTIPROC_DIR, on its own port.

That is what docker-compose's worker does: its metrics live in its own container, so
the web's /metrics can't see them, and Prometheus scrapes the worker directly.
"""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis
from flask import Flask

from moderation import create_app
from moderation.embedded_redis import free_port
from tests.support.factories import auth, comment_body, make_key, make_site
from tests.support.worker import ROOT, stop_worker, wait_until, worker_env

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

TOKEN = "worker-scrape-token-0123456789"


def scrape(port: int, token: str | None = TOKEN) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""
    except OSError:
        return 0, ""


def samples(text: str, metric: str) -> float:
    """The sum of a labelled metric's samples in a scrape."""
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(metric + "{"))


def settled(text: str) -> bool:
    # A task counts its verdicts before it observes its own run time (in its ``finally``,
    # after the notifier), so a scrape between the two sees the verdicts alone: wait for both.
    return samples(text, "moderation_verdicts_total") >= 4 and samples(
        text, "moderation_task_duration_seconds_count") >= 1


def test_worker_serves_its_pool_metrics_on_its_own_port(
        database_url: str, redis_url: str, tmp_path: Path) -> None:
    queue_url = redis_url.rsplit("/", 1)[0] + "/5"  # a queue of its own in the shared server
    redis.Redis.from_url(queue_url).flushdb()
    app: Flask = create_app({"database_url": database_url, "redis_url": queue_url, "env": "test",
                             "secret_key": "test-secret-key-0123456789"})
    port = free_port()
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = worker_env(database_url, queue_url, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
                     MODERATION_WORKER_METRICS_PORT=str(port), MODERATION_METRICS_TOKEN=TOKEN)
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "workers.worker", "worker", "-I", "moderation.worker_metrics",
         "--pool", "prefork", "--concurrency", "2", "--loglevel", "INFO", "--without-gossip",
         "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert wait_until(lambda: scrape(port)[0] == 200, timeout=60), (tmp_path / "worker.log").read_text()
        token = make_key(app, "site", make_site(app))
        client = app.test_client()
        for i in range(4):
            response = client.post("/v1/comments", headers=auth(token),
                                   json=comment_body(comment=f"Worker metrics comment {i} on the budget."))
            assert response.status_code == 202
        assert wait_until(lambda: settled(scrape(port)[1]), timeout=60), scrape(port)[1][-2000:]
        text = scrape(port)[1]
        assert "moderation_task_duration_seconds_count{" in text
        assert any(metrics_dir.iterdir())  # the pool processes wrote their files there
        assert scrape(port, token=None)[0] == 401  # the metrics token guards this port too
        assert scrape(port, token="wrong")[0] == 401
    finally:
        stop_worker(worker)
        log.close()
        app.extensions["db"].dispose()
