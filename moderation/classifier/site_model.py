"""A site's own model, learnt from its moderators, served on top of the base classifier.

The site model is one logistic regression over

* the base model's hashed word and char n-gram counts of the comment (sublinear tf,
  L2-normalised per block, no idf: the counts are script-agnostic, so a site whose readers
  write a language the base never saw still gets features for it), and
* the base model's raw per-category linear scores (so it starts from what the base
  knows and learns how far this site's moderators agree with it).

Its output is the probability that the site's moderators reject the comment. Served, it
**replaces the base's ``toxicity`` score** for that site's comments; the other categories
(abusive, obscene, threat, discriminatory) keep the base's scores, so a site model can
raise a comment the base missed, but never silence the base's specific flags. The
policy's thresholds apply unchanged (the site's own overrides, else the base's), read as
"reject when the site's moderators would reject it with probability ≥ the reject
threshold". The features come from the base's own featurisation pass: serving reads the
chunk's n-gram counts the base already built, and computes the sublinear tf, the two
block norms and the dot product with the site weights in one pass over them
(:func:`text_scores`, through a dense column → weight map of the base's feature space,
4 bytes per column, ~5 MiB per loaded site model), so a site model costs a few numpy
passes over the chunk and no second tf-idf matrix. Training and the gate use the
reference form (:func:`text_block` then :meth:`SiteModel.decision`); a test pins the two
to the same scores.

A site model is bound to the base version it was trained on (its base scores are
features): served with another base it is stale, and the service falls back to the base
until the next ``adapt`` run.

Artifacts are plain arrays in an ``.npz`` (JSON metadata as bytes, ``allow_pickle=False``):
no code runs on load.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from moderation.classifier.features import tfidf
from moderation.classifier.model import (
    ArtifactError,
    ClassifierOutput,
    ScoredChunk,
    ToxicityClassifier,
    in_chunks,
)
from moderation.pipeline.types import CLASSIFIER_CATEGORIES

FORMAT = "moderation-site-v1"
#: The category whose score the site model replaces.
TARGET = "toxicity"
_TARGET_INDEX = CLASSIFIER_CATEGORIES.index(TARGET)


def text_block(counts: sp.csr_matrix, n_word: int) -> sp.csr_matrix:
    """The text features: sublinear tf, L2-normalised over the word and the char block."""
    return tfidf(counts, np.ones(counts.shape[1]), n_word)


def text_scores(counts: sp.csr_matrix, n_word: int, dense_weight: np.ndarray) -> np.ndarray:
    """Per row, ``text_block(counts, n_word) @ w`` for the weights ``dense_weight[column]``.

    Same sum without building the normalised matrix: per row and block (word, char),
    Σ w·tf / ‖tf‖ with tf = 1 + log(count); one gather, one log and two ``bincount``
    passes over the chunk's non-zeros.
    """
    n = counts.shape[0]
    if counts.nnz == 0:
        return np.zeros(n)
    tf = 1.0 + np.log(counts.data)
    # bin 2·row for the word block, 2·row + 1 for the char block
    bins = np.repeat(np.arange(0, 2 * n, 2), np.diff(counts.indptr))
    bins += counts.indices >= n_word
    norm = np.sqrt(np.bincount(bins, weights=tf * tf, minlength=2 * n))
    dot = np.bincount(bins, weights=dense_weight[counts.indices] * tf, minlength=2 * n)
    per_block = dot / np.maximum(norm, 1e-12)
    out: np.ndarray = per_block[0::2] + per_block[1::2]
    return out


@dataclass(frozen=True)
class SiteModel:
    """Weights of one site model. ``index`` is sorted; ``weight[i]`` is column ``index[i]``."""

    version: str
    base_version: str
    index: np.ndarray  # int64, sorted column ids of the base featurizer
    weight: np.ndarray  # float32, per column in ``index``
    base_weight: np.ndarray  # float64, per classifier category (raw base scores)
    intercept: float
    #: languages this site model was validated on (its validation set had enough of them)
    languages: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)

    def decision(self, x_text: sp.csr_matrix, base_raw: np.ndarray) -> np.ndarray:
        """Raw scores for text features and the base's raw scores of the same comments."""
        pos = np.searchsorted(self.index, x_text.indices)
        pos = np.minimum(pos, len(self.index) - 1) if len(self.index) else pos
        hit = (self.index[pos] == x_text.indices) if len(self.index) else np.zeros(0, bool)
        contrib = np.where(hit, self.weight[pos] if len(self.index) else 0.0, 0.0) * x_text.data
        row = np.repeat(np.arange(x_text.shape[0]), np.diff(x_text.indptr))
        text = np.bincount(row, weights=contrib, minlength=x_text.shape[0])
        out: np.ndarray = text + base_raw @ self.base_weight + self.intercept
        return out

    def probability(self, x_text: sp.csr_matrix, base_raw: np.ndarray) -> np.ndarray:
        return _sigmoid(self.decision(x_text, base_raw))

    def dense_weight(self, n_features: int) -> np.ndarray:
        """The weights as a column → weight map over ``n_features`` columns (0 elsewhere)."""
        if len(self.index) and int(self.index[-1]) >= n_features:
            raise ArtifactError(f"site model {self.version} has columns beyond the base's "
                                f"{n_features} features")
        dense = np.zeros(n_features, dtype=np.float32)
        dense[self.index] = self.weight
        return dense

    def probability_from_counts(self, counts: sp.csr_matrix, n_word: int,
                                dense_weight: np.ndarray, base_raw: np.ndarray) -> np.ndarray:
        """:meth:`probability` of ``text_block(counts, n_word)``, served form (see the module doc)."""
        z = text_scores(counts, n_word, dense_weight) + base_raw @ self.base_weight + self.intercept
        return _sigmoid(z)

    def to_bytes(self) -> bytes:
        meta = dict(self.metadata)
        meta.update(format=FORMAT, version=self.version, base_version=self.base_version,
                    categories=list(CLASSIFIER_CATEGORIES), languages=list(self.languages),
                    intercept=float(self.intercept))
        buf = io.BytesIO()
        np.savez_compressed(
            buf, meta=np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8),
            index=self.index.astype(np.int64), weight=self.weight.astype(np.float32),
            base_weight=self.base_weight.astype(np.float64))
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> SiteModel:
        """Load an artifact written by :meth:`to_bytes`; :class:`ArtifactError` if it is not one."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                meta = json.loads(npz["meta"].tobytes().decode())
                index, weight = npz["index"].astype(np.int64), npz["weight"].astype(np.float32)
                base_weight = npz["base_weight"].astype(np.float64)
        except (OSError, ValueError, KeyError) as exc:
            raise ArtifactError(f"corrupt site model artifact: {exc}") from exc
        if meta.get("format") != FORMAT:
            raise ArtifactError(f"unknown site model format {meta.get('format')!r}, want {FORMAT}")
        if tuple(meta.get("categories", ())) != CLASSIFIER_CATEGORIES:
            raise ArtifactError("site model categories do not match the classifier's")
        if index.shape != weight.shape or base_weight.shape != (len(CLASSIFIER_CATEGORIES),) or (
                len(index) > 1 and bool(np.any(np.diff(index) <= 0))):
            raise ArtifactError("site model arrays are inconsistent")
        return cls(version=str(meta["version"]), base_version=str(meta["base_version"]),
                   index=index, weight=weight, base_weight=base_weight,
                   intercept=float(meta["intercept"]), languages=tuple(meta.get("languages", ())),
                   metadata=meta)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))
    return out


def fast_tier(classifier: Any) -> ToxicityClassifier | None:
    """The linear fast tier of a service classifier (itself, or a cascade's ``fast``)."""
    if isinstance(classifier, ToxicityClassifier):
        return classifier
    fast = getattr(classifier, "fast", None)
    return fast if isinstance(fast, ToxicityClassifier) else None


@dataclass
class SiteAdaptedClassifier:
    """The base's fast tier with a site model's score as ``toxicity`` (see the module doc).

    ``version`` is ``<base version>+<site model version>``: the verdicts it decides record
    both. ``languages``: the base's, plus those the site model was validated on.
    """

    base: ToxicityClassifier
    site: SiteModel
    base_languages: tuple[str, ...] = ("en",)
    _dense: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.site.base_version != self.base.version:
            raise ArtifactError(f"site model {self.site.version} was trained on base "
                                f"{self.site.base_version}, not {self.base.version}")
        self._dense = self.site.dense_weight(self.base.featurizer.n_features)

    @property
    def version(self) -> str:
        return f"{self.base.version}+{self.site.version}"

    @property
    def thresholds(self) -> dict[str, dict[str, float]]:
        return self.base.thresholds

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.base_languages, *self.site.languages)))

    def predict(self, text: str) -> ClassifierOutput:
        return self.predict_batch([text])[0]

    def predict_batch(self, texts: Sequence[str]) -> list[ClassifierOutput]:
        return in_chunks(self._predict_chunk, texts)

    def probabilities(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(base probabilities, site probabilities) without spans (evaluation)."""
        base, site = [], []
        for i in range(0, len(texts), 512):
            chunk = self.base.score_chunk(texts[i : i + 512])
            base.append(self.base.calibrate(chunk.raw))
            site.append(self._site_probability(chunk))
        if not base:
            return np.zeros((0, len(CLASSIFIER_CATEGORIES))), np.zeros(0)
        return np.vstack(base), np.concatenate(site)

    def _predict_chunk(self, texts: Sequence[str]) -> list[ClassifierOutput]:
        chunk = self.base.score_chunk(texts)
        probs = self.base.calibrate(chunk.raw)
        probs[:, _TARGET_INDEX] = self._site_probability(chunk)
        return self.base.explain_chunk(chunk, probs, self.thresholds)

    def _site_probability(self, chunk: ScoredChunk) -> np.ndarray:
        return self.site.probability_from_counts(
            chunk.feats.counts, self.base.featurizer.n_word, self._dense, chunk.raw)
