"""Training the fast tier (``python -m moderation train``): the whole protocol, seeded.

Every category learns from every corpus that labels it, with per-source class weights
(``linear.py``); template sentences that mention identities in a neutral way are added as
negatives (``templates.py``).

1. 4-fold grouped cross-validation over every source → out-of-fold (OOF) scores: in-domain
   metrics, Platt calibration, thresholds, clean-comment false-positive rates and the
   identity-term audit (``calibration.py``, ``audits.py``).
2. Leave-one-source-out: every comment-style source (toxicity, abusive, discriminatory; all
   categories for Civil Comments, whose held-out model is also used to measure spans) and every
   other hate corpus (discriminatory).
3. The shipped model is refit on every source with the chosen settings.

Every fit, in every fold, also fits the word-prior heads (``priors.py``) on the sentence
embeddings of that fold's training rows only. Training therefore needs the encoder
(``requirements-tier2.txt``); serving does not.

The report (every hyperparameter and figure the model card prints) is stored in the
artifact's metadata, and the card is rendered from the artifact (``model_card.py``).
"""

from __future__ import annotations

import datetime as dt
import platform
import time
from importlib.metadata import version as pkg_version
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from moderation.classifier.artifact import LATEST, load_classifier, save_classifier
from moderation.classifier.encoder import SentenceEncoder
from moderation.classifier.features import HashedFeaturizer
from moderation.classifier.model import ToxicityClassifier
from moderation.classifier.word_priors import WordPriors
from moderation.training import audits
from moderation.training import templates as tp
from moderation.training import threat_templates as th
from moderation.training.calibration import choose_thresholds, sigmoid
from moderation.training.config import (
    CATS,
    EMBED_SAMPLE_CAP,
    LOSO_PLAN,
    N_FOLDS,
    PRIOR_C,
    PRIOR_MIN_COUNT,
    PRIOR_WEIGHT,
    hyperparameters,
)
from moderation.training.corpora import civil_gold_spans, fingerprint
from moderation.training.dataset import embedding_sample, source_table, training_set
from moderation.training.linear import fit_linear, grouped_folds, raw_scores
from moderation.training.model_card import card_from_artifact
from moderation.training.priors import fit_word_priors, prior_inputs, prior_term
from moderation.training.smoke_cases import CASES
from moderation.training.span_tuning import tune_spans

CARD = "MODEL_CARD.md"


def template_facts() -> dict[str, Any]:
    """Sizes and examples of the template sets, as the card states them."""
    return {
        "identity_train_frames": len(tp.TRAIN_FRAMES),
        "identity_terms": sum(len(v) for v in tp.IDENTITIES.values()),
        "hate_train_frames": len(tp.HATE_TRAIN_FRAMES),
        "hate_example": tp.HATE_TRAIN_FRAMES[0],
        "audit_frames": len(tp.AUDIT_FRAMES),
        "audit_example": tp.AUDIT_FRAMES[0],
        "audit_toxic_frames": len(tp.AUDIT_TOXIC_FRAMES),
        "audit_toxic_example": tp.AUDIT_TOXIC_FRAMES[0],
        "threat_train_frames": len(th.THREAT_TRAIN_FRAMES),
        "violence_train_frames": len(th.VIOLENCE_TRAIN_FRAMES),
        "threat_targets": len(th.TARGETS),
        "audit_threat_frames": len(th.AUDIT_THREAT_FRAMES),
        "audit_threat_example": th.AUDIT_THREAT_FRAMES[1],
        "audit_violence_frames": len(th.AUDIT_VIOLENCE_FRAMES),
        "audit_violence_example": th.AUDIT_VIOLENCE_FRAMES[1],
        "smoke_cases": len(CASES),
    }


def train(data_dir: Path, out_dir: Path, seed: int = 13, progress: bool = True,
          featurizer: HashedFeaturizer | None = None) -> dict[str, Any]:
    """Run the whole protocol and write the artifact + model card; returns the report."""
    t0 = time.perf_counter()
    encoder = SentenceEncoder()
    encoder.load()  # fail now, not after featurising, when the encoder extra is missing
    np.random.seed(seed)
    previous = _previous_model(out_dir)
    fp = fingerprint(data_dir)
    featurizer = featurizer or HashedFeaturizer()  # tests pass a small one
    ts = training_set(data_dir, featurizer, progress)
    corpus, counts, train_labels, train_sources = ts.corpus, ts.counts, ts.labels, ts.sources
    template_rows = ts.template_rows
    n = len(corpus.texts)
    labels = corpus.labels
    all_rows = np.arange(n)
    report: dict[str, Any] = {"rows": n, "template_rows": len(ts.identity),
                              "threat_template_rows": len(ts.threats),
                              "hate_template_rows": len(ts.hate),
                              "hyperparameters": hyperparameters(), "templates": template_facts(),
                              "sources": source_table(corpus)}

    embedded = np.concatenate([np.flatnonzero(embedding_sample(corpus, seed)), template_rows])
    inputs = prior_inputs(ts, encoder, embedded, progress)
    report["word_priors"] = {"embedded_rows": int(len(embedded)), "words": len(inputs.words),
                             "embed_seconds": inputs.seconds, "weight": PRIOR_WEIGHT,
                             "C": PRIOR_C, "min_count": PRIOR_MIN_COUNT,
                             "sample_cap": EMBED_SAMPLE_CAP}

    def fit(rows: np.ndarray, cats: tuple[str, ...], desc: str
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, WordPriors]:
        rows = np.concatenate([rows, template_rows])
        idf, coef, b = fit_linear(counts, train_labels, train_sources, rows, featurizer, cats,
                                  seed, progress, desc)
        return idf, coef, b, fit_word_priors(inputs, ts, rows, featurizer, seed)

    rand = corpus.jigsaw_random
    report["jigsaw_random_rates"] = {c: float(np.nanmean(labels[rand, j])) for j, c in enumerate(CATS)}

    # 1. grouped K-fold OOF
    folds = grouped_folds(corpus.groups, N_FOLDS, seed)
    oof = np.zeros((n, len(CATS)))
    for k in tqdm(range(N_FOLDS), desc="cross-validation", disable=not progress):
        tr, te = all_rows[folds != k], all_rows[folds == k]
        idf, coef, b, wp = fit(tr, CATS, f"fold {k}")
        oof[te] = raw_scores(counts, te, idf, coef, b, featurizer) + prior_term(ts, te, wp)

    calib, thresholds, threshold_report = choose_thresholds(corpus, oof)
    report["thresholds"] = threshold_report
    a = np.array([calib[c][0] for c in CATS])
    bb = np.array([calib[c][1] for c in CATS])
    oof_p = sigmoid(a * oof + bb)
    report["clean_fpr"] = audits.clean_fpr(corpus, oof_p, thresholds)

    peer = audits.peer_scores(corpus.texts, progress)

    # in-domain metrics per source and category
    in_domain: dict[str, Any] = {}
    for src in np.unique(corpus.sources):
        for j, c in enumerate(CATS):
            m = (corpus.sources == src) & ~np.isnan(labels[:, j])
            if m.sum() and 0 < labels[m, j].sum() < m.sum():
                in_domain.setdefault(str(src), {})[c] = audits.compare(
                    labels[m, j], oof_p[m, j], peer[m], thresholds[c]["review"]
                )
    m = rand
    in_domain["jigsaw_random"] = {
        c: audits.compare(labels[m, j], oof_p[m, j], peer[m], thresholds[c]["review"])
        for j, c in enumerate(CATS)
        if labels[m, j].sum() >= 5
    }
    report["in_domain"] = in_domain

    # identity-term audit on OOF scores of non-toxic comments
    report["bias"] = audits.bias(corpus, oof_p, thresholds)

    # 2. leave-one-source-out
    loso: dict[str, dict[str, Any]] = {}
    span_rel, span_abs = 0.7, 0.0
    for src, cats in tqdm(LOSO_PLAN.items(), desc="leave-one-source-out", disable=not progress):
        held = corpus.sources == src
        idf_l, coef_l, b_l, wp_l = fit(all_rows[~held], cats, f"without {src}")
        rows = all_rows[held]
        raw_l = raw_scores(counts, rows, idf_l, coef_l, b_l, featurizer) + prior_term(ts, rows, wp_l)
        p_l = sigmoid(a * raw_l + bb)
        for c in cats:
            j = CATS.index(c)
            k = ~np.isnan(labels[rows, j])
            loso.setdefault(c, {})[src] = audits.compare(
                labels[rows[k], j], p_l[k, j], peer[rows[k]], thresholds[c]["review"]
            )
        if src == "civil":
            held_clf = ToxicityClassifier(
                version="without-civil", thresholds=thresholds, featurizer=featurizer,
                idf=idf_l, coef=coef_l, intercept=b_l, platt_a=a, platt_b=bb,
                priors=wp_l)
            span_rel, span_abs, report["spans"] = tune_spans(
                held_clf, corpus, rows, p_l, civil_gold_spans(data_dir), progress
            )
    # categories in CATS order, whatever order the plan visits them in
    report["loso"] = {c: loso[c] for c in CATS if c in loso}

    # 3. final model on everything
    idf, coef, b, wp = fit(all_rows, CATS, "final")
    version = next_version(out_dir, "clf")
    meta: dict[str, Any] = {
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "data_fingerprint": fp,
        "libraries": {p: pkg_version(p) for p in ("scikit-learn", "numpy", "scipy")}
        | {"python": platform.python_version()},
        "sklearn_version": pkg_version("scikit-learn"),
        "training_rows": n + len(ts.template_texts),
        "calibration": "Platt on the pooled comment-style validation set (sources equal), "
        "shifted to Jigsaw random-row base rates",
        "metrics": _headline(report),
    }
    clf = ToxicityClassifier(
        version=version, thresholds=thresholds, featurizer=featurizer, idf=idf, coef=coef,
        intercept=b, platt_a=a, platt_b=bb, span_rel=span_rel, span_abs=span_abs, metadata=meta,
        priors=wp)
    report["template_audit"] = {"current": audits.template_audit(clf)}
    report["threat_audit"] = {"current": audits.threat_audit(clf)}
    report["smoke"] = {"current": audits.smoke_pass_rate(clf)}
    if previous is not None:
        report["template_audit"]["previous"] = audits.template_audit(previous)
        report["threat_audit"]["previous"] = audits.threat_audit(previous)
        report["smoke"]["previous"] = audits.smoke_pass_rate(previous)
    report["training_seconds"] = time.perf_counter() - t0
    meta["report"] = report  # the card is rendered from the artifact alone
    path = save_classifier(clf, out_dir / f"{version}.npz")
    (out_dir / LATEST).write_text(path.name + "\n")
    card_from_artifact(path, out_dir / CARD)
    return dict(report, artifact={"path": str(path), "bytes": path.stat().st_size,
                                  "version": version}, meta=meta)


def next_version(out_dir: Path, prefix: str) -> str:
    """``{prefix}-YYYY.MM.DD-N``, N one more than the highest artifact of today in out_dir."""
    today = dt.date.today().strftime("%Y.%m.%d")
    taken = [p.stem.rsplit("-", 1)[-1] for p in out_dir.glob(f"{prefix}-{today}-*.npz")]
    return f"{prefix}-{today}-{max([int(t) for t in taken if t.isdigit()], default=0) + 1}"


def _previous_model(out_dir: Path) -> ToxicityClassifier | None:
    """The artifact models/LATEST names before this run (for before/after figures), if any."""
    pointer = out_dir / LATEST
    try:
        return load_classifier(out_dir / pointer.read_text().strip()) if pointer.is_file() else None
    except Exception:  # an unreadable old artifact only loses the comparison
        return None


def _headline(report: dict[str, Any]) -> dict[str, Any]:
    def pick(d: dict[str, Any]) -> dict[str, float]:
        o = d["ours"]
        return {k: round(o[k], 4) for k in ("roc_auc", "pr_auc", "f1") if k in o}

    return {
        "in_domain_jigsaw_random": {c: pick(v) for c, v in report["in_domain"]["jigsaw_random"].items()},
        "loso": {c: {s: pick(v) for s, v in d.items()} for c, d in report["loso"].items()},
        "spans": report["spans"],
    }
