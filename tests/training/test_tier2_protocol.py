"""Pure parts of the second tier's training protocol (no encoder needed)."""

from __future__ import annotations

import numpy as np

from moderation.pipeline.types import CLASSIFIER_CATEGORIES
from moderation.training.config import EMBED_SAMPLE_CAP
from moderation.training.corpora import Corpus
from moderation.training.dataset import embedding_sample
from moderation.training.tier2 import (
    ESCALATE_SHARE,
    HEAD_WEIGHT,
    _cascade,
    escalate_levels,
    fit_head,
)

N = len(CLASSIFIER_CATEGORIES)


def _corpus(n: int, sources: list[str], rng: np.random.Generator) -> Corpus:
    src = np.array([sources[i % len(sources)] for i in range(n)])
    return Corpus(texts=[f"t{i}" for i in range(n)], sources=src,
                  groups=np.array([f"g{i}" for i in range(n)]),
                  labels=(rng.random((n, N)) < 0.2).astype(float),
                  jigsaw_random=src == "jigsaw", ids=np.array([str(i) for i in range(n)]))


def test_escalate_levels_send_the_budgeted_share_of_the_stream() -> None:
    rng = np.random.default_rng(1)
    corpus = _corpus(6000, ["jigsaw", "civil"], rng)
    fast_p = rng.random((6000, N)) ** np.arange(1, N + 1)  # categories on different scales
    levels = escalate_levels(corpus, fast_p)
    stream = fast_p[corpus.jigsaw_random]
    share = (stream >= levels).any(axis=1).mean()
    assert abs(share - ESCALATE_SHARE) < 0.01
    # one common quantile: each category escalates about the same share on its own
    per_cat = (stream >= levels).mean(axis=0)
    assert per_cat.max() - per_cat.min() < 0.02


def test_cascade_keeps_fast_scores_below_every_level() -> None:
    fast = np.array([[0.1, 0.1], [0.6, 0.1], [0.1, 0.9]])
    second = np.full((3, 2), 0.5)
    p, esc = _cascade(fast, second, np.array([0.5, 0.8]))
    assert esc.tolist() == [False, True, True]
    np.testing.assert_array_equal(p[0], fast[0])
    np.testing.assert_array_equal(p[1:], second[1:])


def test_sample_caps_each_source_but_keeps_all_jigsaw() -> None:
    rng = np.random.default_rng(2)
    corpus = _corpus(30000, ["jigsaw", "civil", "olid"], rng)
    take = embedding_sample(corpus, 13)
    assert take[corpus.sources == "jigsaw"].all()
    assert take[corpus.sources == "civil"].sum() == EMBED_SAMPLE_CAP
    assert (take == embedding_sample(corpus, 13)).all()  # seeded


def test_head_learns_a_direction_and_is_scaled() -> None:
    rng = np.random.default_rng(3)
    emb = rng.standard_normal((400, 384))
    y = (emb[:, 0] > 0).astype(float)
    labels = np.tile(y[:, None], (1, N))
    coef, intercept = fit_head(emb, labels, np.array(["a", "b"] * 200), 0)
    assert coef.shape == (N, 384) and intercept.shape == (N,)
    assert (np.argmax(np.abs(coef), axis=1) == 0).all()
    assert 0 < HEAD_WEIGHT <= 1
