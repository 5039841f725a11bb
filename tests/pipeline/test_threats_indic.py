"""Threat rules in Kannada (script and romanised) and the extra Hindi frames: direct,
incited and conditional threats, the guards (negation after the verb, idioms, pests),
and the Unicode traps (vowel signs are not word characters; composed and decomposed
spellings of the same word)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderation.pipeline.checks import threats
from moderation.pipeline.checks.indic_text import nfc_with_offsets
from moderation.pipeline.run import default_policy, moderate
from tests.support.fake_classifier import FakeClassifier


def codes(text: str) -> list[str]:
    return [r.code for r in threats.check(text).reasons]


def spans_of(text: str, code: str) -> list[str]:
    (reason,) = [r for r in threats.check(text).reasons if r.code == code]
    return [text[s.start:s.end] for s in reason.spans]


@pytest.mark.parametrize(("text", "expected"), [
    ("ನಿನ್ನನ್ನು ಕೊಲ್ಲುತ್ತೇನೆ", ["ನಿನ್ನನ್ನು", "ಕೊಲ್ಲುತ್ತೇನೆ"]),
    ("ನಿನ್ನನ್ನು ಕೊಂದು ಬಿಡ್ತೀನಿ", ["ನಿನ್ನನ್ನು", "ಕೊಂದು ಬಿಡ್ತೀನಿ"]),
    ("ನಿನ್ನನ್ನು ಕೊಲ್ಲದೆ ಬಿಡಲ್ಲ", ["ನಿನ್ನನ್ನು", "ಕೊಲ್ಲದೆ ಬಿಡಲ್ಲ"]),
    ("ninna saaysthini", ["ninna", "saaysthini"]),
    ("ninna kolthini", ["ninna", "kolthini"]),
    ("ninna kollade bidalla", ["ninna", "kollade bidalla"]),
])
def test_kannada_direct_threats_are_hard_with_target_and_verb(text: str, expected: list[str]) -> None:
    (reason,) = threats.check(text).reasons
    assert reason.code == "threat:direct" and reason.hard
    assert spans_of(text, "threat:direct") == expected


def test_a_kannada_verb_is_found_although_its_vowel_signs_split_it_for_backslash_w() -> None:
    verb = "ಕೊಲ್ಲುತ್ತೇನೆ"
    assert len(re.findall(r"\w+", verb)) > 1  # why the patterns can't use \b or \w
    assert codes(verb) == ["threat:direct"]
    # ... and a longer word that merely starts with the verb is not the verb
    assert "threat:direct" not in codes("ಕೊಲ್ಲುತ್ತೇನೆಂದು ಹೇಳಿದ")


@pytest.mark.parametrize(("text", "code", "expected"), [
    ("ಅವನನ್ನು ಕೊಲ್ಲಬೇಕು", "threat:incitement", ["ಅವನನ್ನು", "ಕೊಲ್ಲಬೇಕು"]),
    ("avanna kolli", "threat:incitement", ["avanna", "kolli"]),
    ("gaddaron ko goli maar do", "threat:incitement", ["gaddaron ko", "goli maar do"]),
    ("गद्दारों को गोली मारो", "threat:incitement", ["गद्दारों को", "गोली मारो"]),
    ("rally alli ninna nodidre kolthini", "threat:conditional", ["ninna", "kolthini"]),
    ("ನಿನ್ನನ್ನು ಸುಮ್ಮನೆ ಬಿಡಲ್ಲ", "threat:conditional", ["ನಿನ್ನನ್ನು ಸುಮ್ಮನೆ ಬಿಡಲ್ಲ"]),
    ("main tujhe nahi chhodunga", "threat:conditional", ["tujhe nahi chhodunga"]),
    ("मैं तुझे छोड़ूंगा नहीं", "threat:conditional", ["तुझे छोड़ूंगा नहीं"]),
])
def test_incitement_and_menace_go_to_review(text: str, code: str, expected: list[str]) -> None:
    (reason,) = threats.check(text).reasons
    assert reason.code == code and not reason.hard
    assert spans_of(text, code) == expected
    assert moderate(text, classifier=FakeClassifier()).decision == "needs_review"


@pytest.mark.parametrize("text", [
    "ನಾನು ಯಾರನ್ನೂ ಕೊಲ್ಲುವುದಿಲ್ಲ",  # negative verb form: no future frame at all
    "ninna kolthini anta naanu helilla",  # "I didn't say I'd kill you"
    "ನಿನ್ನನ್ನು ಕೊಲ್ಲುತ್ತೇನೆ ಎಂದು ಹೇಳಿಲ್ಲ",
    "main tujhe maarunga nahi",  # Hindi negation after the verb
    "मैं तुम्हें मारूंगा नहीं",
    "main job nahi chhodunga",  # "I won't quit my job": nobody is threatened
])
def test_negation_in_indian_languages_cancels(text: str) -> None:
    assert not [c for c in codes(text) if c in threats.SEVERITY]


@pytest.mark.parametrize("text", [
    "nale match alli sixer hodithini",  # I'll hit a six tomorrow
    "naale class ge chakkar hodithini",  # I'll bunk class
    "nagisi nagisi saaysthini guru",  # I'll make you die laughing
    "ನಗಿಸಿ ನಗಿಸಿ ಸಾಯಿಸ್ತೀನಿ",
    "sollegalanna kolthini",  # I'll kill the mosquitoes
    "ಇವತ್ತು ರಾತ್ರಿ ಎಲ್ಲಾ ಸೊಳ್ಳೆಗಳನ್ನು ಕೊಲ್ಲುತ್ತೇನೆ",
    "chhodo yaar, is baat ko goli maaro",  # "goli maaro": forget it
    "इस बात को गोली मारो यार",
])
def test_indian_idioms_are_figurative_and_discounted(text: str) -> None:
    result = threats.check(text)
    assert [r.code for r in result.reasons] == [threats.NON_LITERAL]
    assert result.discounted == ("threat",)
    clf = FakeClassifier(scores={"threat": 0.6}, thresholds={"threat": {"review": 0.4, "reject": 0.9}})
    # the rules and the model decide (not the language rule, which holds every Kannada comment)
    policy = replace(default_policy(clf), unsupported_languages="classifier")
    assert moderate(text, classifier=clf, policy=policy).decision == "approved"


def test_a_decomposed_kannada_threat_is_found_with_offsets_into_the_original() -> None:
    composed = "ಅಯ್ಯೋ. ನಿನ್ನನ್ನು ಕೊಲ್ಲುತ್ತೇನೆ"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed and len(decomposed) > len(composed)
    (reason,) = threats.check(decomposed).reasons
    assert reason.code == "threat:direct"
    got = [decomposed[s.start:s.end] for s in reason.spans]
    assert [unicodedata.normalize("NFC", g) for g in got] == ["ನಿನ್ನನ್ನು", "ಕೊಲ್ಲುತ್ತೇನೆ"]
    assert got[1] == unicodedata.normalize("NFD", "ಕೊಲ್ಲುತ್ತೇನೆ")


def test_a_decomposed_nukta_in_devanagari_matches_the_composed_lexicon() -> None:
    # ड़ as one code point (U+095C) and as ड + nukta (U+0921 U+093C)
    one, two = "तुझे छो\u095cूंगा नहीं", "तुझे छो\u0921\u093cूंगा नहीं"
    assert codes(one) == codes(two) == ["threat:conditional"]


def test_nfc_offsets_map_every_character_back() -> None:
    text = unicodedata.normalize("NFD", "ಕೊ ಹೋ ड़")
    norm = nfc_with_offsets(text)
    assert norm.text == unicodedata.normalize("NFC", text)
    assert norm.original(0, len(norm.text)) == (0, len(text))
    assert nfc_with_offsets("plain ascii").starts is None


_KANNADA = list("ಕೊಲ್ಲುತ್ತೇನೆ ನಿನ್ನನ್ನು ಬಿಡಲ್ಲ ಸಾಯಿಸ್ತೀನಿ \u0cc6\u0cc2\u0cd5.\"'")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from([*_KANNADA, *"kolthini saay "]), max_size=200),
       st.booleans())
def test_kannada_text_never_raises_and_spans_stay_in_bounds(text: str, decompose: bool) -> None:
    if decompose:
        text = unicodedata.normalize("NFD", text)
    for reason in threats.check(text).reasons:
        for span in reason.spans:
            assert 0 <= span.start < span.end <= len(text)
