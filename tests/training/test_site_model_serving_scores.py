"""The served site-model score (one fused pass over the base's counts) is the trained one.

Serving no longer builds the site's tf-idf matrix nor looks every column up in the sorted
index (``benchmarks/adapt.py`` measures the speed); these tests pin its scores to the
reference form the gate validated, to 1e-9, on a sample that covers the edge cases.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp

from moderation.classifier.artifact import load_classifier
from moderation.classifier.model import ArtifactError, ToxicityClassifier
from moderation.classifier.site_model import SiteAdaptedClassifier, SiteModel, text_scores
from moderation.pipeline.types import CLASSIFIER_CATEGORIES
from moderation.training.adapt import AdaptConfig, adapt
from tests.support.adapt_data import INSULTS, examples

SAMPLE = [
    f"nodi mane {INSULTS[0]} ooru", "nodi mane chennagide ooru", "", "   ", "!!!",
    "You are a pathetic idiot and a disgusting moron.", "The council meets on Tuesday.",
    "ಊರು ಸುದ್ದಿ ಮನೆ ಹೊಸ ಕ್ರೂರಿಗ", "Ｆｕｌｌ ｗｉｄｔｈ and ｆ u c k and sh1t",
    "word " * 600, "a", "https://example.com @someone &amp; rt @x: hello",
    "zorblak" * 50, "fuuuuuck the reeeeeferee", "😀 emoji 👍🏽 only",
]


def reference_probability(model: SiteModel, counts: sp.csr_matrix, n_word: int,
                          base_raw: np.ndarray) -> np.ndarray:
    """The implementation served before (kept here verbatim as the reference): a tf-idf
    matrix with idf 1, each column's weight found by binary search in ``model.index``."""
    x = counts.copy()
    x.data = 1.0 + np.log(x.data)
    is_word = x.indices < n_word
    sq = x.data**2
    row = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
    word_norm = np.sqrt(np.bincount(row, weights=sq * is_word, minlength=x.shape[0]))
    char_norm = np.sqrt(np.bincount(row, weights=sq * ~is_word, minlength=x.shape[0]))
    x.data = x.data / np.maximum(np.where(is_word, word_norm[row], char_norm[row]), 1e-12)
    pos = np.minimum(np.searchsorted(model.index, x.indices), len(model.index) - 1)
    hit = model.index[pos] == x.indices
    contrib = np.where(hit, model.weight[pos], 0.0) * x.data
    text = np.bincount(row, weights=contrib, minlength=x.shape[0])
    z = text + base_raw @ model.base_weight + model.intercept
    out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))
    return out


@pytest.fixture(scope="module")
def base() -> ToxicityClassifier:
    return load_classifier()


@pytest.fixture(scope="module")
def model(base: ToxicityClassifier) -> SiteModel:
    trained = adapt(base, examples(400), AdaptConfig(), version="s.v1").model
    assert trained is not None
    return trained


def test_served_toxicity_is_the_reference_site_probability(
        base: ToxicityClassifier, model: SiteModel) -> None:
    adapted = SiteAdaptedClassifier(base, model)
    texts = SAMPLE + [e.text for e in examples(300, seed=5)]
    chunk = base.score_chunk(texts)
    want = reference_probability(model, chunk.feats.counts, base.featurizer.n_word, chunk.raw)
    served = np.array([o.scores["toxicity"] for o in adapted.predict_batch(texts)])
    np.testing.assert_allclose(served, want, rtol=0, atol=1e-9)
    # and the gate's form (what training validated) agrees too
    _, gate = adapted.probabilities(texts)
    np.testing.assert_allclose(gate, want, rtol=0, atol=1e-9)
    assert 0.05 < float(np.mean(want > 0.5)) < 0.95  # the sample exercises both sides


def test_the_other_categories_keep_the_bases_scores_exactly(
        base: ToxicityClassifier, model: SiteModel) -> None:
    adapted = SiteAdaptedClassifier(base, model)
    for mine, theirs in zip(adapted.predict_batch(SAMPLE), base.predict_batch(SAMPLE), strict=True):
        for category in CLASSIFIER_CATEGORIES:
            if category != "toxicity":
                assert mine.scores[category] == theirs.scores[category]


def test_text_scores_sum_per_row_and_block() -> None:
    # two rows, word block = columns < 4: row 0 has word counts (1, e) and char count 1
    counts = sp.csr_matrix((np.array([1.0, np.e, 1.0, 1.0]), np.array([0, 2, 5, 6]),
                            np.array([0, 3, 3 + 1])), shape=(2, 8))
    dense = np.array([1, 0, 2, 0, 0, 3, 4, 0], dtype=np.float32)
    # row 0: tf (1, 2) → word (1·1 + 2·2)/√5, char 3·1/1; row 1: char 4·1/1
    np.testing.assert_allclose(text_scores(counts, 4, dense), [5 / np.sqrt(5) + 3, 4.0])
    empty = sp.csr_matrix((3, 8))
    assert text_scores(empty, 4, dense).tolist() == [0.0, 0.0, 0.0]


def test_a_site_model_with_columns_beyond_the_base_is_refused(
        base: ToxicityClassifier, model: SiteModel) -> None:
    n = base.featurizer.n_features
    bad = replace(model, index=np.array([1, n], dtype=np.int64),
                  weight=np.ones(2, dtype=np.float32))
    with pytest.raises(ArtifactError, match="beyond the base"):
        SiteAdaptedClassifier(base, bad)
