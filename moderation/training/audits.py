"""Figures for the model card beyond ROC AUC: clean comments held, identity-term bias, the
held-out template audits, the smoke set, and the peer model's scores on the same rows."""

from __future__ import annotations

from typing import Any

import numpy as np
from tqdm import tqdm

from moderation.classifier.model import BatchClassifier
from moderation.training import evaluation as ev
from moderation.training.config import CATS, POOL_SOURCES
from moderation.training.corpora import Corpus


def flagged(p: np.ndarray, thresholds: dict[str, dict[str, float]]) -> np.ndarray:
    """As served: a comment is held when any category reaches its review threshold."""
    review = np.array([thresholds[c]["review"] for c in CATS])
    return np.asarray((p >= review).any(axis=1))


def clean_fpr(corpus: Corpus, p: np.ndarray, thresholds: dict[str, dict[str, float]]) -> dict[str, Any]:
    """Share of comments labelled non-toxic that the classifier would hold or reject (OOF)."""
    jt = CATS.index("toxicity")
    review = flagged(p, thresholds)
    reject = np.asarray((p >= np.array([thresholds[c]["reject"] for c in CATS])).any(axis=1))
    clean = corpus.labels[:, jt] == 0
    out: dict[str, Any] = {}
    masks = {str(s): clean & (corpus.sources == s) for s in np.unique(corpus.sources)}
    masks["jigsaw_random"] = clean & corpus.jigsaw_random
    for name, m in masks.items():
        if m.any():
            out[name] = {"n": int(m.sum()), "review": float(review[m].mean()),
                         "reject": float(reject[m].mean())}
    return out


def bias(corpus: Corpus, p: np.ndarray, thresholds: dict[str, dict[str, float]]) -> dict[str, Any]:
    """FPR on real non-toxic comments by identity group mentioned (OOF scores).

    ``fpr_toxicity``: toxicity ≥ its review threshold (the previous card's definition);
    ``fpr``: any category ≥ its review threshold (what the pipeline does).
    """
    jt = CATS.index("toxicity")
    y = corpus.labels[:, jt]
    clean = y == 0
    tox = p[:, jt] >= thresholds["toxicity"]["review"]
    held = flagged(p, thresholds)
    groups = [ev.identity_groups(corpus.texts[i]) if clean[i] else [] for i in range(len(y))]
    any_id = np.array([bool(gs) for gs in groups])

    def row(m: np.ndarray) -> dict[str, Any]:
        nan = float("nan")
        return {"n": int(m.sum()), "fpr": float(held[m].mean()) if m.any() else nan,
                "fpr_toxicity": float(tox[m].mean()) if m.any() else nan}

    out: dict[str, Any] = {"overall": row(clean), "any_identity": row(clean & any_id)}
    for g in ev.IDENTITY_TERMS:
        out[g] = row(clean & np.array([g in gs for gs in groups]))
    for src in POOL_SOURCES:
        s = clean & (corpus.sources == src)
        out[f"{src}_overall"] = row(s)
        out[f"{src}_any_identity"] = row(s & any_id)
    return out


def probabilities(clf: BatchClassifier, texts: list[str]) -> np.ndarray:
    """Served probabilities (n, len(CATS)) of any classifier, fast tier or cascade."""
    return np.array([[o.scores[c] for c in CATS] for o in clf.predict_batch(texts)])


def template_audit(clf: BatchClassifier) -> dict[str, Any]:
    """Held-out identity templates: per group, share of benign sentences held (FPR), share of
    toxic ones held (TPR), and mean overall toxicity (max over categories) of the benign ones."""
    from moderation.training.templates import audit_sentences

    out: dict[str, Any] = {}
    per_term: dict[str, list[float]] = {}
    for toxic in (False, True):
        rows = audit_sentences(toxic)
        p = probabilities(clf, [s for _, _, s in rows])
        held = flagged(p, clf.thresholds)
        for i, (g, t, _) in enumerate(rows):
            d = out.setdefault(g, {"benign": [], "toxic": [], "score": []})
            d["toxic" if toxic else "benign"].append(bool(held[i]))
            if not toxic:
                d["score"].append(float(p[i].max()))
                per_term.setdefault(t, []).append(float(p[i].max()))
    res = {g: {"fpr": float(np.mean(d["benign"])), "tpr": float(np.mean(d["toxic"])),
               "mean_score": float(np.mean(d["score"]))} for g, d in out.items()}
    allb = [x for d in out.values() for x in d["benign"]]
    allt = [x for d in out.values() for x in d["toxic"]]
    res["all"] = {"fpr": float(np.mean(allb)), "tpr": float(np.mean(allt)),
                  "mean_score": float(np.mean([x for d in out.values() for x in d["score"]]))}
    return {"groups": res, "terms": {t: float(np.mean(v)) for t, v in per_term.items()}}


def threat_audit(clf: BatchClassifier) -> dict[str, Any]:
    """Held-out threat templates: share of threats held (threat at/above review) and share of
    news-style violence that is not a threat held for any category."""
    from moderation.training.threat_templates import audit_rows

    rows = audit_rows()
    p = probabilities(clf, [s for s, _ in rows])
    y = np.array([t for _, t in rows], dtype=bool)
    j = CATS.index("threat")
    held_threat = p[:, j] >= clf.thresholds["threat"]["review"]
    held_any = flagged(p, clf.thresholds)
    return {"version": clf.version, "threats": int(y.sum()), "non_threats": int((~y).sum()),
            "threat_recall": float(held_threat[y].mean()), "any_recall": float(held_any[y].mean()),
            "non_threat_held_as_threat": float(held_threat[~y].mean()),
            "non_threat_held_any": float(held_any[~y].mean()),
            "threat_score_threats": float(np.median(p[y, j])),
            "threat_score_non_threats": float(np.median(p[~y, j]))}


def smoke_pass_rate(clf: BatchClassifier) -> dict[str, Any]:
    """The hand-written smoke set through ``moderate()`` (reported, never used for selection)."""
    from moderation.training.smoke_cases import run_cases

    rate, failures = run_cases(clf)
    return {"version": clf.version, "pass_rate": rate, "failures": failures}


def peer_scores(texts: list[str], progress: bool) -> np.ndarray:
    """alt-profanity-check's probabilities for ``texts`` (the peer the card compares with)."""
    from profanity_check import predict_prob

    out = []
    for i in tqdm(range(0, len(texts), 5000), desc="alt-profanity-check", disable=not progress):
        out.append(predict_prob(texts[i : i + 5000]))
    return np.concatenate(out)


def compare(y: np.ndarray, ours: np.ndarray, peer: np.ndarray, threshold: float) -> dict[str, Any]:
    """Our metrics at ``threshold`` and the peer's at 0.5, on the same rows."""
    return {"ours": ev.binary_metrics(y, ours, threshold), "peer": ev.binary_metrics(y, peer, 0.5)}
