"""Start and stop the processes a load run needs: Redis, PostgreSQL, gunicorn, Celery.

Every child gets a process group of its own, so teardown reaches gunicorn's and
Celery's forked children too, and :class:`Processes` stops them all on exit,
including after Ctrl-C or an error.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from moderation.embedded_redis import free_port, start_redis

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Processes:
    """Children started by the benchmark, stopped in reverse order."""

    workdir: Path
    children: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)
    logs: list[IO[bytes]] = field(default_factory=list)

    def spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{name}.log").open("ab")
        self.logs.append(log)
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.children.append((name, process))
        return process

    def adopt(self, name: str, process: subprocess.Popen[bytes]) -> None:
        self.children.append((name, process))

    def stop(self, name: str, timeout: float = 20) -> None:
        for child_name, process in list(self.children):
            if child_name == name:
                _stop_group(process, timeout)
                self.children.remove((child_name, process))

    def stop_all(self) -> None:
        for _name, process in reversed(self.children):
            _stop_group(process, timeout=20)
        self.children.clear()
        for log in self.logs:
            log.close()
        self.logs.clear()

    def dead(self) -> list[str]:
        return [name for name, process in self.children if process.poll() is not None]


def _stop_group(process: subprocess.Popen[bytes], timeout: float) -> None:
    if process.poll() is not None:
        return
    try:
        pgid = os.getpgid(process.pid)
    except ProcessLookupError:
        return
    own_group = pgid == process.pid
    try:
        if own_group:
            os.killpg(pgid, signal.SIGTERM)
        else:
            process.terminate()
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    if own_group:
        # Whatever is left in the group (pool children after a slow warm shutdown).
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    elif process.poll() is None:
        process.kill()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def redis(processes: Processes) -> str:
    port = free_port()
    processes.adopt("redis", start_redis(port, processes.workdir / "redis"))
    return f"redis://127.0.0.1:{port}/0"


def gunicorn(processes: Processes, name: str, app: str, port: int, workers: int,
             env: dict[str, str]) -> None:
    processes.spawn(name, [
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "sync",
        "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "10", "--backlog", "2048", app,
    ], env)


def celery_worker(processes: Processes, name: str, app: str, concurrency: int, loglevel: str,
                  env: dict[str, str]) -> None:
    processes.spawn(name, [
        sys.executable, "-m", "celery", "-A", app, "worker", "--pool", "prefork",
        "--concurrency", str(concurrency), "--loglevel", loglevel,
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ], env)


def wait_http(url: str, processes: Processes, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if processes.dead():
            raise RuntimeError(f"{', '.join(processes.dead())} exited during start-up; "
                               f"see the logs in {processes.workdir}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"nothing answered 200 at {url} within {timeout:.0f}s")

