"""A failed enqueue is one log line, not a traceback per request, and is counted."""

from __future__ import annotations

import logging

import pytest

from moderation.metrics import ENQUEUE_FAILURES
from moderation.services.intake import EnqueueSkipped, try_enqueue


def _failures() -> float:
    return ENQUEUE_FAILURES._value.get()  # prometheus-client's counter value


def test_a_successful_enqueue_returns_true() -> None:
    calls: list[tuple[int, str | None]] = []
    assert try_enqueue(lambda cid, rid: calls.append((cid, rid)), 7, "req-1") is True
    assert calls == [(7, "req-1")]


def test_a_broker_error_is_one_warning_line_without_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    def down(comment_id: int, request_id: str | None) -> None:
        raise ConnectionError("Timeout reading from socket")

    before = _failures()
    with caplog.at_level(logging.WARNING, logger="moderation.services.intake"):
        assert try_enqueue(down, 8, None) is False
    [record] = caplog.records
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "ConnectionError: Timeout reading from socket" in record.getMessage()
    assert "comment 8 stays pending" in record.getMessage()
    assert _failures() == before + 1


def test_a_skip_during_the_cooldown_is_not_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    def cooling(comment_id: int, request_id: str | None) -> None:
        raise EnqueueSkipped("left to the sweeper")

    before = _failures()
    with caplog.at_level(logging.INFO, logger="moderation.services.intake"):
        assert try_enqueue(cooling, 9, None, what="edited comment") is False
    assert caplog.records == []
    assert _failures() == before + 1
