"""Properties every check and the word matcher keep on arbitrary, hostile input.

Never raise; spans satisfy 0 <= start < end <= len(text); scores stay in [0, 1];
adversarial 10,000-character lines finish quickly (no catastrophic backtracking).
"""

import time
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderation.pipeline.checks import defamation, pii, spam
from moderation.pipeline.types import CheckResult
from moderation.pipeline.wordmatch import compile_terms

CHECKS: dict[str, Callable[[str], CheckResult]] = {
    "pii": pii.check,
    "spam": spam.check,
    "defamation": defamation.check,
}
PROPS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_SPECIALS = "\x00\t\n\r\x1b\u200b\u200c\u200d\u200e\u200f\u202e\u2066\ufeff\u0301\u094d\u093e@+-.,₹ "
_TOKENS = [
    "9876543210", "+91", "4111 1111 1111 1111", "a@b.co", "ABCPE1234F", "560001", "Road",
    "bit.ly/x", "!!!!!!!!", "MLA", "took bribes", "Mr.", "allegedly", "राम", "ಕನ್ನಡ", "?",
]

hostile_text = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from(_SPECIALS + "0123456789aA")),
    st.lists(st.sampled_from(_TOKENS + list(_SPECIALS)), max_size=60).map("".join),
    st.builds(lambda c, n: c * n, st.sampled_from(list(_SPECIALS) + ["9", "a", "A "]), st.just(10_000)),
)


def _assert_well_formed(result: CheckResult, text: str) -> None:
    for reason in result.reasons:
        assert reason.code and reason.message
        for span in reason.spans:
            assert 0 <= span.start < span.end <= len(text)
    for score in result.scores.values():
        assert 0.0 <= score <= 1.0


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_checks_never_raise_and_stay_in_bounds(name: str) -> None:
    @PROPS
    @given(hostile_text)
    def run(text: str) -> None:
        _assert_well_formed(CHECKS[name](text), text)

    run()


@PROPS
@given(st.lists(st.text(min_size=1, max_size=12), max_size=8), hostile_text)
def test_word_matcher_never_raises_and_offsets_stay_in_bounds(terms: list[str], text: str) -> None:
    for start, end, term in compile_terms(terms).find(text):
        assert 0 <= start < end <= len(text)
        assert term in terms


@PROPS
@given(st.sampled_from(["राम", "café", "idiot", "bad word"]), st.text(max_size=30), st.text(max_size=30))
def test_a_term_surrounded_by_spaces_is_always_found(term: str, left: str, right: str) -> None:
    text = f"{left} {term} {right}"
    found = [(s, e) for s, e, _ in compile_terms([term]).find(text)]
    assert found, text


ADVERSARIAL = [
    "9 " * 5_000,
    "1-" * 5_000,
    "a" * 10_000,
    "a." * 5_000,
    "a@" * 5_000,
    ("x" * 60 + "@") * 160,
    "+1 " * 3_333,
    "Road " + "5" * 9_995,
    "Mr. " * 2_500,
    "took bribes " * 900,
    "http://" + "a" * 9_993,
    "\u0915\u094d" * 5_000,
    "a\u0301" * 5_000,
    "A " * 5_000,
    "ab " * 3_333,
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=lambda t: repr(t[:8]))
def test_adversarial_long_lines_run_in_linear_time(text: str) -> None:
    matcher = compile_terms(["a", "ab ab", "क", "took bribes", "road"])
    started = time.perf_counter()
    for check in CHECKS.values():
        _assert_well_formed(check(text), text)
    matcher.find(text)
    assert time.perf_counter() - started < 1.0
