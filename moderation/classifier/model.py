"""The fast linear classifier: hashed n-grams → per-category logistic regression → Platt calibration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from moderation.classifier.features import HashedFeaturizer, tfidf
from moderation.classifier.normalize import normalize, warm_up
from moderation.classifier.spans import token_spans
from moderation.pipeline.types import CLASSIFIER_CATEGORIES, Span

#: Comments are scored in chunks of this many, bounding peak memory for any input size.
BATCH = 512


class ArtifactError(Exception):
    """A model artifact is missing, corrupt, or was built by another scikit-learn version."""


@dataclass(frozen=True)
class ClassifierOutput:
    scores: dict[str, float]
    spans: tuple[Span, ...]


@dataclass
class ToxicityClassifier:
    """Scores comments for CLASSIFIER_CATEGORIES and explains the scores with spans.

    ``coef`` rows, ``intercept``, ``platt_a`` and ``platt_b`` follow CLASSIFIER_CATEGORIES.
    probability = sigmoid(platt_a * (x · coef + intercept) + platt_b)
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

    def __post_init__(self) -> None:
        warm_up()
        self._coef_t = np.ascontiguousarray(self.coef.T, dtype=np.float32)

    def decision_function(self, normalized: list[str]) -> np.ndarray:
        """Raw linear scores, shape (len(normalized), n_categories)."""
        x = tfidf(self.featurizer.counts(normalized), self.idf, self.featurizer.n_word)
        # same dtype as the weights, or scipy would upcast the whole weight matrix per call
        return np.asarray(x.astype(np.float32) @ self._coef_t, dtype=np.float64) + self.intercept

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.platt_a * raw + self.platt_b)))

    def predict(self, text: str) -> ClassifierOutput:
        return self.predict_batch([text])[0]

    def predict_batch(self, texts: Sequence[str]) -> list[ClassifierOutput]:
        out: list[ClassifierOutput] = []
        for i in range(0, len(texts), BATCH):
            out.extend(self._predict_chunk(texts[i : i + BATCH]))
        return out

    def _predict_chunk(self, texts: Sequence[str]) -> list[ClassifierOutput]:
        normalized = [normalize(t) for t in texts]
        probs = self.calibrate(self.decision_function(normalized))
        review = np.array([self.thresholds[c]["review"] for c in CLASSIFIER_CATEGORIES])
        results = []
        for text, norm, p in zip(texts, normalized, probs, strict=True):
            cats = [j for j in range(len(CLASSIFIER_CATEGORIES)) if p[j] >= review[j]]
            spans = token_spans(self, text, norm, cats) if cats else ()
            scores = {c: float(p[j]) for j, c in enumerate(CLASSIFIER_CATEGORIES)}
            results.append(ClassifierOutput(scores=scores, spans=spans))
        return results

    def spans_for(self, text: str, categories: Sequence[str]) -> tuple[Span, ...]:
        """Spans for the given categories whatever their score (evaluation and debugging)."""
        idx = [CLASSIFIER_CATEGORIES.index(c) for c in categories]
        return token_spans(self, text, normalize(text), idx)
