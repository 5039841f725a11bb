"""Language and script identification, and the rule that unread languages are never approved."""

from __future__ import annotations

import pytest

from moderation.classifier.language_model import LatinLanguageModel, load_latin_model
from moderation.pipeline.checks.language import CODE, coverage_reason
from moderation.pipeline.language import identify, script_counts


@pytest.fixture(scope="module")
def latin() -> LatinLanguageModel:
    model = load_latin_model()
    assert model is not None, "models/langid-latin.npz is missing"
    return model


@pytest.mark.parametrize(("text", "language", "script"), [
    ("मैं तुम्हें जान से मार दूंगा", "hi", "Deva"),
    ("ನಿನ್ನನ್ನು ಕೊಲ್ಲುತ್ತೇನೆ", "kn", "Knda"),
    ("உன்னை கொன்றுவிடுவேன்", "ta", "Taml"),
    ("నిన్ను చంపేస్తాను", "te", "Telu"),
    ("നിന്നെ കൊല്ലും", "ml", "Mlym"),
    ("আমি তোমাকে মেরে ফেলব", "bn", "Beng"),
    ("میں تمہیں مار دوں گا", "ur", "Arab"),
    ("Someone should shoot this journalist before he writes again", "en", "Latn"),
    ("😀😀 !!! 123", "und", "Zyyy"),
])
def test_script_names_the_language(text: str, language: str, script: str) -> None:
    guess = identify([text])[0]
    assert (guess.language, guess.script) == (language, script)


def test_vowel_signs_count_with_their_script() -> None:
    assert script_counts("कि") == {"Deva": 2}


@pytest.mark.parametrize("text", [
    "Madarchod journalist, teri aukat kya hai",
    "tum log kuch nahi jante, sab bakwas hai",
    "bhai yeh sarkar kya kar rahi hai",
])
def test_romanised_hindi_is_recognised(text: str) -> None:
    assert identify([text])[0].language == "hi-Latn"


@pytest.mark.parametrize("text", [
    "This is the main part of the budget and it will kill the middle class",
    "Par for the course: the minister said he would look into it",
    "I'm going to kill it at the exam tomorrow",
    "The MLA should be lynched",
])
def test_english_is_not_taken_for_hinglish_or_kannada(text: str, latin: LatinLanguageModel) -> None:
    assert identify([text], latin)[0].language == "en"


@pytest.mark.parametrize("text", [
    "Tik tok alli jagala madtidralla adra baggenu ondu video madi anna super agi ugididdira",
    "nim appan mane hogi nodko, neenu yen madthiya",
    "Kannada cinema nodi khushi aytu, super guru",
])
def test_romanised_kannada_is_recognised_by_the_trained_model(text: str, latin: LatinLanguageModel) -> None:
    assert identify([text], latin)[0].language == "kn-Latn"


def test_a_mixed_comment_lists_both_languages(latin: LatinLanguageModel) -> None:
    guess = identify(["ನಮ್ಮ ಊರು ಚೆನ್ನಾಗಿದೆ, but the government should fix the roads"], latin)[0]
    assert {guess.language, *guess.others} == {"kn", "en"}


def test_the_latin_model_runs_once_on_the_latin_texts_only() -> None:
    seen: list[list[str]] = []

    def model(texts: object) -> list[float]:
        seen.append(list(texts))  # type: ignore[call-overload]
        return [0.0] * len(seen[-1])

    identify(["ನಿನ್ನನ್ನು", "hello there", "मार", "good morning"], model)
    assert seen == [["hello there", "good morning"]]


def test_the_model_artifact_records_its_held_out_figures(latin: LatinLanguageModel) -> None:
    report = latin.report
    assert report["kannada_dev_recall"] >= 0.85
    assert report["short_english_false_kannada_rate"] <= 0.1
    assert report["sbic_false_kannada_rate"] <= 0.01


@pytest.mark.parametrize(("text", "unsupported"), [
    ("मैं तुम्हें जान से मार दूंगा", "Hindi"),
    ("ನಿನ್ನನ್ನು ಕೊಲ್ಲುತ್ತೇನೆ", "Kannada"),
    ("Madarchod journalist, teri aukat kya hai", "romanised Hindi"),
])
def test_a_language_outside_coverage_gets_a_reason_naming_it(text: str, unsupported: str) -> None:
    reason = coverage_reason(identify([text])[0], {"en"})
    assert reason is not None and reason.code == CODE and not reason.hard
    assert unsupported in reason.message


def test_a_covered_or_letterless_comment_gets_no_coverage_reason() -> None:
    assert coverage_reason(identify(["A calm, reasonable comment."])[0], {"en"}) is None
    assert coverage_reason(identify(["👍👍"])[0], {"en"}) is None
    assert coverage_reason(identify(["ನಿನ್ನನ್ನು ಕೊಲ್ಲುತ್ತೇನೆ"])[0], {"en", "kn"}) is None


# --- the rule in the pipeline: what the model can't read is never approved on its word ---

def _moderate(text: str, policy_overrides: dict[str, object] | None = None,
              languages: tuple[str, ...] | None = None) -> object:
    from moderation.pipeline.policy import PolicyDefaults, resolve_policy
    from moderation.pipeline.run import moderate
    from tests.support.fake_classifier import FakeClassifier

    classifier = FakeClassifier()  # scores 0 everywhere: the model would approve it
    if languages is not None:
        classifier.languages = languages  # type: ignore[attr-defined]
    policy = resolve_policy(policy_overrides or {}, version=1, model_thresholds=classifier.thresholds,
                            defaults=PolicyDefaults())
    return moderate(text, classifier=classifier, policy=policy, language_model=load_latin_model())


@pytest.mark.parametrize("text", [
    "मैं तुम्हें जान से मार दूंगा",
    "ನಿನ್ನನ್ನು ಕೊಲ್ಲುತ್ತೇನೆ",
    "Madarchod journalist, teri aukat kya hai",
    "nim appan mane hogi nodko, neenu yen madthiya",
])
def test_a_comment_the_model_cant_read_is_held_not_approved(text: str) -> None:
    result = _moderate(text)
    # The threat rules read the Hindi threat and slur too (threat:direct rejects the
    # first); the coverage reason is there whatever they find.
    assert result.decision != "approved"  # type: ignore[attr-defined]
    codes = [r.code for r in result.reasons]  # type: ignore[attr-defined]
    assert CODE in codes
    assert set(codes) - {CODE} <= {"threat:direct", "abusive:hindi_slur"}
    assert result.language.language != "en"  # type: ignore[attr-defined]


def test_english_is_still_approved_and_records_its_language() -> None:
    result = _moderate("A fair point about the new bus routes.")
    assert result.decision == "approved" and result.language.language == "en"  # type: ignore[attr-defined]


# (a benign Kannada comment: the threat rules now read Kannada threats themselves)
_KANNADA_BENIGN = "ನಮಸ್ಕಾರ, ಈ ಲೇಖನ ತುಂಬಾ ಚೆನ್ನಾಗಿದೆ"


def test_a_site_may_choose_to_trust_the_classifier_explicitly() -> None:
    result = _moderate(_KANNADA_BENIGN, {"unsupported_languages": "classifier"})
    assert result.decision == "approved"  # type: ignore[attr-defined]
    assert _moderate(_KANNADA_BENIGN).decision == "needs_review"  # type: ignore[attr-defined]


def test_a_model_that_declares_a_language_covers_it() -> None:
    assert _moderate(_KANNADA_BENIGN, languages=("en", "kn")).decision == "approved"  # type: ignore[attr-defined]


def test_the_threat_rules_read_a_kannada_threat_whatever_the_language_policy() -> None:
    result = _moderate("ನಿನ್ನನ್ನು ಕೊಲ್ಲುತ್ತೇನೆ", {"unsupported_languages": "classifier"})
    assert result.decision == "rejected"  # type: ignore[attr-defined]
    assert "threat:direct" in {r.code for r in result.reasons}  # type: ignore[attr-defined]
