"""Explanations: per-token contributions to a category's linear score, mapped to the original text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from moderation.classifier.features import ChunkFeatures, HashedFeaturizer, Occurrences, tfidf
from moderation.classifier.normalize import normalize_with_offsets, offsets_from_stages, to_original
from moderation.classifier.word_priors import WordPriors
from moderation.pipeline.types import CLASSIFIER_CATEGORIES, Span


class LinearModel(Protocol):
    """What explanations read of the fast tier (``model.ToxicityClassifier`` has it all)."""

    featurizer: HashedFeaturizer
    idf: np.ndarray
    coef: np.ndarray
    priors: WordPriors | None
    span_rel: float
    span_abs: float


def token_contributions(
    clf: LinearModel, normalized: str, categories: Sequence[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(token_start, token_end, contributions[len(categories), n_tokens], fallback) in
    normalised offsets.

    A token's contribution is Σ coef[f] · x[f] · (its occurrences of f / all occurrences
    of f) over the features f it produced; summed over tokens (plus the intercept) this
    is exactly the linear part of the score. ``fallback[row]`` is what the word-prior table
    adds instead (:mod:`moderation.classifier.word_priors`): (index of the word that
    supplied the comment's prior, weight × that prior), or (-1, 0) — see
    :func:`kept_tokens`.
    """
    f = clf.featurizer
    occ = f.occurrences([normalized])
    counts = f._counts_from(occ, 1)
    x = tfidf(counts, clf.idf, f.n_word)
    n_tok = len(occ.token_start)
    contrib = np.zeros((len(categories), n_tok))
    value, arg = _pooled_priors(clf, occ, 1)
    cats = list(categories)
    fallback = np.stack([arg[0, cats], _prior_weight(clf)[cats] * value[0, cats]], axis=1)
    if n_tok == 0 or x.nnz == 0:
        return occ.token_start, occ.token_end, contrib, fallback
    # value per unit count of every feature present in the doc
    per_unit = x.data / counts.data  # same sparsity pattern (tfidf copies the counts matrix)
    order = np.argsort(x.indices)
    pos = order[np.searchsorted(x.indices[order], occ.feature)]
    for row, cat in enumerate(categories):
        w = clf.coef[cat, x.indices] * per_unit
        contrib[row] = np.bincount(occ.token, weights=w[pos] * occ.share, minlength=n_tok)
    return occ.token_start, occ.token_end, contrib, fallback


def kept_tokens(contrib: np.ndarray, fallback: np.ndarray, rel: float, ab: float,
                fallbacks: bool = True) -> np.ndarray:
    """The tokens a category's span covers, so that every reason points at text:

    1. the tokens whose contribution reaches max(rel × the top contribution, ab), when the
       top one exceeds ``ab`` (the rule tuned on Civil's gold spans);
    2. else the word that supplied the comment's prior (``fallback``), when the prior added
       more than any token and something at all;
    3. else the tokens within ``rel`` of the top one, when it is positive (a category
       flagged at a low threshold by many weak tokens);
    4. else none (no positive evidence; the score is the intercept's).

    Without ``fallbacks``, rule 1 alone (how the spans were chosen before; the model card
    measures it on every comment, as in SemEval-2021 Task 5).
    """
    top = float(contrib.max()) if len(contrib) else 0.0
    if top > ab:
        return np.flatnonzero(contrib >= max(rel * top, ab))
    if not fallbacks:
        return np.zeros(0, dtype=np.int64)
    tok, val = int(fallback[0]), float(fallback[1])
    if tok >= 0 and val > 0 and val >= top:
        return np.array([tok])
    if top > 0:
        return np.flatnonzero(contrib >= rel * top)
    return np.zeros(0, dtype=np.int64)


def _prior_weight(clf: LinearModel) -> np.ndarray:
    return clf.priors.weight if clf.priors is not None else np.zeros(len(CLASSIFIER_CATEGORIES))


def _pooled_priors(clf: LinearModel, occ: Occurrences, n_docs: int) -> tuple[np.ndarray, np.ndarray]:
    if clf.priors is None:
        n_cat = len(CLASSIFIER_CATEGORIES)
        return np.zeros((n_docs, n_cat)), np.full((n_docs, n_cat), -1, dtype=np.int64)
    return clf.priors.pooled(occ.token_hash, occ.token_doc, n_docs)


def token_spans(
    clf: LinearModel, text: str, normalized: str, categories: Sequence[int]
) -> tuple[Span, ...]:
    """Merged, non-overlapping spans per category, in offsets of the original ``text``.

    The straightforward one-text form, kept as the reference that ``batch_spans`` is
    tested against.
    """
    starts, ends, contrib, fallback = token_contributions(clf, normalized, categories)
    if len(starts) == 0:
        return ()
    norm2, offsets = normalize_with_offsets(text)
    assert norm2 == normalized, "normalize and normalize_with_offsets disagree"
    spans: list[Span] = []
    for row, cat in enumerate(categories):
        keep = kept_tokens(contrib[row], fallback[row], clf.span_rel, clf.span_abs)
        if len(keep) == 0:
            continue
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


def batch_spans(
    clf: LinearModel,
    texts: Sequence[str],
    stages: Sequence[tuple[str, ...]],
    feats: ChunkFeatures,
    requests: Sequence[Sequence[int]],
    prior_value: np.ndarray | None = None,
) -> list[tuple[Span, ...]]:
    """``token_spans`` for a whole chunk at once, reusing the features the scores came from.

    ``stages[d]`` is ``normalize_stages(texts[d])``; ``feats`` holds the occurrences,
    counts and tf-idf rows of the chunk's normalised texts;
    ``requests[d]`` lists the category indices to explain for text ``d`` (often none);
    ``prior_value`` is the pooled word priors the scores used (recomputed when None).
    Gives exactly what ``token_spans`` gives per text: the per-token sums are added in
    the same order, so the contributions are bit-identical.
    """
    n = len(texts)
    occ = feats.occ
    out: list[tuple[Span, ...]] = [()] * n
    docs = [d for d in range(n) if requests[d]]
    n_tok = len(occ.token_start)
    if not docs or n_tok == 0:
        return out
    n_cat = len(CLASSIFIER_CATEGORIES)
    want = np.zeros((n, n_cat), dtype=bool)
    for d in docs:
        want[d, list(requests[d])] = True

    # occurrences of the texts that need spans, in their original order
    doc_wanted = np.asarray(want.any(axis=1), dtype=bool)
    sel = doc_wanted[occ.doc]
    o_doc, o_feat, o_tok, o_share = occ.doc[sel], occ.feature[sel], occ.token[sel], occ.share[sel]
    # value per unit count of every feature present (tfidf keeps the counts' sparsity)
    o_unit = (feats.x.data / feats.counts.data)[feats.entry[sel]]

    tok_doc = occ.token_doc
    bounds = np.arange(n + 1)
    tok_lo = np.searchsorted(tok_doc, bounds[:-1], side="left")
    tok_hi = np.searchsorted(tok_doc, bounds[:-1], side="right")
    has_tok = tok_hi > tok_lo
    seg_start = tok_lo[has_tok]  # docs with tokens partition the token range in order

    kept_lo: dict[int, np.ndarray] = {}
    kept_hi: dict[int, np.ndarray] = {}
    kept_tok: dict[int, np.ndarray] = {}
    # the pooled priors (scoring passes the values it used; the supplying words are looked
    # up only when a doc needs rule 2 of kept_tokens)
    weight = _prior_weight(clf)
    if prior_value is None or clf.priors is None:
        value, arg_all = _pooled_priors(clf, occ, n)
        arg: np.ndarray | None = arg_all
    else:
        value, arg = prior_value, None
    for cat in range(n_cat):
        if not want[:, cat].any():
            continue
        coef = clf.coef[cat]
        if want[doc_wanted, cat].all():  # typical: every flagged text wants "toxicity"
            w = coef[o_feat] * o_unit * o_share
            contrib = np.bincount(o_tok, weights=w, minlength=n_tok)
        else:
            m = want[:, cat][o_doc]
            w = coef[o_feat[m]] * o_unit[m] * o_share[m]
            contrib = np.bincount(o_tok[m], weights=w, minlength=n_tok)
        # the rules of kept_tokens, for every doc at once
        top = np.zeros(n)
        top[has_tok] = np.maximum.reduceat(contrib, seg_start)
        wanted = want[:, cat] & has_tok
        strong = wanted & (top > clf.span_abs)  # rule 1
        fb_val = weight[cat] * value[:, cat]
        prior = wanted & ~strong & (fb_val > 0) & (fb_val >= top)  # rule 2
        if prior.any() and arg is None:
            arg = _pooled_priors(clf, occ, n)[1]
        if arg is not None:
            prior &= arg[:, cat] >= 0
        weak = wanted & ~strong & ~prior & (top > 0)  # rule 3
        thresh = np.where(strong, np.maximum(clf.span_rel * top, clf.span_abs),
                          np.where(weak, clf.span_rel * top, np.inf))
        kept = np.flatnonzero(contrib >= thresh[tok_doc])
        if prior.any() and arg is not None:
            kept = np.union1d(kept, arg[prior, cat])
        kept_tok[cat] = kept
        kept_lo[cat] = np.searchsorted(kept, tok_lo)
        kept_hi[cat] = np.searchsorted(kept, tok_hi)

    for d in docs:
        if not has_tok[d]:
            continue
        text = texts[d]
        offsets: list[int] | None = None
        spans: list[Span] = []
        for cat in requests[d]:
            a, b = int(kept_lo[cat][d]), int(kept_hi[cat][d])
            if a == b:
                continue
            if offsets is None:
                offsets = offsets_from_stages(text, stages[d])
            toks = kept_tok[cat][a:b]
            starts = occ.token_start[toks].tolist()
            ends = occ.token_end[toks].tolist()
            ranges = [to_original(text, offsets, s, e) for s, e in zip(starts, ends, strict=True)]
            spans.extend(_merge(text, ranges, CLASSIFIER_CATEGORIES[cat]))
        out[d] = tuple(spans)
    return out
