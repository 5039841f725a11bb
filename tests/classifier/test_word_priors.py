"""The word-prior table: lookup, max-pooling, its share of the score and spans, and its artifact."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moderation.classifier import ArtifactError, ToxicityClassifier, load_classifier
from moderation.classifier.artifact import FORMATS, save_classifier
from moderation.classifier.features import HashedFeaturizer
from moderation.classifier.normalize import normalize
from moderation.classifier.word_priors import WordPriors, from_words, word_hashes
from moderation.pipeline.types import CLASSIFIER_CATEGORIES
from tests.classifier.test_artifact import _rewrite_meta

FZ = HashedFeaturizer(word_bits=12, char_bits=14)
TOX = CLASSIFIER_CATEGORIES.index("toxicity")
OBS = CLASSIFIER_CATEGORIES.index("obscene")


def _table(words: dict[str, list[float]], weight: list[float]) -> WordPriors:
    return from_words(FZ, list(words), np.array(list(words.values()), dtype=np.float32),
                      np.array(weight))


def _occ(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    occ = FZ.occurrences(texts)
    return occ.token_hash, occ.token_doc


def test_lookup_finds_known_words_only() -> None:
    t = _table({"idiot": [2.0], "clown": [1.0]}, [0.5])
    h, _ = _occ(["clown idiot stranger"])
    rows = t.lookup(h)
    assert rows[2] == -1
    assert t.priors[rows[0], 0] == 1.0 and t.priors[rows[1], 0] == 2.0


def test_pooled_is_the_largest_prior_per_doc_and_points_at_its_first_token() -> None:
    t = _table({"idiot": [2.0, -1.0], "clown": [1.0, 3.0], "the": [-1.0, -2.0]}, [0.5, 1.0])
    texts = ["the clown and the idiot", "", "nothing known here", "idiot idiot", "the"]
    h, d = _occ(texts)
    value, arg = t.pooled(h, d, len(texts))
    np.testing.assert_array_equal(value, [[2.0, 3.0], [0, 0], [0, 0], [2.0, -1.0], [-1.0, -2.0]])
    first_idiot = int(np.flatnonzero(d == 3)[0])  # ties: the first occurrence
    assert arg[3].tolist() == [first_idiot, first_idiot]
    assert arg[1].tolist() == [-1, -1] and arg[2].tolist() == [-1, -1]
    assert h[arg[0, 0]] == word_hashes(FZ, ["idiot"])[0]
    assert h[arg[0, 1]] == word_hashes(FZ, ["clown"])[0]
    np.testing.assert_array_equal(t.term(h, d, len(texts)), value * [0.5, 1.0])


def test_table_is_validated() -> None:
    with pytest.raises(ValueError, match="exactly one token"):
        word_hashes(FZ, ["two words"])
    with pytest.raises(ValueError, match="sorted"):
        WordPriors(np.array([5, 3], dtype=np.uint64), np.zeros((2, 1), np.float32), np.ones(1))
    with pytest.raises(ValueError, match="weight shape"):
        WordPriors(np.array([3], dtype=np.uint64), np.zeros((1, 2), np.float32), np.ones(1))
    dup = from_words(FZ, ["idiot", "idiot"], np.array([[1.0], [2.0]], np.float32), np.ones(1))
    assert len(dup.hashes) == 1 and dup.priors[0, 0] == 1.0


def test_the_prior_joins_the_raw_score_with_its_weight(
    tiny_clf: ToxicityClassifier, tiny_prior_clf: ToxicityClassifier
) -> None:
    norms = [normalize(t) for t in ["the imbecile", "what a clown", "no known word", "council"]]
    diff = tiny_prior_clf.decision_function(norms) - tiny_clf.decision_function(norms)
    np.testing.assert_allclose(diff[:, TOX], [0.5 * 4.0, 0.5 * 2.0, 0.0, 0.5 * -2.0], atol=1e-9)
    np.testing.assert_allclose(diff[:, OBS], 0.0, atol=1e-12)  # weight 0: unchanged


def test_an_unseen_insult_is_flagged_and_gets_the_span(tiny_prior_clf: ToxicityClassifier) -> None:
    out = tiny_prior_clf.predict("Honestly, what an imbecile.")
    assert out.scores["toxicity"] >= tiny_prior_clf.thresholds["toxicity"]["review"]
    spans = [s for s in out.spans if s.category == "toxicity"]
    assert any("Honestly, what an imbecile."[s.start : s.end] == "imbecile" for s in spans)


def test_artifact_round_trip_keeps_the_table(tiny_prior_clf: ToxicityClassifier, tmp_path: Path) -> None:
    path = save_classifier(tiny_prior_clf, tmp_path / "clf-test-priors-1.npz")
    loaded = load_classifier(path)
    assert loaded.metadata["format"] == FORMATS[-1]
    assert loaded.priors is not None and tiny_prior_clf.priors is not None
    np.testing.assert_array_equal(loaded.priors.hashes, tiny_prior_clf.priors.hashes)
    np.testing.assert_allclose(loaded.priors.priors, tiny_prior_clf.priors.priors, atol=1e-2)
    a = tiny_prior_clf.predict("the imbecile clown").scores
    b = loaded.predict("the imbecile clown").scores
    assert all(abs(a[k] - b[k]) < 5e-3 for k in a)


def test_v1_artifacts_still_load_and_a_v2_without_table_is_refused(
    tiny_artifact: Path, tmp_path: Path
) -> None:
    assert load_classifier(tiny_artifact).priors is None  # no table: format v1
    bad = _rewrite_meta(tiny_artifact, tmp_path / "v2.npz", format=FORMATS[-1])
    with pytest.raises(ArtifactError, match="word-prior table is missing"):
        load_classifier(bad)
