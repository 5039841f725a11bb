"""Train a site's model from its moderators' labels, and gate it against the base.

Pure: examples in, a :class:`~moderation.classifier.site_model.SiteModel` and a report
out (no database, no Flask, no Celery). The service (``moderation/services/adaptation.py``)
gathers the examples and stores the result.

Steps:

1. refuse unless each class (approved, rejected) has ``min_per_class`` labels;
2. hold out the most recent ``holdout_fraction`` of the labels (by time) for validation;
3. fit the logistic regression on the older labels and compare, on the held-out ones,
   its ROC AUC with the base's (the base's ``toxicity`` probability, the score the site
   model replaces);
4. activate only if it beats the base by ``margin``; then refit on every label (the most
   recent decisions are the ones that matter most) with the same settings.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from moderation.classifier.model import ToxicityClassifier
from moderation.classifier.site_model import TARGET, SiteModel, text_block
from moderation.pipeline.types import CLASSIFIER_CATEGORIES

_TARGET = CLASSIFIER_CATEGORIES.index(TARGET)


@dataclass(frozen=True)
class Example:
    """One label: the comment's text, whether the site rejected it, and when it was given."""

    text: str
    rejected: bool
    at: datetime
    category: str | None = None
    language: str | None = None
    source: str = "decision"  # "decision" or a feedback source ("perspective.suggestscore")


@dataclass(frozen=True)
class AdaptConfig:
    min_per_class: int = 50
    holdout_fraction: float = 0.2
    #: the held-out set needs this many of each class to say anything
    min_holdout_per_class: int = 10
    #: the site model must beat the base's validation ROC AUC by this much
    margin: float = 0.02
    #: inverse L2 strength of the logistic regression
    c: float = 8.0
    max_iter: int = 300
    #: a language is declared covered by the site model when its held-out labels hold
    #: this many of each class and the site model's AUC on them reaches language_floor
    language_min_per_class: int = 20
    language_floor: float = 0.80


class NotEnoughLabels(ValueError):
    """The site has too few labels of a class to train (or to validate)."""


@dataclass(frozen=True)
class Scored:
    """The base's raw scores and the site features of a set of texts."""

    x_text: sp.csr_matrix
    base_raw: np.ndarray
    base_prob: np.ndarray  # the base's probability of TARGET

    def rows(self, idx: np.ndarray) -> Scored:
        return Scored(self.x_text[idx], self.base_raw[idx], self.base_prob[idx])


def score_texts(base: ToxicityClassifier, texts: Sequence[str], chunk: int = 2048) -> Scored:
    """Run the base once over ``texts``: site text features, raw base scores, base probability."""
    xs, raws = [], []
    for i in range(0, len(texts), chunk):
        part = base.score_chunk(texts[i : i + chunk])
        xs.append(text_block(part.feats.counts, base.featurizer.n_word))
        raws.append(part.raw)
    if not xs:
        n = base.featurizer.n_features
        return Scored(sp.csr_matrix((0, n)), np.zeros((0, len(CLASSIFIER_CATEGORIES))), np.zeros(0))
    raw = np.vstack(raws)
    return Scored(sp.vstack(xs, format="csr"), raw, base.calibrate(raw)[:, _TARGET])


def fit(scored: Scored, y: np.ndarray, config: AdaptConfig, *, version: str,
        base_version: str) -> SiteModel:
    """Logistic regression on the columns these texts use (the others keep weight 0)."""
    cols = np.unique(scored.x_text.indices)
    remap = np.zeros(scored.x_text.shape[1], dtype=np.int64)
    remap[cols] = np.arange(len(cols))
    x = scored.x_text
    compact = sp.csr_matrix((x.data, remap[x.indices], x.indptr), shape=(x.shape[0], len(cols)))
    design = sp.hstack([compact, sp.csr_matrix(scored.base_raw)], format="csr")
    model = LogisticRegression(C=config.c, max_iter=config.max_iter, solver="lbfgs")
    with warnings.catch_warnings():  # max_iter is a deliberate bound on training time
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(design, y)
    coef = model.coef_[0]
    weight = coef[: len(cols)]
    keep = weight != 0
    return SiteModel(version=version, base_version=base_version, index=cols[keep].astype(np.int64),
                     weight=weight[keep].astype(np.float32),
                     base_weight=coef[len(cols):].astype(np.float64),
                     intercept=float(model.intercept_[0]))


def auc(y: np.ndarray, score: np.ndarray) -> float | None:
    return float(roc_auc_score(y, score)) if 0 < int(y.sum()) < len(y) else None


@dataclass
class AdaptResult:
    """What a run decided, with the figures behind it (stored with the model version)."""

    activate: bool
    reason: str
    model: SiteModel | None
    counts: dict[str, Any]
    validation: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {"activate": self.activate, "reason": self.reason, "counts": self.counts,
                "validation": self.validation, "seconds": round(self.seconds, 2)}


def label_counts(examples: Sequence[Example]) -> dict[str, Any]:
    rejected = sum(e.rejected for e in examples)
    categories: dict[str, int] = {}
    languages: dict[str, int] = {}
    sources: dict[str, int] = {}
    for e in examples:
        if e.category:
            categories[e.category] = categories.get(e.category, 0) + 1
        languages[e.language or "und"] = languages.get(e.language or "und", 0) + 1
        sources[e.source] = sources.get(e.source, 0) + 1
    return {"total": len(examples), "approved": len(examples) - rejected, "rejected": rejected,
            "categories": categories, "languages": languages, "sources": sources}


def split_by_time(examples: Sequence[Example], fraction: float) -> tuple[list[Example], list[Example]]:
    """(older, most recent ``fraction``), ordered by time (stable for equal times)."""
    ordered = sorted(examples, key=lambda e: e.at)
    n_hold = int(round(len(ordered) * fraction))
    return ordered[: len(ordered) - n_hold], ordered[len(ordered) - n_hold :]


def adapt(
    base: ToxicityClassifier, examples: Sequence[Example], config: AdaptConfig, *, version: str,
    progress: Callable[[str], None] | None = None,
) -> AdaptResult:
    """Train, validate and gate a site model (see the module doc)."""
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    counts = label_counts(examples)
    for label in ("approved", "rejected"):
        if counts[label] < config.min_per_class:
            raise NotEnoughLabels(
                f"{counts[label]} {label} labels; at least {config.min_per_class} of each are "
                f"needed ({counts['approved']} approved, {counts['rejected']} rejected so far)")
    train, hold = split_by_time(examples, config.holdout_fraction)
    y_hold = np.array([e.rejected for e in hold], dtype=np.int64)
    for label, n in (("approved", len(y_hold) - int(y_hold.sum())), ("rejected", int(y_hold.sum()))):
        if n < config.min_holdout_per_class:
            raise NotEnoughLabels(
                f"the most recent {len(hold)} labels (held out for validation) hold {n} {label}; "
                f"at least {config.min_holdout_per_class} are needed")
    y_train = np.array([e.rejected for e in train], dtype=np.int64)
    if y_train.min() == y_train.max():
        raise NotEnoughLabels("the labels before the held-out ones are all of one class")
    say(f"scoring {len(examples)} labelled comments with base {base.version}")
    scored = score_texts(base, [e.text for e in train] + [e.text for e in hold])
    s_train = scored.rows(np.arange(len(train)))
    s_hold = scored.rows(np.arange(len(train), len(examples)))
    say(f"training on {len(train)} older labels, validating on the {len(hold)} most recent")
    candidate = fit(s_train, y_train, config, version=version, base_version=base.version)
    p_site = candidate.probability(s_hold.x_text, s_hold.base_raw)
    site_auc, base_auc = auc(y_hold, p_site), auc(y_hold, s_hold.base_prob)
    assert site_auc is not None and base_auc is not None  # both classes are in y_hold
    languages, per_language = _language_figures(hold, y_hold, p_site, s_hold.base_prob, config)
    validation: dict[str, Any] = {
        "train": len(train), "holdout": len(hold),
        "holdout_from": hold[0].at.isoformat(), "holdout_to": hold[-1].at.isoformat(),
        "site_auc": round(site_auc, 4), "base_auc": round(base_auc, 4),
        "margin": config.margin, "per_language": per_language,
        "base_version": base.version,
    }
    if site_auc < base_auc + config.margin:
        reason = (f"kept the base: site model ROC AUC {site_auc:.3f} on the {len(hold)} most recent "
                  f"labels does not beat the base's {base_auc:.3f} by {config.margin}")
        return AdaptResult(False, reason, None, counts, validation, time.perf_counter() - started)
    say(f"site model {site_auc:.3f} vs base {base_auc:.3f}: refitting on all {len(examples)} labels")
    y_all = np.concatenate([y_train, y_hold])
    final = fit(scored, y_all, config, version=version, base_version=base.version)
    meta = {"counts": counts, "validation": validation,
            "config": {k: getattr(config, k) for k in config.__dataclass_fields__}}
    final = SiteModel(final.version, final.base_version, final.index, final.weight,
                      final.base_weight, final.intercept, tuple(languages), meta)
    reason = (f"activated: site model ROC AUC {site_auc:.3f} vs base {base_auc:.3f} on the "
              f"{len(hold)} most recent labels (margin {config.margin})")
    return AdaptResult(True, reason, final, counts, validation, time.perf_counter() - started)


def _language_figures(
    hold: Sequence[Example], y: np.ndarray, p_site: np.ndarray, p_base: np.ndarray,
    config: AdaptConfig,
) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """Per-language held-out figures, and the languages the site model may declare."""
    langs = np.array([e.language or "und" for e in hold])
    covered, figures = [], {}
    for lang in sorted(set(langs.tolist())):
        mask = langs == lang
        yl = y[mask]
        n_rej = int(yl.sum())
        row: dict[str, Any] = {"n": int(mask.sum()), "rejected": n_rej}
        site_l, base_l = auc(yl, p_site[mask]), auc(yl, p_base[mask])
        row["site_auc"] = None if site_l is None else round(site_l, 4)
        row["base_auc"] = None if base_l is None else round(base_l, 4)
        enough = min(n_rej, len(yl) - n_rej) >= config.language_min_per_class
        row["covered"] = bool(enough and lang != "und" and site_l is not None
                              and site_l >= config.language_floor)
        if row["covered"]:
            covered.append(lang)
        figures[lang] = row
    return covered, figures
