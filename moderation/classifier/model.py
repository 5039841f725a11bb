"""The fast linear classifier: hashed n-grams → per-category logistic regression → Platt calibration."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np
import scipy.sparse as sp

from moderation.classifier.features import ChunkFeatures, HashedFeaturizer, tfidf
from moderation.classifier.normalize import normalize_stages, warm_up
from moderation.classifier.spans import batch_spans
from moderation.classifier.word_priors import WordPriors
from moderation.pipeline.types import CLASSIFIER_CATEGORIES, Span

#: Comments are scored in chunks of this many, bounding peak memory for any input size.
BATCH = 512


class ArtifactError(Exception):
    """A model artifact is missing, corrupt, or was built by another scikit-learn version."""


#: Which tier scored a comment: the fast linear model, or the optional second tier.
Tier = Literal["fast", "tier2"]


@dataclass(frozen=True)
class ClassifierOutput:
    scores: dict[str, float]
    spans: tuple[Span, ...]
    #: The tier whose probabilities these are (the cascade sets "tier2" for the comments it
    #: escalated); workers count second-tier use from it.
    tier: Tier = "fast"
    #: The model that scored this comment when it is not the classifier's own ``version``
    #: (the Kannada routing sets ``<base>+<head>`` for the comments its head scored).
    version: str | None = None


class BatchClassifier(Protocol):
    """What the fast tier and the cascade (``tier2.CascadeClassifier``) both offer."""

    @property
    def version(self) -> str: ...

    @property
    def thresholds(self) -> dict[str, dict[str, float]]: ...

    def predict(self, text: str) -> ClassifierOutput: ...

    def predict_batch(self, texts: Sequence[str]) -> list[ClassifierOutput]: ...


def in_chunks(
    predict_chunk: Callable[[Sequence[str]], list[ClassifierOutput]], texts: Sequence[str]
) -> list[ClassifierOutput]:
    """Apply ``predict_chunk`` to chunks of at most :data:`BATCH` texts (bounded memory)."""
    out: list[ClassifierOutput] = []
    for i in range(0, len(texts), BATCH):
        out.extend(predict_chunk(texts[i : i + BATCH]))
    return out


@dataclass(frozen=True)
class ScoredChunk:
    """One chunk after the fast tier: texts, normalisation stages, features, raw scores."""

    texts: Sequence[str]
    stages: list[tuple[str, ...]]
    feats: ChunkFeatures
    raw: np.ndarray
    prior: np.ndarray | None = None  # pooled word priors (n, n_categories), when the model has them


@dataclass
class ToxicityClassifier:
    """Scores comments for CLASSIFIER_CATEGORIES and explains the scores with spans.

    ``coef`` rows, ``intercept``, ``platt_a`` and ``platt_b`` follow CLASSIFIER_CATEGORIES.
    probability = sigmoid(platt_a * (x · coef + intercept + prior) + platt_b), where
    prior = priors.weight × the comment's largest word prior (see
    :mod:`moderation.classifier.word_priors`; 0 without a table).
    """

    version: str
    thresholds: dict[str, dict[str, float]]
    featurizer: HashedFeaturizer
    idf: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    platt_a: np.ndarray
    platt_b: np.ndarray
    span_rel: float = 0.3
    span_abs: float = 0.02
    metadata: dict[str, Any] = field(default_factory=dict)
    priors: WordPriors | None = None

    def __post_init__(self) -> None:
        warm_up()
        self._coef_t = np.ascontiguousarray(self.coef.T, dtype=np.float32)

    def features(self, normalized: list[str]) -> ChunkFeatures:
        """Occurrences, counts and tf-idf rows of normalised texts."""
        occ = self.featurizer.occurrences(normalized)
        counts, entry = self.featurizer.count_matrix(occ, len(normalized))
        return ChunkFeatures(occ, entry, counts, tfidf(counts, self.idf, self.featurizer.n_word))

    def decision_function(self, normalized: list[str]) -> np.ndarray:
        """Raw linear scores, shape (len(normalized), n_categories)."""
        chunks = [normalized[i : i + BATCH] for i in range(0, len(normalized), BATCH)]
        if len(chunks) <= 1:
            return self._decision(self.features(normalized))
        # rows are independent, so chunking changes no bit of the result
        return np.vstack([self._decision(self.features(c)) for c in chunks])

    def _decision(self, feats: ChunkFeatures) -> np.ndarray:
        return self._scores(feats)[0]

    def _scores(self, feats: ChunkFeatures) -> tuple[np.ndarray, np.ndarray | None]:
        """Raw scores and the pooled word priors behind them (None without a table)."""
        # same dtype as the weights, or scipy would upcast the whole weight matrix per call
        x: sp.csr_matrix = feats.x.astype(np.float32)
        raw = np.asarray(x @ self._coef_t, dtype=np.float64) + self.intercept
        if self.priors is None:
            return raw, None
        occ = feats.occ
        value, _ = self.priors.pooled(occ.token_hash, occ.token_doc, raw.shape[0], with_arg=False)
        raw += value * self.priors.weight
        return raw, value

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.platt_a * raw + self.platt_b)))

    def predict(self, text: str) -> ClassifierOutput:
        return self.predict_batch([text])[0]

    def predict_batch(self, texts: Sequence[str]) -> list[ClassifierOutput]:
        return in_chunks(self._predict_chunk, texts)

    def _predict_chunk(self, texts: Sequence[str]) -> list[ClassifierOutput]:
        # One pass over the chunk: the features behind the scores also give the spans, and
        # the normalisation stages give the offsets back into the original texts.
        chunk = self.score_chunk(texts)
        return self.explain_chunk(chunk, self.calibrate(chunk.raw), self.thresholds)

    def score_chunk(self, texts: Sequence[str]) -> ScoredChunk:
        """Normalise, featurise and score one chunk (raw linear scores, uncalibrated)."""
        stages = [normalize_stages(t) for t in texts]
        feats = self.features([s[-1] for s in stages])
        raw, prior = self._scores(feats)
        return ScoredChunk(texts, stages, feats, raw, prior)

    def explain_chunk(
        self, chunk: ScoredChunk, probs: np.ndarray, thresholds: dict[str, dict[str, float]]
    ) -> list[ClassifierOutput]:
        """Outputs for ``probs``, with spans for every category at or above its review
        threshold (the spans come from this linear model's token contributions)."""
        review = np.array([thresholds[c]["review"] for c in CLASSIFIER_CATEGORIES])
        flagged = probs >= review
        requests = [[j for j, f in enumerate(row) if f] for row in flagged.tolist()]
        spans = batch_spans(self, chunk.texts, chunk.stages, chunk.feats, requests, chunk.prior)
        return [
            ClassifierOutput(scores=dict(zip(CLASSIFIER_CATEGORIES, p, strict=True)), spans=s)
            for p, s in zip(probs.tolist(), spans, strict=True)
        ]

    def spans_for(self, text: str, categories: Sequence[str]) -> tuple[Span, ...]:
        """Spans for the given categories whatever their score (evaluation and debugging)."""
        idx = [CLASSIFIER_CATEGORIES.index(c) for c in categories]
        stages = [normalize_stages(text)]
        return batch_spans(self, [text], stages, self.features([stages[0][-1]]), [idx])[0]
