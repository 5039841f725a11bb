"""Tell a request that waits (``Prefer: wait``) that its comment is settled, over Redis pub/sub.

The worker *publishes* on the comment's channel after the verdict (or the error) is
committed; the waiting request has *subscribed* before it first looks at the
database, so a verdict committed at any moment is either seen by that first look or
announced afterwards. The message only says "look again": the database stays the
one source of truth, and the waiter re-reads it every :data:`RECHECK_SECONDS` in
case a message was lost (pub/sub keeps nothing for absent listeners).

Neither side may hurt intake or moderation when Redis is down or hung: each socket
operation is bounded by a budget, a failure trips a :class:`~moderation.cooldown.Cooldown`,
publishing then is skipped (waiters still poll) and waiting falls back to polling the
database every :data:`POLL_START_SECONDS`, backing off to :data:`POLL_MAX_SECONDS`.
Nothing here holds a database connection: ``check`` opens and closes its own session.

Channels are namespaced by a hash of the database URL, as the rate-limit counters are, so
deployments (or test databases) sharing one Redis never wake each other's waiters.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from typing import Any, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from moderation.cooldown import Cooldown

log = logging.getLogger(__name__)

T = TypeVar("T")

#: While subscribed, the database is still read this often (a lost message costs this much).
RECHECK_SECONDS = 0.5
#: Without Redis: the first database poll after this long, then ×1.5 up to the cap.
POLL_START_SECONDS = 0.02
POLL_MAX_SECONDS = 0.2
#: Requests one web process lets wait at once; past it a request answers 202 at once.
MAX_WAITERS = 64


def namespace(database_url: str) -> str:
    return hashlib.sha256(database_url.encode()).hexdigest()[:12]


def channel(space: str, comment_id: int) -> str:
    return f"moderation:settled:{space}:{comment_id}"


def _client(redis_url: str, budget: float) -> redis.Redis:
    # each socket operation bounded, no retry loop: a hung Redis costs one budget
    return redis.Redis.from_url(redis_url, socket_connect_timeout=budget, socket_timeout=budget,
                                retry=Retry(NoBackoff(), 0))


class Notifier:
    """The worker's side: announce settled comments (after their transaction committed)."""

    def __init__(self, redis_url: str, space: str, budget: float, cooldown_seconds: float) -> None:
        self.client = _client(redis_url, budget)
        self.space = space
        self.cooldown = Cooldown(cooldown_seconds)
        self.pid = os.getpid()

    def settled(self, comment_ids: Iterable[int]) -> int:
        """Publish one message per comment in one round trip; the number of listeners
        reached (0 when skipped). Never raises: the verdicts are committed either way."""
        ids = list(dict.fromkeys(comment_ids))
        if not ids or self.cooldown.active:
            return 0
        try:
            pipe = self.client.pipeline(transaction=False)
            for comment_id in ids:
                pipe.publish(channel(self.space, comment_id), "settled")
            return sum(int(n) for n in pipe.execute())
        except redis.RedisError as exc:
            self.cooldown.trip()
            log.warning("settled-comment notifications skipped for %.1f s (waiters poll): %s",
                        self.cooldown.seconds, exc)
            return 0


class Waiter:
    """The web side: wait, within a deadline, until ``check`` finds the comment settled."""

    def __init__(self, redis_url: str, space: str, budget: float, cooldown_seconds: float) -> None:
        self.client = _client(redis_url, budget)
        self.space = space
        self.budget = budget
        self.cooldown = Cooldown(cooldown_seconds)
        self.slots = threading.BoundedSemaphore(MAX_WAITERS)
        self.pid = os.getpid()
        # one subscriber connection per thread, kept between requests
        self._local = threading.local()

    def wait(self, comment_id: int, check: Callable[[], T | None], deadline: float) -> T | None:
        """``check()``'s first non-None answer, or None once ``deadline`` (``time.monotonic()``)
        passes. ``check`` runs at least once, right after subscribing; then on every message
        for the comment, and every :data:`RECHECK_SECONDS` regardless."""
        if not self.slots.acquire(blocking=False):
            return check()  # this process has enough waiting requests: answer at once
        name = channel(self.space, comment_id)
        pubsub = self._subscribe(name)
        try:
            pause = POLL_START_SECONDS
            while True:
                found = check()
                remaining = deadline - time.monotonic()
                if found is not None or remaining <= 0:
                    return found
                if pubsub is not None:
                    try:
                        self._next_message(pubsub, name, min(remaining, RECHECK_SECONDS))
                        continue
                    except (redis.RedisError, OSError) as exc:
                        self._lost(exc)
                        pubsub = None
                time.sleep(min(remaining, pause))
                pause = min(pause * 1.5, POLL_MAX_SECONDS)
        finally:
            if pubsub is not None:
                self._unsubscribe(pubsub, name)
            self.slots.release()

    # -- the subscriber connection --------------------------------------------------------

    def _subscribe(self, name: str) -> Any:
        """This thread's PubSub, subscribed to ``name`` and confirmed by the server (so a
        message published from now on reaches it); None when Redis is unavailable."""
        if self.cooldown.active:
            return None
        pubsub = getattr(self._local, "pubsub", None)
        try:
            if pubsub is None:
                pubsub = self._local.pubsub = self.client.pubsub()
            pubsub.subscribe(name)
            deadline = time.monotonic() + self.budget
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise redis.TimeoutError("no subscribe confirmation within the budget")
                message = pubsub.get_message(timeout=remaining)
                if message is not None and message["type"] == "subscribe" \
                        and _text(message["channel"]) == name:
                    return pubsub
        except (redis.RedisError, OSError) as exc:
            self._lost(exc)
            return None

    def _next_message(self, pubsub: Any, name: str, seconds: float) -> None:
        """Return on a message for ``name`` or after ``seconds``; others' are dropped (left
        from a channel this connection no longer listens to)."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            message = pubsub.get_message(timeout=remaining)
            if message is not None and message["type"] == "message" \
                    and _text(message["channel"]) == name:
                return

    def _unsubscribe(self, pubsub: Any, name: str) -> None:
        # not waiting for the confirmation: the next subscribe reads past it
        try:
            pubsub.unsubscribe(name)
        except (redis.RedisError, OSError) as exc:
            self._lost(exc)

    def _lost(self, exc: BaseException) -> None:
        """Redis failed: drop this thread's connection and poll the database for a while."""
        pubsub = getattr(self._local, "pubsub", None)
        self._local.pubsub = None
        if pubsub is not None:
            with suppress(Exception):
                pubsub.close()
        self.cooldown.trip()
        log.warning("waiting by polling the database for %.1f s, Redis unavailable: %s",
                    self.cooldown.seconds, exc)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def per_process(extensions: dict[str, Any], key: str, make: Callable[[], T]) -> T:
    """``extensions[key]``, made again in a forked child (sockets are not shared)."""
    current = extensions.get(key)
    if current is None or current.pid != os.getpid():
        current = extensions[key] = make()
    return current  # type: ignore[no-any-return]


def notifier(extensions: dict[str, Any], settings: Any) -> Notifier:
    return per_process(extensions, "verdict_notifier", lambda: Notifier(
        settings.redis_url, namespace(settings.database_url), settings.enqueue_budget_seconds,
        settings.redis_cooldown_seconds))


def waiter(extensions: dict[str, Any], settings: Any) -> Waiter:
    return per_process(extensions, "verdict_waiter", lambda: Waiter(
        settings.redis_url, namespace(settings.database_url), settings.ratelimit_budget_seconds,
        settings.redis_cooldown_seconds))
