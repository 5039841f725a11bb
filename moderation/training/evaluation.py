"""Metrics used for model selection and the model card (training-time only)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

#: Identity terms for the bias audit, grouped. Indian context first: the first customers
#: are Indian news sites.
IDENTITY_TERMS: dict[str, tuple[str, ...]] = {
    "religion": ("hindu", "hindus", "muslim", "muslims", "islam", "islamic", "christian",
                 "christians", "sikh", "sikhs", "jain", "buddhist", "jew", "jews", "jewish",
                 "catholic", "atheist"),
    "caste": ("dalit", "dalits", "brahmin", "brahmins", "caste", "castes", "kshatriya",
              "shudra", "adivasi", "obc"),
    "gender_sexuality": ("woman", "women", "female", "girl", "girls", "man", "men", "male",
                         "gay", "lesbian", "transgender", "trans", "queer", "homosexual"),
    "nationality_ethnicity": ("indian", "indians", "pakistani", "pakistanis", "chinese",
                              "american", "americans", "mexican", "mexicans", "african",
                              "black", "white", "asian", "arab", "kashmiri", "bengali",
                              "tamil", "immigrant", "immigrants"),
}
_TERM_RE = {
    g: re.compile(r"\b(?:" + "|".join(terms) + r")\b", re.IGNORECASE) for g, terms in IDENTITY_TERMS.items()
}


def identity_groups(text: str) -> list[str]:
    return [g for g, rx in _TERM_RE.items() if rx.search(text)]


def binary_metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    """ROC AUC, PR AUC, F1 at ``threshold`` and best F1 over thresholds."""
    out: dict[str, float] = {"n": float(len(y)), "positives": float(y.sum())}
    if 0 < y.sum() < len(y):
        out["roc_auc"] = float(roc_auc_score(y, p))
        out["pr_auc"] = float(average_precision_score(y, p))
    out["f1"] = float(f1_score(y, p >= threshold, zero_division=0))
    out["best_f1"] = best_f1(y, p)
    return out


def best_f1(y: np.ndarray, p: np.ndarray) -> float:
    order = np.argsort(-p)
    ys = y[order]
    tp = np.cumsum(ys)
    k = np.arange(1, len(ys) + 1)
    pos = ys.sum()
    if pos == 0:
        return 0.0
    f1 = 2 * tp / (k + pos)
    return float(f1.max())


def precision_at_prior(
    y: np.ndarray, p: np.ndarray, prior: float, weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thresholds (descending), TPR and precision at base rate ``prior``.

    The validation pools are enriched with positives; precision at the base rate of
    uniformly sampled comments is π·TPR / (π·TPR + (1-π)·FPR). ``weight`` lets several
    sources count equally in the pooled TPR/FPR whatever their sizes.
    """
    w = np.ones(len(y)) if weight is None else weight
    order = np.argsort(-p, kind="stable")
    ps, ys, ws = p[order], y[order], w[order]
    tpr = np.cumsum(ws * ys) / max(float((ws * ys).sum()), 1e-12)
    fpr = np.cumsum(ws * (1 - ys)) / max(float((ws * (1 - ys)).sum()), 1e-12)
    prec = prior * tpr / np.maximum(prior * tpr + (1 - prior) * fpr, 1e-12)
    return ps, tpr, prec


def threshold_for_precision(
    y: np.ndarray, p: np.ndarray, prior: float, target: float, min_tp: int = 5,
    weight: np.ndarray | None = None,
) -> tuple[float, float, float]:
    """Lowest threshold whose precision (at ``prior``) stays ≥ target for all higher thresholds.

    Returns (threshold, recall, precision). If no threshold with at least ``min_tp``
    true positives reaches the target, the threshold with the best precision is returned.
    """
    ps, tpr, prec = precision_at_prior(y, p, prior, weight)
    tp = np.cumsum(y[np.argsort(-p, kind="stable")])
    # running minimum from the top: precision for every threshold at or above this one
    envelope = np.minimum.accumulate(np.where(tp >= min_tp, prec, 1.0))
    ok = np.flatnonzero((envelope >= target) & (tp >= min_tp))
    if len(ok):
        i = int(ok[-1])
    else:
        cand = np.flatnonzero(tp >= min_tp)
        i = int(cand[np.argmax(prec[cand])]) if len(cand) else 0
    return float(ps[i]), float(tpr[i]), float(prec[i])


def char_f1(pred: set[int], gold: set[int]) -> float:
    """SemEval-2021 Task 5 per-post F1: both empty → 1, one empty → 0."""
    if not gold and not pred:
        return 1.0
    if not gold or not pred:
        return 0.0
    tp = len(pred & gold)
    if tp == 0:
        return 0.0
    prec, rec = tp / len(pred), tp / len(gold)
    return 2 * prec * rec / (prec + rec)


def span_chars(spans: Iterable[tuple[int, int]]) -> set[int]:
    out: set[int] = set()
    for s, e in spans:
        out.update(range(s, e))
    return out
