"""The settled-comment signal over a real Redis: a publish wakes the waiter at once, a
lost message costs at most a recheck, and without Redis the waiter polls."""

from __future__ import annotations

import threading
import time

import redis

from moderation.embedded_redis import free_port
from moderation.verdict_signal import RECHECK_SECONDS, Notifier, Waiter


def _pair(redis_url: str, space: str) -> tuple[Notifier, Waiter]:
    return Notifier(redis_url, space, 0.5, 30), Waiter(redis_url, space, 0.5, 30)


def _settle_later(notifier: Notifier | None, comment_id: int, after: float,
                  done: threading.Event) -> threading.Thread:
    def run() -> None:
        time.sleep(after)
        done.set()  # "committed"
        if notifier is not None:
            notifier.settled([comment_id])

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_publish_wakes_the_waiter_well_before_a_recheck(redis_url: str) -> None:
    notifier, waiter = _pair(redis_url, "t-wake")
    done = threading.Event()
    checks: list[float] = []

    def check() -> str | None:
        checks.append(time.monotonic())
        return "settled" if done.is_set() else None

    started = time.monotonic()
    thread = _settle_later(notifier, 7, 0.1, done)
    assert waiter.wait(7, check, time.monotonic() + 5) == "settled"
    thread.join()
    elapsed = time.monotonic() - started
    assert elapsed < 0.1 + RECHECK_SECONDS / 2, elapsed
    assert len(checks) == 2  # once after subscribing, once on the message
    assert not waiter.cooldown.active


def test_messages_for_other_comments_and_other_namespaces_do_not_end_the_wait(redis_url: str) -> None:
    notifier, waiter = _pair(redis_url, "t-other")
    other_space = Notifier(redis_url, "t-elsewhere", 0.5, 30)
    done = threading.Event()
    calls = 0

    def check() -> str | None:
        nonlocal calls
        calls += 1
        return "settled" if done.is_set() else None

    def noise() -> None:
        time.sleep(0.05)
        notifier.settled([8])  # another comment
        other_space.settled([9])  # the same id in another deployment
        time.sleep(0.1)
        done.set()
        notifier.settled([9])

    thread = threading.Thread(target=noise)
    thread.start()
    assert waiter.wait(9, check, time.monotonic() + 5) == "settled"
    thread.join()
    assert calls == 2  # the noise woke nobody


def test_the_subscriber_connection_is_reused_between_waits(redis_url: str) -> None:
    notifier, waiter = _pair(redis_url, "t-reuse")
    for comment_id in (1, 2, 3):
        done = threading.Event()
        thread = _settle_later(notifier, comment_id, 0.05, done)
        assert waiter.wait(comment_id, lambda d=done: "ok" if d.is_set() else None,
                           time.monotonic() + 5) == "ok"
        thread.join()
    clients = redis.Redis.from_url(redis_url).client_list(_type="pubsub")
    assert len([c for c in clients if c.get("sub") in ("0", "1")]) <= 1


def test_a_lost_message_costs_one_recheck(redis_url: str) -> None:
    _notifier, waiter = _pair(redis_url, "t-lost")
    done = threading.Event()
    thread = _settle_later(None, 4, 0.05, done)  # committed, never announced
    started = time.monotonic()
    assert waiter.wait(4, lambda: "ok" if done.is_set() else None, time.monotonic() + 5) == "ok"
    thread.join()
    assert RECHECK_SECONDS * 0.9 <= time.monotonic() - started < RECHECK_SECONDS * 2


def test_the_deadline_ends_the_wait_with_none(redis_url: str) -> None:
    _notifier, waiter = _pair(redis_url, "t-deadline")
    started = time.monotonic()
    assert waiter.wait(5, lambda: None, started + 0.3) is None
    assert 0.3 <= time.monotonic() - started < 0.6


def test_without_redis_the_waiter_polls_and_the_notifier_does_not_raise() -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    notifier, waiter = _pair(dead, "t-dead")
    assert notifier.settled([1]) == 0 and notifier.cooldown.active
    done = threading.Event()
    thread = _settle_later(None, 1, 0.1, done)
    started = time.monotonic()
    assert waiter.wait(1, lambda: "ok" if done.is_set() else None, started + 5) == "ok"
    thread.join()
    assert waiter.cooldown.active
    assert time.monotonic() - started < 0.5  # polled, not one long sleep
