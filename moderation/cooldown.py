"""Stop waiting on a hung dependency for a while, instead of once per request.

A rate-limit check or an enqueue that misses its time budget *trips* the cooldown;
until it expires that process skips the call at once (rate limiting fails open,
the comment is left pending for the sweeper). Each process keeps its own, so a
hung Redis costs every web process one budget per cooldown, not one per request.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Cooldown:
    """Skip a dependency for ``seconds`` after it failed; ``seconds == 0`` never skips."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._until = 0.0

    @property
    def active(self) -> bool:
        return self._clock() < self._until

    def trip(self) -> None:
        if self.seconds > 0:
            self._until = self._clock() + self.seconds

    def reset(self) -> None:
        self._until = 0.0
