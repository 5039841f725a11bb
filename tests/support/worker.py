"""Run a real Celery worker process (prefork pool) against the test's database and Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def worker_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        MODERATION_SECRET_KEY="test-secret-key-0123456789",
        MODERATION_ENV="test",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def start_worker(
    database_url: str, redis_url: str, log_path: Path, *, concurrency: int = 1,
    beat: bool = False, **extra: str,
) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "celery", "-A", "workers.worker", "worker", "--pool", "prefork",
            "--concurrency", str(concurrency), "--loglevel", "INFO", "--without-gossip",
            "--without-mingle", "--without-heartbeat"]
    if beat:
        args += ["--beat", "--schedule", str(log_path.parent / "celerybeat-schedule")]
    log = log_path.open("wb")
    # A session of its own, so a test can SIGKILL the whole pool at once.
    return subprocess.Popen(args, cwd=ROOT, env=worker_env(database_url, redis_url, **extra),
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def kill_worker_group(process: subprocess.Popen[bytes]) -> None:
    """kill -9 the worker's main process and every pool process."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def stop_worker(process: subprocess.Popen[bytes], timeout: float = 6) -> None:
    """Warm shutdown (SIGTERM), then SIGKILL whatever is left of the worker's session.

    Six seconds, not more: when SIGTERM lands just as a task finishes, billiard's pool child
    waits up to 30 s (``GUARANTEE_MESSAGE_CONSUMPTION_RETRY_LIMIT``) for a parent that has
    stopped reading its result, and a teardown would pay that each time. The verdict is
    already committed by then, and the unacknowledged message is redelivered and skipped as
    a duplicate (``test_faults.py`` covers both), so nothing a test checks depends on it.

    The embedded ``--beat`` process and pool children can outlive a main process that
    died or was killed, so the whole process group goes once the main process is done.
    """
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group is already gone


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
