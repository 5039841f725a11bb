"""Fitting the word-prior table (:mod:`moderation.classifier.word_priors`) at training time.

A logistic head per category learns from sentence embeddings of training rows and is then
applied to the embedding of every vocabulary word on its own. Every fit, in every fold, refits
the heads on that fold's training rows only, so no validated row informs its own prior.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from moderation.classifier.encoder import SentenceEncoder, encoder_texts
from moderation.classifier.features import HashedFeaturizer
from moderation.classifier.normalize import normalize
from moderation.classifier.word_priors import WordPriors, from_words
from moderation.training.config import CATS, PRIOR_C, PRIOR_MIN_COUNT, PRIOR_WEIGHT
from moderation.training.dataset import TrainingSet
from moderation.training.linear import source_weights
from moderation.training.templates import identity_words


@dataclass
class PriorInputs:
    """Sentence embeddings of some training-set rows and of every vocabulary word."""

    rows: np.ndarray  # training-set rows with an embedding, ascending
    emb: np.ndarray  # (len(rows), DIM)
    words: list[str]
    word_emb: np.ndarray  # (len(words), DIM)
    seconds: float


def vocabulary(ts: TrainingSet, encoder: SentenceEncoder) -> list[str]:
    """Corpus words seen :data:`PRIOR_MIN_COUNT`+ times, plus the encoder's whole words that
    normalisation leaves unchanged, sorted; never a word that names an identity group
    (``templates.identity_words``): the heads see those words in hateful sentences far more
    often than in neutral ones, and on its own a word can't tell which (in a first run
    "gay", "jewish" and "homosexual" got discriminatory priors in the top 0.1%)."""
    words = {w for w, c in ts.words.items() if c >= PRIOR_MIN_COUNT}
    for w in encoder.vocabulary():
        if re.fullmatch(r"[a-z]{2,}", w) and normalize(w) == w:
            words.add(w)
    return sorted(words - identity_words())


def prior_inputs(ts: TrainingSet, encoder: SentenceEncoder, rows: np.ndarray, progress: bool
                 ) -> PriorInputs:
    """Embed ``rows`` (ascending) and the vocabulary once; every fold's heads reuse them."""
    t0 = time.perf_counter()
    words = vocabulary(ts, encoder)
    emb = encoder.encode(encoder_texts(ts.texts(rows)), progress=progress)
    word_emb = encoder.encode(words, progress=progress)
    return PriorInputs(rows, emb, words, word_emb, time.perf_counter() - t0)


def fit_word_priors(inputs: PriorInputs, ts: TrainingSet, train_rows: np.ndarray,
                    featurizer: HashedFeaturizer, seed: int) -> WordPriors:
    """Word-prior table from heads fitted on the embedded rows among ``train_rows``."""
    use = np.isin(inputs.rows, train_rows)
    rows, emb = inputs.rows[use], inputs.emb[use]
    priors = np.zeros((len(inputs.words), len(CATS)), dtype=np.float32)
    weight = np.zeros(len(CATS))
    for cat, beta in PRIOR_WEIGHT.items():
        j = CATS.index(cat)
        y = ts.labels[rows, j]
        w = source_weights(ts.sources[rows], y)
        ok = w > 0
        lr = LogisticRegression(C=PRIOR_C, max_iter=1000, random_state=seed)
        lr.fit(emb[ok], y[ok], sample_weight=w[ok])
        priors[:, j] = inputs.word_emb @ lr.coef_[0] + lr.intercept_[0]
        weight[j] = beta
    return from_words(featurizer, inputs.words, priors, weight)


def prior_term(ts: TrainingSet, rows: np.ndarray, priors: WordPriors) -> np.ndarray:
    """What ``priors`` adds to the raw scores of training-set ``rows`` (ascending)."""
    m = np.isin(ts.token_row, rows)
    doc = np.searchsorted(rows, ts.token_row[m])
    return priors.term(ts.token_hash[m], doc, len(rows))
