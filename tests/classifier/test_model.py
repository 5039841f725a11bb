"""Scores are probabilities per category; spans explain them in original-text offsets."""

from __future__ import annotations

from moderation.classifier import ClassifierOutput, ToxicityClassifier
from moderation.pipeline.types import CLASSIFIER_CATEGORIES


def test_predict_returns_a_probability_per_category(tiny_clf: ToxicityClassifier) -> None:
    out = tiny_clf.predict("what a lovely day")
    assert isinstance(out, ClassifierOutput)
    assert set(out.scores) == set(CLASSIFIER_CATEGORIES)
    assert all(0.0 <= v <= 1.0 for v in out.scores.values())


def test_toxic_comment_scores_above_clean(tiny_clf: ToxicityClassifier) -> None:
    clean = tiny_clf.predict("great reporting on the council meeting").scores
    toxic = tiny_clf.predict("you stupid idiot").scores
    assert toxic["abusive"] > clean["abusive"]
    assert toxic["toxicity"] > clean["toxicity"]


def test_spans_only_for_categories_at_or_above_review(tiny_clf: ToxicityClassifier) -> None:
    out = tiny_clf.predict("the council meeting is on tuesday")
    for span in out.spans:
        assert out.scores[span.category] >= tiny_clf.thresholds[span.category]["review"]


def test_spans_point_at_the_obfuscated_word_in_the_original(tiny_clf: ToxicityClassifier) -> None:
    text = "😡😡 you stupid ІDІОТ!!! 👍🏽"
    out = tiny_clf.predict(text)
    assert out.scores["abusive"] >= 0.5
    abusive = [s for s in out.spans if s.category == "abusive"]
    assert abusive
    assert any("ІDІОТ" in text[s.start : s.end] for s in abusive)
    assert all(text[s.start : s.end].strip() == text[s.start : s.end] for s in abusive)


def test_spans_are_merged_and_non_overlapping_per_category(tiny_clf: ToxicityClassifier) -> None:
    out = tiny_clf.predict("idiot idiot, stupid moron idiot")
    for cat in CLASSIFIER_CATEGORIES:
        spans = sorted((s.start, s.end) for s in out.spans if s.category == cat)
        assert all(a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False))


def test_batch_equals_single(tiny_clf: ToxicityClassifier) -> None:
    texts = ["you idiot", "", "nice", "kill you all 🔪", "x" * 5000]
    batch = tiny_clf.predict_batch(texts)
    for t, b in zip(texts, batch, strict=True):
        single = tiny_clf.predict(t)
        assert single.spans == b.spans
        assert all(abs(single.scores[c] - b.scores[c]) < 1e-6 for c in CLASSIFIER_CATEGORIES)
