"""Platt calibration and review/reject thresholds from out-of-fold scores.

Calibration and thresholds use the comment-style sources pooled, each source counting
equally; probabilities are then shifted to the base rate of Jigsaw's uniformly sampled rows,
so that they read as "chance for a typical comment".
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from moderation.training import evaluation as ev
from moderation.training.config import CATS, POOL_SOURCES, REJECT_PRECISION, REVIEW_PRECISION
from moderation.training.corpora import Corpus


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def platt(raw: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Platt scaling fitted on weighted OOF scores of the validation pool."""
    lr = LogisticRegression(C=1e4).fit(raw.reshape(-1, 1), y, sample_weight=w * len(w) / w.sum())
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def pool_weights(sources: np.ndarray) -> np.ndarray:
    """Weights making every source count equally in a pooled validation set."""
    uniq, inv, counts = np.unique(sources, return_inverse=True, return_counts=True)
    return 1.0 / counts[inv]


def validation_pool(corpus: Corpus, j: int) -> tuple[np.ndarray, list[str], np.ndarray, float, float]:
    """Validation pool of category ``j``: (mask, sources, weights, prevalence, stream rate).

    Every comment-style source that labels both classes, each source counting equally
    (weight 1/rows), so the pool's prevalence is the mean of the sources' prevalences. The
    stream rate is the base rate of Jigsaw's uniformly sampled rows.
    """
    y = corpus.labels[:, j]
    pool = ~np.isnan(y) & np.isin(corpus.sources, POOL_SOURCES)
    srcs = [str(s) for s in np.unique(corpus.sources[pool])
            if 0 < np.nansum(y[pool & (corpus.sources == s)]) < (pool & (corpus.sources == s)).sum()
            ]
    pool &= np.isin(corpus.sources, srcs)
    w = pool_weights(corpus.sources[pool])
    prevalence = float((w * y[pool]).sum() / w.sum())
    rate = float(np.clip(np.nanmean(y[corpus.jigsaw_random]), 1e-3, 0.5))
    return pool, srcs, w, prevalence, rate


def calibrate_pool(corpus: Corpus, oof: np.ndarray) -> dict[str, tuple[float, float]]:
    """Platt (a, b) per category from OOF raw scores on the validation pool, shifted from the
    pool's prevalence to the stream rate (monotone: decisions do not change)."""
    calib: dict[str, tuple[float, float]] = {}
    for j, c in enumerate(CATS):
        pool, _, w, prevalence, rate = validation_pool(corpus, j)
        pa, pb = platt(oof[pool, j], corpus.labels[pool, j], w)
        calib[c] = (pa, pb + _logit(rate) - _logit(prevalence))
    return calib


def observed(y: np.ndarray, p: np.ndarray, t: dict[str, float]) -> dict[str, float]:
    """Flagged count, precision and recall at the review and reject thresholds ``t``."""
    out: dict[str, float] = {}
    for k in ("reject", "review"):
        flag = p >= t[k]
        out[f"{k}_flagged"] = int(flag.sum())
        out[f"{k}_precision"] = float(y[flag].mean()) if flag.any() else float("nan")
        out[f"{k}_recall"] = float(flag[y == 1].mean()) if (y == 1).any() else float("nan")
    return out


def ece(y: np.ndarray, p: np.ndarray, bins: int = 10, weight: np.ndarray | None = None) -> float:
    """Expected calibration error over ``bins`` equal-width probability bins."""
    w = np.ones(len(y)) if weight is None else weight / weight.sum() * len(y)
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            wm = w[m]
            total += wm.sum() / w.sum() * abs(np.average(p[m], weights=wm) - np.average(y[m], weights=wm))
    return float(total)


def thresholds_for(
    corpus: Corpus, p: np.ndarray
) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """Review/reject thresholds per category for calibrated OOF probabilities ``p``.

    Precision targets (:data:`REJECT_PRECISION`, :data:`REVIEW_PRECISION`) are met on the
    validation pool of :func:`validation_pool`.
    """
    thresholds: dict[str, dict[str, float]] = {}
    out: dict[str, Any] = {}
    for j, c in enumerate(CATS):
        y = corpus.labels[:, j]
        pool, srcs, w, prevalence, rate = validation_pool(corpus, j)
        yp = y[pool]
        rej = ev.threshold_for_precision(yp, p[pool, j], prevalence, REJECT_PRECISION, weight=w)
        rev = ev.threshold_for_precision(yp, p[pool, j], prevalence, REVIEW_PRECISION[c], weight=w)
        review_t = min(rev[0], rej[0])
        thresholds[c] = {"reject": round(rej[0], 4), "review": round(review_t, 4)}
        rr = corpus.jigsaw_random & ~np.isnan(y)
        out[c] = {
            "pool_sources": srcs,
            "pool_prevalence": prevalence,
            "stream_rate": rate,
            "review_precision_target": REVIEW_PRECISION[c],
            "reject": {"threshold": rej[0], "recall": rej[1], "precision": rej[2]},
            "review": {"threshold": review_t, "recall": rev[1], "precision": rev[2]},
            "jigsaw_random_observed": observed(y[rr], p[rr, j], thresholds[c]),
            "ece_jigsaw_random": ece(y[rr], p[rr, j]),
        }
    return thresholds, out


def choose_thresholds(
    corpus: Corpus, oof: np.ndarray
) -> tuple[dict[str, tuple[float, float]], dict[str, dict[str, float]], dict[str, Any]]:
    """Platt calibration (:func:`calibrate_pool`) and review/reject thresholds
    (:func:`thresholds_for`) per category from OOF raw scores.

    Probabilities are shifted to the base rate of Jigsaw's uniform sample, so that they read
    as "chance for a typical comment" (the pre-moderation policy compares them with
    ``clean_below``).
    """
    calib = calibrate_pool(corpus, oof)
    a = np.array([calib[c][0] for c in CATS])
    b = np.array([calib[c][1] for c in CATS])
    thresholds, out = thresholds_for(corpus, sigmoid(a * oof + b))
    return calib, thresholds, out
