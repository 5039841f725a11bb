"""An open-loop HTTP load generator: paced requests from a few threads.

Each thread owns one ``http.client`` connection (kept alive when the server allows it;
gunicorn's sync workers close after every response, and http.client reconnects).
Request *i* is due at ``start + i / rate``; a thread takes the next index, sleeps
until it is due and sends it. With ``rate == 0`` every thread sends back to back
(closed loop), which is the saturation mode. Bodies are encoded before the clock
starts, so the generator does little more than socket I/O.

Latency is measured from the actual send; how late sends were against their schedule
is reported separately (``lag``), so a slow generator is visible rather than hidden.
"""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    sent_wall: list[float]  # time.time() at send, per request (0 when never sent)
    latency: list[float]  # seconds, send to full response
    lag: list[float]  # seconds the send was late against its schedule (rate > 0)
    status: list[int]  # HTTP status, 0 for a connection error, -1 when never sent
    item_id: list[int | None]  # the id the server answered with (202 only)
    started_wall: float
    finished_wall: float
    #: "503 service_unavailable", "connection RemoteDisconnected", ... → count
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def sent(self) -> int:
        return sum(1 for s in self.status if s != -1)


def run_load(
    port: int,
    path: str,
    headers: dict[str, str],
    bodies: list[bytes],
    *,
    rate: float,
    concurrency: int,
    deadline: float,
) -> LoadResult:
    """Send every body once (or until ``deadline``, a ``time.monotonic()`` value)."""
    n = len(bodies)
    result = LoadResult([0.0] * n, [0.0] * n, [0.0] * n, [-1] * n, [None] * n, 0.0, 0.0)
    counter = itertools.count()
    errors_lock = threading.Lock()
    start = time.monotonic() + 0.05
    result.started_wall = time.time() + 0.05

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            while True:
                i = next(counter)  # atomic under the GIL
                if i >= n:
                    return
                due = start + i / rate if rate > 0 else time.monotonic()
                now = time.monotonic()
                if due > now:
                    time.sleep(due - now)
                if time.monotonic() > deadline:
                    return
                result.lag[i] = max(0.0, time.monotonic() - due) if rate > 0 else 0.0
                result.sent_wall[i] = time.time()
                began = time.perf_counter()
                try:
                    conn.request("POST", path, body=bodies[i], headers=headers)
                    response = conn.getresponse()
                    payload = response.read()
                    result.latency[i] = time.perf_counter() - began
                    result.status[i] = response.status
                    if response.status == 202:
                        result.item_id[i] = int(json.loads(payload)["id"])
                    elif response.status >= 400:
                        kind = f"{response.status} {_error_code(payload)}"
                        with errors_lock:
                            result.errors[kind] += 1
                    if response.will_close:
                        conn.close()
                except (OSError, http.client.HTTPException) as exc:
                    result.latency[i] = time.perf_counter() - began
                    result.status[i] = 0
                    with errors_lock:
                        result.errors[f"connection {type(exc).__name__}"] += 1
                    conn.close()
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        # Bounded: a request times out after 30 s, and no request starts after the deadline.
        thread.join(timeout=max(0.0, deadline - time.monotonic()) + 35)
    result.finished_wall = time.time()
    return result


def _error_code(payload: bytes) -> str:
    """The machine-readable code of the service's JSON error body, if there is one."""
    try:
        return str(json.loads(payload)["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return "(no JSON error body)"
