"""Spam check: each signal, its limits and the score combination."""

import pytest

from moderation.pipeline.checks.spam import check


def _codes(text: str, **limits: object) -> set[str]:
    return {r.code.split(":", 1)[1] for r in check(text, **limits).reasons}  # type: ignore[arg-type]


def test_clean_comment_scores_zero() -> None:
    result = check("Thoughtful piece. The flyover should have been finished in 2019.")
    assert result.reasons == ()
    assert result.scores == {"spam": 0.0}


def test_more_than_max_links_is_flagged_and_limit_is_configurable() -> None:
    text = "see https://a.com/x and www.b.in/y and c.org"
    assert "links" in _codes(text)
    assert "links" not in _codes(text, max_links=3)
    assert "links" not in _codes("only https://a.com and b.org")


def test_sloppy_punctuation_is_not_a_link() -> None:
    assert _codes("good.In my view.At the end.Me too, e.g. the U.S. and i.e. this") == set()


@pytest.mark.parametrize("url", ["bit.ly/3xYz", "https://tinyurl.com/abc", "http://t.co/x1", "goo.gl/maps"])
def test_link_shorteners_are_flagged(url: str) -> None:
    result = check(f"click {url} now")
    (reason,) = [r for r in result.reasons if r.code == "spam:link_shortener"]
    span = reason.spans[0]
    assert f"click {url} now"[span.start : span.end] == url


@pytest.mark.parametrize("text", ["loooooooool", "!!!!!!!!!!", "😂😂😂😂😂😂😂😂"])
def test_a_character_repeated_eight_times_is_flagged(text: str) -> None:
    assert "repeated_characters" in _codes(text)


@pytest.mark.parametrize("text", ["loooool", "sir..........", "₹100000000", "----------", "a        b"])
def test_short_runs_ellipses_numbers_and_separators_are_not_floods(text: str) -> None:
    assert "repeated_characters" not in _codes(text)


@pytest.mark.parametrize(
    "text",
    [
        "buy buy buy buy buy buy now",
        "vote for me vote for me vote for me vote for me",
        "scam scam scam scam this is scam scam scam scam scam",
        "जय जय जय जय जय जय",
    ],
)
def test_repeated_words_are_flagged(text: str) -> None:
    assert "repeated_words" in _codes(text)


def test_ordinary_emphasis_is_not_repeated_words() -> None:
    assert "repeated_words" not in _codes("no no no, that is very very wrong")


def test_shouting_counts_only_cased_letters() -> None:
    assert "shouting" in _codes("THIS GOVERNMENT IS USELESS AND CORRUPT")
    assert "shouting" not in _codes("BJP MLA of UP met the DM")  # too few letters
    assert "shouting" not in _codes("यह सरकार बेकार है और भ्रष्ट है OK")  # uncased script
    assert "shouting" in _codes("abcdefghij", shout_min_letters=5, shout_ratio=0.0)


@pytest.mark.parametrize(
    "text",
    [
        "WhatsApp me for details",
        "Earn money from home, easy!",
        "earn ₹5000 daily with this trick",
        "Guaranteed returns on crypto, join my telegram",
        "ghar baithe paise kamaye",
        "Instant loan app without cibil",
    ],
)
def test_promotional_phrases_are_flagged(text: str) -> None:
    assert "promotional" in _codes(text)


def test_news_talk_about_loans_and_crypto_is_not_promotional() -> None:
    assert "promotional" not in _codes("The RBI warned about crypto and instant loan frauds.")


def test_reasons_are_soft_and_scores_combine_as_noisy_or() -> None:
    result = check("WHATSAPP ME NOW!!!!!!!!!! bit.ly/x bit.ly/y bit.ly/z FOR MONEY")
    codes = {r.code for r in result.reasons}
    assert {"spam:promotional", "spam:link_shortener", "spam:links"} <= codes
    assert all(not r.hard for r in result.reasons)
    single = check("WhatsApp me").scores["spam"]
    assert 0 < single < result.scores["spam"] <= 1.0
