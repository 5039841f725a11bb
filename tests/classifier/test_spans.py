"""Span explanations computed for a whole batch are exactly the per-text ones."""

from __future__ import annotations

import random

import numpy as np
import pytest

from moderation.classifier import ToxicityClassifier
from moderation.classifier.model import BATCH
from moderation.classifier.normalize import normalize
from moderation.classifier.spans import token_spans
from moderation.pipeline.types import CLASSIFIER_CATEGORIES

VARIED = [
    "", " ", "\u200b", "you idiot", "what a stupid moron!!!", "😡😡 you stupid ІDІОТ!!! 👍🏽",
    "f u c k this, i will k1ll you", "fuuuuuuck you idiot", "RT @x: vermin http://t.co/x &amp; go home",
    "أنت idiot مرحبا", "\u202eidiot\u202c", "👨\u200d👩\u200d👧 kill you all 🔪", "ﬁlthy ß vermin",
    "𝐟𝐮𝐜𝐤 ｙｏｕ", "sh1t a$$ @ss", "  idiot   moron  ", "idiot\r\n\tmoron", "x" * 10000,
    "you idiot " * 400, "a" * 2100 + " idiot", "naïve cafe\u0301 stupid", "\x00idiot",
    "the council meeting is on tuesday", "great reporting on the floods", "imbecile",
    "the council imbecile clown",
]


def _varied_batch() -> list[str]:
    rng = random.Random(7)
    words = "idiot stupid moron fuck shit kill you vermin all the council great 😡 ß ﬁ , . !!! @ss".split()
    extra = [" ".join(rng.choices(words, k=rng.randint(0, 25))) for _ in range(BATCH + 40)]
    return VARIED + extra  # more than one chunk


@pytest.fixture(params=["plain", "word priors"])
def clf(request: pytest.FixtureRequest, tiny_clf: ToxicityClassifier,
        tiny_prior_clf: ToxicityClassifier) -> ToxicityClassifier:
    return tiny_clf if request.param == "plain" else tiny_prior_clf


def _reference(clf: ToxicityClassifier, text: str) -> tuple[dict[str, float], tuple[object, ...]]:
    """What predict gave before batching: scores for the text alone, spans per text."""
    norm = normalize(text)
    p = clf.calibrate(clf.decision_function([norm]))[0]
    cats = [j for j, c in enumerate(CLASSIFIER_CATEGORIES) if p[j] >= clf.thresholds[c]["review"]]
    spans = token_spans(clf, text, norm, cats) if cats else ()
    return {c: float(p[j]) for j, c in enumerate(CLASSIFIER_CATEGORIES)}, spans


def test_batched_spans_equal_per_text_spans(clf: ToxicityClassifier) -> None:
    texts = _varied_batch()
    batch = clf.predict_batch(texts)
    with_spans = 0
    for text, out in zip(texts, batch, strict=True):
        scores, spans = _reference(clf, text)
        assert out.spans == spans, text[:80]
        assert all(np.isclose(out.scores[c], scores[c], rtol=0, atol=1e-12) for c in scores)
        with_spans += bool(spans)
    assert with_spans > 50  # the comparison is not vacuous


def test_spans_for_equals_per_text_spans_for_any_categories(clf: ToxicityClassifier) -> None:
    orders = [list(CLASSIFIER_CATEGORIES), ["threat", "abusive", "threat"], ["obscene"], []]
    for text in VARIED:
        norm = normalize(text)
        for cats in orders:
            idx = [CLASSIFIER_CATEGORIES.index(c) for c in cats]
            assert clf.spans_for(text, cats) == token_spans(clf, text, norm, idx)


def test_batch_scores_do_not_depend_on_the_other_texts(clf: ToxicityClassifier) -> None:
    texts = _varied_batch()[:60]
    together = clf.predict_batch(texts)
    alone = [clf.predict_batch([t])[0] for t in texts]
    assert together == alone  # bit-exact scores and identical spans


def test_decision_function_is_chunked_without_changing_a_bit(clf: ToxicityClassifier) -> None:
    norms = [normalize(t) for t in _varied_batch()]
    whole = clf.decision_function(norms)
    assert len(norms) > BATCH
    assert np.array_equal(whole[:BATCH], clf.decision_function(norms[:BATCH]))
    assert np.array_equal(whole[BATCH:], clf.decision_function(norms[BATCH:]))
    assert np.array_equal(whole[3], clf.decision_function([norms[3]])[0])


def test_every_flagged_category_points_at_text(clf: ToxicityClassifier) -> None:
    """Unless nothing in the text pushed the score up (the tiny model's intercepts are not
    negative enough to rule that out; the trained model's are)."""
    from moderation.classifier.spans import token_contributions

    flagged = 0
    for text, out in zip(_varied_batch(), clf.predict_batch(_varied_batch()), strict=True):
        for j, c in enumerate(CLASSIFIER_CATEGORIES):
            if out.scores[c] < clf.thresholds[c]["review"]:
                continue
            _, _, contrib, fallback = token_contributions(clf, normalize(text), [j])
            if contrib.size and contrib.max() > 0 or fallback[0, 1] > 0:
                flagged += 1
                assert any(s.category == c for s in out.spans), (c, text[:80])
    assert flagged > 100


def test_a_weak_flag_still_gets_its_strongest_tokens(tiny_clf: ToxicityClassifier) -> None:
    from moderation.classifier.spans import kept_tokens

    contrib = np.array([0.05, 0.3, -0.2, 0.25])
    none = np.array([-1.0, 0.0])
    assert kept_tokens(contrib, none, 0.7, 0.5).tolist() == [1, 3]  # rule 3: within 0.7 of top
    assert kept_tokens(contrib, np.array([2.0, 0.9]), 0.7, 0.5).tolist() == [2]  # rule 2: prior
    assert kept_tokens(contrib * 4, np.array([2.0, 0.9]), 0.7, 0.5).tolist() == [1, 3]  # rule 1
    assert kept_tokens(np.array([-0.1, -0.3]), none, 0.7, 0.5).tolist() == []  # no evidence
