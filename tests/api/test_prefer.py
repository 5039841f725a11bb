"""Parsing ``Prefer`` (RFC 7240) for ``wait``: robust to anything a client sends."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.api.prefer import MAX_WAIT_SECONDS, preferences, requested_wait


@pytest.mark.parametrize(("headers", "seconds"), [
    (["wait=5"], 5),
    (["wait=0"], 0),
    (["wait=0005"], 5),
    (["WAIT=3"], 3),
    (["wait = 3"], 3),  # BWS around "="
    (['wait="7"'], 7),  # a word may be a quoted-string
    (["respond-async, wait=5"], 5),
    (["wait=4; foo=bar; baz"], 4),  # parameters are dropped
    (["handling=lenient", "wait=2"], 2),  # several Prefer headers
    (['x="a,wait=3", wait=4'], 4),  # a comma inside a quoted string separates nothing
    (["wait=11"], MAX_WAIT_SECONDS),
    (["wait=" + "9" * 5000], MAX_WAIT_SECONDS),
    (["wait=2, wait=9"], 2),  # only the first occurrence counts
    ([], None),
    ([""], None),
    (["respond-async"], None),
    (["wait"], None),
    (["wait="], None),
    (["wait=abc"], None),
    (["wait=-1"], None),
    (["wait=+1"], None),
    (["wait=1.5"], None),
    (["wait=1e3"], None),
    (["wait=٣"], None),  # a non-ASCII digit is not delta-seconds
    (["wait=abc, wait=5"], None),  # the first is malformed, and the later one doesn't count
    ([",,, ;;"], None),
])
def test_wait_is_read_per_rfc_7240_and_a_malformed_one_is_ignored(headers: list[str],
                                                                   seconds: int | None) -> None:
    assert requested_wait(headers) == seconds


def test_other_preferences_are_kept_by_name_in_lower_case() -> None:
    assert preferences(['Return=minimal, respond-async; x, handling="strict"']) == {
        "return": "minimal", "respond-async": "", "handling": "strict"}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=60), max_size=4))
def test_any_header_gives_a_wait_in_range_or_none(headers: list[str]) -> None:
    seconds = requested_wait(headers)
    assert seconds is None or 0 <= seconds <= MAX_WAIT_SECONDS


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**30),
       st.lists(st.sampled_from(["respond-async", "return=minimal", 'handling="lenient"', "x;y=1"]),
                max_size=3))
def test_a_valid_wait_among_other_preferences_is_found(seconds: int, others: list[str]) -> None:
    header = ", ".join([*others, f"wait={seconds}"])
    assert requested_wait([header]) == min(seconds, MAX_WAIT_SECONDS)
