"""Property tests for the intake validators: any input gets a clean answer or a 422."""

from __future__ import annotations

import json
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderation.api.schemas import parse_comment
from moderation.domain.errors import DomainError as ApiError
from moderation.pipeline import structure
from tests.support.factories import comment_body

#: Text that stresses Unicode handling: controls, RTL marks, zero-width joiners, NUL.
_pieces = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(["\x00", "\u200d", "\u200b", "\u202e", "\u2066", "\ufeff", "\r", "\t",
                     "e\u0301", "👍🏽", "क्ष", "ಕನ್ನಡ"]),
)
hostile_text = st.lists(_pieces, max_size=2500).map("".join)
LIMITS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@LIMITS
@given(comment=hostile_text, title=hostile_text, name=hostile_text, email=st.text(max_size=80),
       ip=st.text(max_size=50))
def test_any_text_is_either_accepted_or_a_field_level_422(
    comment: str, title: str, name: str, email: str, ip: str
) -> None:
    body = comment_body(comment=comment, title=title, author={"name": name, "email": email},
                        sender={"ip": ip})
    try:
        parsed = parse_comment(json.dumps(body).encode(), max_length=2000)
    except ApiError as error:
        assert error.status == 422
        assert error.details and all(d["field"] and d["message"] for d in error.details)
        return
    assert structure.char_count(parsed.comment) <= 2000
    assert "\x00" not in parsed.comment and parsed.comment.strip()


@LIMITS
@given(raw=st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise_anything_but_a_422(raw: bytes) -> None:
    try:
        parse_comment(raw, max_length=2000)
    except ApiError as error:
        assert error.status == 422


@LIMITS
@given(text=hostile_text)
def test_char_count_matches_nfc_and_the_guard_agrees_with_the_edge(text: str) -> None:
    assert structure.char_count(text) == len(unicodedata.normalize("NFC", text))
    reasons = {r.code for r in structure.check(text, title="t", max_length=100).reasons}
    assert ("too_long" in reasons) == (bool(text.strip()) and structure.char_count(text) > 100)


def test_ten_thousand_character_lines_are_rejected_quickly() -> None:
    body = comment_body(comment="ab\u200d" * 3400)
    try:
        parse_comment(json.dumps(body).encode(), max_length=2000)
    except ApiError as error:
        assert {d["field"] for d in error.details} == {"comment"}
    else:
        raise AssertionError("a 10,200-character comment was accepted")
