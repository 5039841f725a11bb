"""Blocklist word matching across scripts, normalisation forms and whitespace."""

import unicodedata
from typing import Literal

import pytest

from moderation.pipeline.wordmatch import compile_terms, iter_words


def _found(terms: list[str], text: str) -> list[str]:
    return [text[s:e] for s, e, _ in compile_terms(terms).find(text)]


def test_term_matches_whole_words_only() -> None:
    assert _found(["ass"], "Ass! class assess ass") == ["Ass", "ass"]


def test_matching_is_case_insensitive_and_reports_the_given_term() -> None:
    assert compile_terms(["Idiot"]).find("what an IDIOT") == [(8, 13, "Idiot")]


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_latin_accents_match_in_both_normal_forms(form: Literal["NFC", "NFD"]) -> None:
    text = unicodedata.normalize(form, "Café CAFÉ cafés")
    for term in (unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café")):
        assert _found([term], text) == text.split()[:2]


def test_combining_accent_is_part_of_the_word() -> None:
    assert _found(["cafe"], unicodedata.normalize("NFD", "café")) == []
    assert _found(["cafe"], "cafe café") == ["cafe"]


def test_devanagari_matras_do_not_create_boundaries() -> None:
    text = "राम रामायण पढ़ो, राम।"
    assert _found(["राम"], text) == ["राम", "राम"]
    assert [s for s, _, _ in compile_terms(["राम"]).find(text)] == [0, 17]


def test_kannada_vowel_signs_do_not_create_boundaries() -> None:
    assert _found(["ಕನ್ನಡ"], "ಕನ್ನಡಿಗ ಕನ್ನಡ ನಾಡು") == ["ಕನ್ನಡ"]
    assert _found(["ಕನ್ನಡಿಗ"], "ಕನ್ನಡ") == []


def test_phrases_match_across_runs_of_whitespace() -> None:
    assert _found(["bad  word"], "a BAD\n\t word!") == ["BAD\n\t word"]
    assert _found(["bad word"], "badword") == []


def test_zero_width_characters_do_not_hide_a_term() -> None:
    assert _found(["idiot"], "you id\u200diot and i\u200bdiot") == ["id\u200diot", "i\u200bdiot"]


def test_casefold_expansion_keeps_offsets_in_the_original_text() -> None:
    text = "Die STRASSE, die Straße."
    assert _found(["straße"], text) == ["STRASSE", "Straße"]


def test_longer_term_wins_and_shorter_term_is_tried_when_it_fails() -> None:
    matcher = compile_terms(["foo", "foo bar"])
    assert [t for _, _, t in matcher.find("foo bar foo barx")] == ["foo bar", "foo"]


def test_empty_terms_and_text_match_nothing() -> None:
    assert compile_terms([]).find("anything") == []
    assert compile_terms(["", "  "]).find("anything") == []
    assert compile_terms(["x"]).find("") == []


def test_underscore_is_a_boundary_and_digits_are_word_characters() -> None:
    assert _found(["spam"], "spam_bot spam2 ४spam") == ["spam"]


def test_iter_words_keeps_indic_words_whole() -> None:
    assert [w for _, _, w in iter_words("नमस्ते, ಕನ್ನಡಿಗ!")] == ["नमस्ते", "ಕನ್ನಡಿಗ"]
