"""The threat and group-hate rules: frames, targets, spans, and the guards that keep
figurative, negated and quoted violence out of the queue."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderation.pipeline.checks import threats
from moderation.pipeline.run import moderate
from tests.support.fake_classifier import FakeClassifier


def codes(text: str) -> list[str]:
    return [r.code for r in threats.check(text).reasons]


def spans_of(text: str, code: str) -> list[str]:
    (reason,) = [r for r in threats.check(text).reasons if r.code == code]
    return [text[s.start:s.end] for s in reason.spans]


def test_direct_threat_is_hard_with_spans_on_verb_and_target() -> None:
    text = "Listen. I will kill you"
    (reason,) = threats.check(text).reasons
    assert reason.code == "threat:direct" and reason.hard
    assert [text[s.start:s.end] for s in reason.spans] == ["kill", "you"]
    assert {s.category for s in reason.spans} == {"threat"}


def test_incitement_is_soft_and_names_the_target() -> None:
    text = "The MLA should be lynched"
    (reason,) = threats.check(text).reasons
    assert reason.code == "threat:incitement" and not reason.hard
    assert spans_of(text, "threat:incitement") == ["The MLA", "lynched"]
    assert "The MLA" in reason.message


def test_hinglish_and_devanagari_direct_threats() -> None:
    text = "main tujhe jaan se maar dunga"
    assert spans_of(text, "threat:direct") == ["jaan se maar dunga"]
    deva = "मैं तुम्हें जान से मार दूंगा"
    assert spans_of(deva, "threat:direct") == ["जान से मार दूंगा"]


def test_a_direct_threat_on_a_condition_goes_to_review_not_reject() -> None:
    reason = threats.check("If you come near my family I'll kill you").reasons[0]
    assert reason.code == "threat:conditional" and not reason.hard


def test_dehumanisation_spans_the_noun_and_the_group() -> None:
    text = "Hindus are filthy animals, every one of them"
    assert spans_of(text, "discriminatory:dehumanisation") == ["Hindus", "animals"]


@pytest.mark.parametrize("text", [
    "I would never hurt anyone",
    "I am not going to kill anyone, relax",
    "No journalist deserves to be beaten",
    "main kisi ko nahi maarunga",
    "Muslims are not animals",
])
def test_negation_cancels(text: str) -> None:
    assert not [c for c in codes(text) if c in threats.SEVERITY]


@pytest.mark.parametrize("text", [
    "Saying 'journalists should be hanged' is disgusting",
    "The man who shouted \"kill the reporter\" has been arrested",
    "Stop saying Dalits are born useless, it is simply false",
])
def test_quotation_and_counter_speech_cancel(text: str) -> None:
    assert not [c for c in codes(text) if c in threats.SEVERITY]


@pytest.mark.parametrize("text", [
    "This budget will kill the middle class",
    "I'm going to kill it at the exam",
    "Shoot me now, this debate is so boring",
    "is garmi ne maar dala",
])
def test_figurative_violence_discounts_the_threat_score(text: str) -> None:
    result = threats.check(text)
    assert [r.code for r in result.reasons] == [threats.NON_LITERAL]
    assert result.discounted == ("threat",)
    assert result.reasons[0].spans  # the explained words are highlighted


def test_an_unexplained_violent_word_keeps_the_model_score() -> None:
    # "killing me" is figurative; "shoot" with no object is nothing the rules understand.
    result = threats.check("This traffic is killing me and I want to shoot")
    assert result.discounted == ()


def test_judicial_punishment_is_not_incitement() -> None:
    assert codes("The rapists should be hanged") == [threats.NON_LITERAL]


def test_kannada_words_are_not_hindi_slurs() -> None:
    # "randi" is "come" and "gandu" "male" in Kannada.
    assert codes("randi sir, gandu magu huttide") == []


def test_pipeline_rejects_direct_threat_and_reviews_incitement() -> None:
    clf = FakeClassifier()
    assert moderate("I will kill you", classifier=clf).decision == "rejected"
    held = moderate("Someone should shoot this journalist", classifier=clf)
    assert held.decision == "needs_review"
    assert "threat:incitement" in {r.code for r in held.reasons}


def test_pipeline_holds_a_discounted_threat_score_below_review() -> None:
    clf = FakeClassifier(scores={"threat": 0.6}, thresholds={
        "threat": {"review": 0.4, "reject": 0.9}})
    result = moderate("This budget will kill the middle class", classifier=clf)
    assert result.decision == "approved"
    assert result.scores["threat"] < 0.4 * 0.5
    assert [r.code for r in result.reasons] == [threats.NON_LITERAL]
    # Without a figurative reading the same score holds.
    assert moderate("kill", classifier=clf).decision == "needs_review"


def test_a_model_score_at_or_above_reject_is_not_discounted_but_read_by_a_person() -> None:
    clf = FakeClassifier(scores={"threat": 0.95}, thresholds={
        "threat": {"review": 0.4, "reject": 0.9}})
    result = moderate("This budget will kill the middle class", classifier=clf)
    assert result.decision == "needs_review"
    assert 0.4 <= result.scores["threat"] < 0.9
    assert "classifier:threat" in {r.code for r in result.reasons}
    at_reject = FakeClassifier(scores={"threat": 0.9}, thresholds=clf.thresholds)
    assert moderate("This budget will kill the middle class",
                    classifier=at_reject).decision == "needs_review"


@pytest.mark.parametrize("text", [
    "This budget will kill you",
    "Inflation is killing the poor, and the journalists who write about it too",
    "The heat will kill them",
])
def test_a_person_named_beside_figurative_violence_keeps_the_model_score(text: str) -> None:
    found = threats.assess(text)
    assert found.non_literal and not found.unexplained and not found.findings
    assert threats.check(text).discounted == ()
    clf = FakeClassifier(scores={"threat": 0.6}, thresholds={
        "threat": {"review": 0.4, "reject": 0.9}})
    assert moderate(text, classifier=clf).decision == "needs_review"


def test_the_figurative_object_itself_is_not_a_named_person() -> None:
    # "farmers" inside the figurative object "the farmers income" names nobody.
    assert threats.check("This budget will kill the farmers income").discounted == ("threat",)


@pytest.mark.parametrize("text", [
    'That "kill" remark was uncalled for',
    "He keeps talking about 'bullets' and 'shooting' and nobody asks why",
])
def test_a_violent_word_alone_in_quotes_is_not_explained(text: str) -> None:
    assert threats.check(text).discounted == ()
    clf = FakeClassifier(scores={"threat": 0.6}, thresholds={
        "threat": {"review": 0.4, "reject": 0.9}})
    assert moderate(text, classifier=clf).decision == "needs_review"


def test_a_quoted_threat_frame_that_is_condemned_still_discounts() -> None:
    text = "Saying 'journalists should be hanged' is disgusting"
    assert threats.check(text).discounted == ("threat",)


def test_the_discount_never_applies_when_a_rule_found_a_threat() -> None:
    clf = FakeClassifier(scores={"threat": 0.95}, thresholds={
        "threat": {"review": 0.4, "reject": 0.9}})
    result = moderate("This traffic is killing me. I will kill you", classifier=clf)
    assert result.decision == "rejected"
    assert result.scores["threat"] == 0.95


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("kilyoushtgmarnd \"'.,!?\nमारदूंगा")), max_size=300))
def test_never_raises_and_spans_stay_in_bounds(text: str) -> None:
    result = threats.check(text)
    for reason in result.reasons:
        assert reason.spans or reason.code == threats.NON_LITERAL
        for span in reason.spans:
            assert 0 <= span.start < span.end <= len(text)


@pytest.mark.parametrize("text", [
    "kill " * 3000, "I will " * 3000, "you " * 3000, "Hindus are filthy " * 1500,
    "ye log " * 3000, "the " * 3000 + "kill", "मार " * 3000, "'" * 5000 + "kill",
    "a" * 20000, "should be " * 2000, "isko " * 3000 + "maar do",
])
def test_adversarial_long_lines_stay_fast(text: str) -> None:
    start = time.perf_counter()
    threats.check(text)
    assert time.perf_counter() - start < 2.0
