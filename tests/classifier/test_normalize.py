"""Normalisation defeats obfuscation, and its offset map points back at the original text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.classifier.normalize import (
    normalize,
    normalize_stages,
    normalize_with_offsets,
    offsets_from_stages,
    to_original,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("You IDIOT", "you idiot"),
        ("f u c k off", "fuck off"),
        ("f.u.c.k off", "fuck off"),
        ("fuuuuuck", "fuuck"),
        ("sh1t and a$$ and @ss", "shit and ass and ass"),
        ("Ѕhіt", "shit"),  # Cyrillic Ѕ and і
        ("𝐟𝐮𝐜𝐤", "fuck"),  # mathematical bold
        ("ｆｕｃｋ", "fuck"),  # fullwidth
        ("f\u200buck", "fuck"),  # zero-width space
        ("naïve cafe\u0301", "naive cafe"),
        ("RT @someone: hello http://t.co/x &amp; bye", "hello bye"),
        ("it's the 2nd of 1000", "it's the 2nd of 100"),
    ],
)
def test_normalize_folds_obfuscation_and_artefacts(text: str, expected: str) -> None:
    assert normalize(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_tracked_form_matches_fast_form_and_offsets_are_valid(text: str) -> None:
    norm, offsets = normalize_with_offsets(text)
    assert norm == normalize(text)
    assert len(offsets) == len(norm)
    assert offsets == sorted(offsets)
    assert all(0 <= o < len(text) for o in offsets)


def _span_of(text: str, word: str) -> str:
    norm, offs = normalize_with_offsets(text)
    i = norm.index(word)
    s, e = to_original(text, offs, i, i + len(word))
    return text[s:e]


def test_offsets_survive_emoji_before_the_word() -> None:
    text = "🙂👍🏽 you are an idiot 😡"
    assert _span_of(text, "idiot") == "idiot"


def test_offsets_cover_combining_marks_and_nfkc_characters() -> None:
    assert _span_of("so cafe\u0301 ok", "cafe") == "cafe\u0301"
    assert _span_of("the ﬁlthy one", "filthy") == "ﬁlthy"  # ligature: 1 char → 2
    assert _span_of("go 𝐟𝐮𝐜𝐤 yourself", "fuck") == "𝐟𝐮𝐜𝐤"
    assert _span_of("ＩＤＩＯＴ!", "idiot") == "ＩＤＩＯＴ"


def test_offsets_cover_spaced_and_stretched_words() -> None:
    assert _span_of("you f u c k e r", "fucker") == "f u c k e r"
    assert _span_of("sooo stuuuupid!!!", "stuupid") == "stuuuupid"
    assert _span_of("RT @bob: you idiot", "idiot") == "idiot"


_PIECES = list("ab1@$ .,!-*'\u200bßﬁＩ\u0301😡\t") + ["  ", "&amp;", "http://x ", "@u ", "rt @"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join) | st.text(max_size=80))
def test_offsets_from_stages_equal_the_tracked_offsets(text: str) -> None:
    stages = normalize_stages(text)
    assert (stages[-1], offsets_from_stages(text, stages)) == normalize_with_offsets(text)
