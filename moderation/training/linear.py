"""Fitting the fast tier's linear heads: per-source class weights, grouped folds, raw scores.

Every category learns from every corpus that labels it, with per-source class weights: within
each source its positives and its negatives carry equal total weight, and each source's total
is capped, so neither a corpus's base rate nor its style (Wikipedia talk, news comments,
tweets) can predict the label.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from tqdm import tqdm

from moderation.classifier.features import HashedFeaturizer, document_frequency, idf_from_df, tfidf
from moderation.training.config import (
    C_VALUES,
    CATS,
    HATE_TEMPLATE_WEIGHT,
    HATE_TEMPLATES,
    MAX_ITER,
    SOLVER,
    SOURCE_CAP,
    SOURCE_MULTIPLIER,
    TEMPLATE_WEIGHT,
    TEMPLATES,
    TOL,
)


def _fit(x: sp.csr_matrix, y: np.ndarray, w: np.ndarray, c: float, seed: int) -> tuple[np.ndarray, float]:
    lr = LogisticRegression(C=c, solver=SOLVER, max_iter=MAX_ITER, tol=TOL, random_state=seed)
    lr.fit(x, y, sample_weight=w)
    return lr.coef_[0].astype(np.float32), float(lr.intercept_[0])


def source_weights(sources: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-row weights for one category (``y`` NaN = unlabelled → weight 0), mean 1.

    Within each source positives and negatives get equal total weight
    min(rows, SOURCE_CAP) · SOURCE_MULTIPLIER[source] / 2;
    a source with a single class is left out (it would teach its style, not the label),
    except the identity templates (negatives by design) and the hate templates (positives by
    design), which get fixed total weights.
    """
    w = np.zeros(len(y))
    known = ~np.isnan(y)
    for src in np.unique(sources[known]):
        m = known & (sources == src)
        if src == TEMPLATES:
            w[m] = TEMPLATE_WEIGHT / m.sum()
            continue
        if src == HATE_TEMPLATES:
            w[m] = HATE_TEMPLATE_WEIGHT / m.sum()
            continue
        pos, neg = m & (y == 1), m & (y == 0)
        if not pos.any() or not neg.any():
            continue
        total = min(float(m.sum()), SOURCE_CAP) * SOURCE_MULTIPLIER.get(str(src), 1.0)
        w[pos] = total / (2 * pos.sum())
        w[neg] = total / (2 * neg.sum())
    return w / w[w > 0].mean() if (w > 0).any() else w


def fit_linear(
    counts: sp.csr_matrix,
    labels: np.ndarray,
    sources: np.ndarray | None,
    rows: np.ndarray,
    featurizer: HashedFeaturizer,
    cats: tuple[str, ...],
    seed: int,
    progress: bool,
    desc: str,
    c_values: dict[str, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit the given categories on ``rows``: (idf, coef[len(CATS), F], intercept[len(CATS)]).

    With ``sources`` rows are weighted by :func:`source_weights`; without, uniformly.
    ``c_values`` overrides :data:`C_VALUES`.
    """
    cs = C_VALUES if c_values is None else c_values
    idf = idf_from_df(document_frequency(counts[rows]), len(rows))
    x = tfidf(counts[rows], idf, featurizer.n_word).astype(np.float32)
    coef = np.zeros((len(CATS), featurizer.n_features), dtype=np.float32)
    intercept = np.zeros(len(CATS))
    for cat in tqdm(cats, desc=desc, disable=not progress, leave=False):
        j = CATS.index(cat)
        y = labels[rows, j]
        if sources is None:
            w = (~np.isnan(y)).astype(np.float64)
        else:
            w = source_weights(sources[rows], y)
        use = w > 0
        coef[j], intercept[j] = _fit(x[use], y[use], w[use], cs[cat], seed)
    return idf, coef, intercept


def raw_scores(
    counts: sp.csr_matrix, rows: np.ndarray, idf: np.ndarray, coef: np.ndarray,
    intercept: np.ndarray, featurizer: HashedFeaturizer,
) -> np.ndarray:
    x = tfidf(counts[rows], idf, featurizer.n_word).astype(np.float32)
    return np.asarray(x @ coef.T) + intercept


def grouped_folds(groups: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    uniq, inv = np.unique(groups, return_inverse=True)
    perm = np.random.default_rng(seed).permutation(len(uniq))
    return (perm % n_folds)[inv]
