"""A real HTTP webhook receiver on loopback (http.server in a thread) that verifies the
Standard Webhooks signature of every request and records what it got.

``plan`` decides each answer in turn (status codes; ``"redirect"``; ``"slow"`` drips
the status line one byte a second; ``"big"``: 200 KB of answer); once it runs out
every request gets ``200``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from moderation.services import webhooks


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool
    answered: int | str
    at: float = field(default_factory=time.monotonic)

    @property
    def payload(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


class Receiver:
    def __init__(self, secrets: list[str] | None = None, plan: list[int | str] | None = None) -> None:
        self.secrets = list(secrets or [])
        self.plan = list(plan or [])
        self.received: list[Received] = []
        self.lock = threading.Lock()
        #: seconds each answer takes (a busy receiver)
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                if receiver.delay:
                    time.sleep(receiver.delay)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.lock:
                    verified = any(webhooks.verify(s, headers, body) for s in receiver.secrets)
                    answer = receiver.plan.pop(0) if receiver.plan else 200
                    receiver.received.append(Received(headers, body, verified, answer))
                if answer == "redirect":
                    self.send_response(307)
                    self.send_header("Location", f"http://127.0.0.1:{receiver.port}/elsewhere")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif answer == "slow":  # the status line, one byte a second
                    for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
                        try:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                        except OSError:
                            return
                        time.sleep(1)
                elif answer == "big":
                    data = b"x" * 200_000
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                else:
                    data = b"ok" if answer == 200 else b"no"
                    self.send_response(int(answer))
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def events(self, *, verified_only: bool = True) -> list[dict[str, Any]]:
        with self.lock:
            return [r.payload for r in self.received if r.verified or not verified_only]

    def accepted(self) -> list[dict[str, Any]]:
        """Payloads that were verified and answered 2xx."""
        with self.lock:
            return [r.payload for r in self.received
                    if r.verified and isinstance(r.answered, int) and 200 <= r.answered < 300]


@contextmanager
def receiving(secrets: list[str] | None = None, plan: list[int | str] | None = None) -> Iterator[Receiver]:
    receiver = Receiver(secrets, plan).start()
    try:
        yield receiver
    finally:
        receiver.stop()
