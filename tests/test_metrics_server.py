"""The metrics port a Celery worker serves (moderation.metrics.serve_metrics)."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from moderation.embedded_redis import free_port
from moderation.metrics import VERDICTS, bearer_matches, serve_metrics


def _get(port: int, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_serves_this_process_metrics_and_asks_for_the_token_when_set() -> None:
    VERDICTS.labels("approved").inc()
    open_port, guarded_port = free_port(), free_port()
    servers = [serve_metrics(open_port), serve_metrics(guarded_port, token="t0ken-value")]
    try:
        status, body = _get(open_port)
        assert status == 200 and 'moderation_verdicts_total{decision="approved"}' in body
        assert _get(guarded_port)[0] == 401
        assert _get(guarded_port, "wrong")[0] == 401
        status, body = _get(guarded_port, "t0ken-value")
        assert status == 200 and "moderation_verdicts_total" in body
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


@pytest.mark.parametrize(("header", "expected"), [
    ("Bearer abc", True), ("bearer abc", True), ("Bearer  abc ", True), ("Bearer abd", False),
    ("Basic abc", False), ("", False), (None, False), ("abc", False),
])
def test_bearer_matches(header: str | None, expected: bool) -> None:
    assert bearer_matches(header, "abc") is expected
