"""Explanations: per-token contributions to a category's linear score, mapped to the original text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from moderation.classifier.features import tfidf
from moderation.classifier.normalize import normalize_with_offsets, to_original
from moderation.pipeline.types import CLASSIFIER_CATEGORIES, Span

if TYPE_CHECKING:
    from moderation.classifier.model import ToxicityClassifier


def token_contributions(
    clf: ToxicityClassifier, normalized: str, categories: Sequence[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(token_start, token_end, contributions[len(categories), n_tokens]) in normalised offsets.

    A token's contribution is Σ coef[f] · x[f] · (its occurrences of f / all occurrences
    of f) over the features f it produced; summed over tokens (plus the intercept) this
    is exactly the linear score.
    """
    f = clf.featurizer
    occ = f.occurrences([normalized])
    counts = f._counts_from(occ, 1)
    x = tfidf(counts, clf.idf, f.n_word)
    n_tok = len(occ.token_start)
    contrib = np.zeros((len(categories), n_tok))
    if n_tok == 0 or x.nnz == 0:
        return occ.token_start, occ.token_end, contrib
    # value per unit count of every feature present in the doc
    per_unit = x.data / counts.data  # same sparsity pattern (tfidf copies the counts matrix)
    order = np.argsort(x.indices)
    pos = order[np.searchsorted(x.indices[order], occ.feature)]
    for row, cat in enumerate(categories):
        w = clf.coef[cat, x.indices] * per_unit
        contrib[row] = np.bincount(occ.token, weights=w[pos] * occ.share, minlength=n_tok)
    return occ.token_start, occ.token_end, contrib


def token_spans(
    clf: ToxicityClassifier, text: str, normalized: str, categories: Sequence[int]
) -> tuple[Span, ...]:
    """Merged, non-overlapping spans per category, in offsets of the original ``text``."""
    starts, ends, contrib = token_contributions(clf, normalized, categories)
    if len(starts) == 0:
        return ()
    norm2, offsets = normalize_with_offsets(text)
    assert norm2 == normalized, "normalize and normalize_with_offsets disagree"
    spans: list[Span] = []
    for row, cat in enumerate(categories):
        c = contrib[row]
        top = float(c.max())
        if top <= clf.span_abs:
            continue
        keep = np.flatnonzero(c >= max(clf.span_rel * top, clf.span_abs))
        ranges = [to_original(text, offsets, int(starts[k]), int(ends[k])) for k in keep]
        spans.extend(_merge(text, ranges, CLASSIFIER_CATEGORIES[cat]))
    return tuple(spans)


def _merge(text: str, ranges: list[tuple[int, int]], category: str) -> list[Span]:
    """Join ranges separated only by spaces/punctuation; never emit overlapping spans."""
    out: list[list[int]] = []
    for s, e in sorted(ranges):
        if out and (s <= out[-1][1] or not text[out[-1][1] : s].strip(" \t\n,.;:-*'\"")):
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [Span(s, e, category) for s, e in out]
