"""The cooldown that keeps a hung Redis from costing a time budget on every request."""

from __future__ import annotations

from moderation.cooldown import Cooldown


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_trip_skips_for_the_cooldown_then_tries_again() -> None:
    clock = Clock()
    cooldown = Cooldown(1.5, clock)
    assert not cooldown.active
    cooldown.trip()
    assert cooldown.active
    clock.now += 1.4
    assert cooldown.active
    clock.now += 0.2
    assert not cooldown.active


def test_zero_never_skips_and_reset_ends_it() -> None:
    clock = Clock()
    never = Cooldown(0, clock)
    never.trip()
    assert not never.active
    cooldown = Cooldown(5, clock)
    cooldown.trip()
    cooldown.reset()
    assert not cooldown.active
