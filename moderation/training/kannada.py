"""Train the Kannada head (``moderation/classifier/kannada.py``) on DravidianCodeMix Kannada.

Protocol (``python -m moderation train-kannada --data ../shared/data``, seconds):

1. Rows labelled ``not-Kannada`` are dropped (their offensiveness was not annotated; they are
   never negatives). Label: offensive = any ``Offensive_*`` label.
2. Hyper-parameters (char n-gram range, C) by 5-fold cross-validation on the **train** split
   only; folds by a hash of the text (stable across runs, duplicates share a fold). The best
   out-of-fold ROC AUC wins.
3. Platt calibration and the head's own thresholds from the out-of-fold scores of the chosen
   setting: ``review`` = the highest threshold that still holds :data:`REVIEW_RECALL` of the
   offensive comments, ``reject`` = the lowest threshold whose precision stays ≥
   :data:`REJECT_PRECISION` (at the train split's prevalence).
4. The final head is fitted on the whole train split, then evaluated **once** on dev: ROC AUC
   overall and per script (Kannada script, romanised, mixed), the shares held and approved at
   the thresholds, and the full pipeline's decisions with the routed classifier over the base.
5. The artifact declares ``languages`` ("kn", "kn-Latn") only when dev ROC AUC reaches
   :data:`TARGET_AUC` and no script with enough rows falls below :data:`SCRIPT_FLOOR`.
"""

from __future__ import annotations

import csv
import time
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from moderation.classifier.artifact import MODELS_DIR
from moderation.classifier.features import HashedFeaturizer, document_frequency, idf_from_df, tfidf
from moderation.classifier.kannada import KN_LATEST, KannadaHead, save_head
from moderation.classifier.normalize import normalize_indic
from moderation.pipeline.language import script_counts

CORPUS = "dravidian_kannada_offensive"
NOT_KANNADA = "not-Kannada"
GROUP = "Offensive_Targeted_Insult_Group"
N_FOLDS = 5
#: (char_min, char_max) × C tried by cross-validation.
CHAR_RANGES: tuple[tuple[int, int], ...] = ((1, 4), (2, 5), (1, 5))
C_GRID: tuple[float, ...] = (1.0, 3.0, 10.0, 30.0)
WORD_BITS, CHAR_BITS = 16, 18
REVIEW_RECALL = 0.8
REJECT_PRECISION = 0.9
TARGET_AUC = 0.85
#: A script subset with at least MIN_SCRIPT_ROWS rows (and both classes) must reach this.
SCRIPT_FLOOR = 0.8
MIN_SCRIPT_ROWS = 50
CARD = "MODEL_CARD.md"

csv.field_size_limit(10**8)


def load_split(path: Path) -> tuple[list[str], list[str]]:
    """(texts, labels) of one split, ``not-Kannada`` rows dropped."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [(r["text"], r["label"].strip()) for r in csv.DictReader(fh)]
    rows = [(t, lab) for t, lab in rows if lab != NOT_KANNADA]
    return [t for t, _ in rows], [lab for _, lab in rows]


def offensive(labels: Sequence[str]) -> np.ndarray:
    return np.array([lab.startswith("Offensive") for lab in labels], dtype=np.float64)


def text_folds(texts: Sequence[str], n_folds: int = N_FOLDS) -> np.ndarray:
    """Fold of each text by a CRC32 of its UTF-8 bytes: stable, and equal texts share a fold."""
    return np.array([zlib.crc32(t.encode("utf-8")) % n_folds for t in texts], dtype=np.int64)


def script_group(text: str) -> str:
    """``kannada`` (≥ 80% of letters in Kannada script), ``romanised`` (≥ 80% Latin), else ``mixed``."""
    counts = script_counts(text)
    total = sum(counts.values())
    if total == 0:
        return "mixed"
    if counts.get("Knda", 0) / total >= 0.8:
        return "kannada"
    if counts.get("Latn", 0) / total >= 0.8:
        return "romanised"
    return "mixed"


def featurize(texts: Sequence[str], featurizer: HashedFeaturizer) -> sp.csr_matrix:
    """Counts of the normalised texts (computed once per featurizer, sliced per fold)."""
    return featurizer.counts([normalize_indic(t) for t in texts])


def fit_head(counts: sp.csr_matrix, y: np.ndarray, featurizer: HashedFeaturizer, c: float,
             version: str = "cv") -> KannadaHead:
    """An uncalibrated head (Platt a=1, b=0) fitted on ``counts`` rows; only seen columns kept."""
    df = document_frequency(counts)
    index = np.flatnonzero(df > 0).astype(np.int64)
    idf_full = np.zeros(featurizer.n_features)
    idf_full[index] = idf_from_df(df[index], counts.shape[0])
    x = tfidf(counts, idf_full, featurizer.n_word)
    # dual liblinear: far more columns than rows (0.04 s a fit instead of 1.1 s, same weights)
    lr = LogisticRegression(C=c, solver="liblinear", dual=True, max_iter=5000, random_state=0)
    lr.fit(x, y)
    return KannadaHead(version=version, featurizer=featurizer, index=index,
                       idf=idf_full[index], weight=lr.coef_[0][index].astype(np.float64),
                       intercept=float(lr.intercept_[0]), platt_a=1.0, platt_b=0.0,
                       thresholds={"review": 0.5, "reject": 0.5})


def oof_raw(counts: sp.csr_matrix, y: np.ndarray, folds: np.ndarray,
            featurizer: HashedFeaturizer, c: float) -> np.ndarray:
    """Out-of-fold raw scores: each fold scored by a head fitted on the other folds."""
    out = np.zeros(counts.shape[0])
    for k in np.unique(folds):
        train = np.flatnonzero(folds != k)
        test = np.flatnonzero(folds == k)
        out[test] = fit_head(counts[train], y[train], featurizer, c).raw_counts(counts[test])
    return out


def platt(raw: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    lr = LogisticRegression(C=1e4).fit(raw.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def choose_thresholds(y: np.ndarray, p: np.ndarray, review_recall: float = REVIEW_RECALL,
                      reject_precision: float = REJECT_PRECISION) -> dict[str, float]:
    """``review``: the highest threshold holding ≥ ``review_recall`` of the positives;
    ``reject``: the lowest threshold whose precision, at it and every higher threshold with a
    flag, stays ≥ ``reject_precision`` (the highest score + ε when none does)."""
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    tp = np.cumsum(ys)
    k = np.arange(1, len(ys) + 1)
    recall = tp / max(ys.sum(), 1)
    review = float(ps[int(np.argmax(recall >= review_recall))])
    precision = tp / k
    # precision must hold from the top down to the threshold: the running minimum from the top
    ok = np.minimum.accumulate(precision) >= reject_precision
    reject = float(ps[int(np.flatnonzero(ok)[-1])]) if ok.any() else float(min(ps[0] + 1e-4, 0.9999))
    review = min(review, reject)
    return {"review": round(max(review, 1e-4), 6), "reject": round(min(reject, 0.9999), 6)}


def held_approved(y: np.ndarray, p: np.ndarray, t: dict[str, float]) -> dict[str, float | None]:
    """Shares at thresholds ``t``: offensive held (≥ review), offensive rejected (≥ reject),
    non-offensive below review, non-offensive rejected."""
    pos, neg = y == 1, y == 0
    return {"offensive_held": float((p[pos] >= t["review"]).mean()),
            "offensive_rejected": float((p[pos] >= t["reject"]).mean()),
            "not_offensive_below_review": float((p[neg] < t["review"]).mean()),
            "not_offensive_rejected": float((p[neg] >= t["reject"]).mean()),
            "precision_at_review": _precision(y, p >= t["review"]),
            "precision_at_reject": _precision(y, p >= t["reject"])}


def _precision(y: np.ndarray, flagged: np.ndarray) -> float | None:
    return float(y[flagged].mean()) if flagged.any() else None


def auc(y: np.ndarray, p: np.ndarray) -> float | None:
    return float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None


def per_script(texts: Sequence[str], y: np.ndarray, p: np.ndarray) -> dict[str, dict[str, Any]]:
    groups = np.array([script_group(t) for t in texts])
    out: dict[str, dict[str, Any]] = {}
    for g in ("kannada", "romanised", "mixed"):
        m = groups == g
        out[g] = {"rows": int(m.sum()), "offensive": int(y[m].sum()), "roc_auc": auc(y[m], p[m])}
    return out


def validated_languages(dev_auc: float | None, scripts: dict[str, dict[str, Any]]) -> list[str]:
    """("kn", "kn-Latn") when the figures justify declaring them covered, else none."""
    if dev_auc is None or dev_auc < TARGET_AUC:
        return []
    for fig in scripts.values():
        if fig["rows"] >= MIN_SCRIPT_ROWS and fig["roc_auc"] is not None and fig["roc_auc"] < SCRIPT_FLOOR:
            return []
    return ["kn", "kn-Latn"]


def next_version(out_dir: Path, today: str) -> str:
    n = 1
    while (out_dir / f"kn-{today}-{n}.npz").exists():
        n += 1
    return f"kn-{today}-{n}"


def cross_validate(texts: Sequence[str], y: np.ndarray, folds: np.ndarray,
                   char_ranges: Sequence[tuple[int, int]] = CHAR_RANGES,
                   c_grid: Sequence[float] = C_GRID) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """OOF ROC AUC per setting, and the best one (ties: the first, i.e. the smaller C)."""
    grid: list[dict[str, Any]] = []
    for cmin, cmax in char_ranges:
        fz = HashedFeaturizer(word_bits=WORD_BITS, char_bits=CHAR_BITS, char_min=cmin, char_max=cmax)
        counts = featurize(texts, fz)
        for c in c_grid:
            raw = oof_raw(counts, y, folds, fz, c)
            grid.append({"char_min": cmin, "char_max": cmax, "C": c,
                         "oof_roc_auc": float(roc_auc_score(y, raw))})
    best = max(grid, key=lambda g: g["oof_roc_auc"])
    return grid, best


def group_figures(counts: sp.csr_matrix, labels: Sequence[str], y: np.ndarray, folds: np.ndarray,
                  fz: HashedFeaturizer, c: float, oof_p: np.ndarray) -> dict[str, Any]:
    """Whether the data supports a group-targeted (→ discriminatory) score: OOF ROC AUC of a
    group-vs-rest head, and of the offensive head at telling group insults from other offences."""
    g = np.array([lab == GROUP for lab in labels], dtype=np.float64)
    raw = oof_raw(counts, g, folds, fz, c)
    off = y == 1
    return {"group_rows": int(g.sum()), "group_vs_rest_oof_roc_auc": float(roc_auc_score(g, raw)),
            "group_vs_other_offensive_oof_roc_auc": float(roc_auc_score(g[off], raw[off])),
            "offensive_head_group_vs_other_offensive": float(roc_auc_score(g[off], oof_p[off]))}


def train_kannada(data_dir: Path, out_dir: Path = MODELS_DIR, *, base_model: Any = None,
                  latin_model: Any = None, version: str | None = None,
                  char_ranges: Sequence[tuple[int, int]] = CHAR_RANGES,
                  c_grid: Sequence[float] = C_GRID, write_card: bool = True) -> dict[str, Any]:
    """Run the protocol on ``data_dir`` (a folder with train.csv and dev.csv, or the shared
    data folder holding :data:`CORPUS`); write the artifact, KN_LATEST and the card section.

    ``base_model``: the classifier the head is routed over for the pipeline figures (default:
    none, those figures are skipped); ``latin_model``: the language model routing uses.
    """
    started = time.perf_counter()
    folder = data_dir / CORPUS if (data_dir / CORPUS).is_dir() else data_dir
    texts, labels = load_split(folder / "train.csv")
    y = offensive(labels)
    folds = text_folds(texts)
    grid, best = cross_validate(texts, y, folds, char_ranges, c_grid)
    fz = HashedFeaturizer(word_bits=WORD_BITS, char_bits=CHAR_BITS,
                          char_min=best["char_min"], char_max=best["char_max"])
    counts = featurize(texts, fz)
    raw = oof_raw(counts, y, folds, fz, best["C"])
    a, b = platt(raw, y)
    oof_p = 1.0 / (1.0 + np.exp(-(a * raw + b)))
    thresholds = choose_thresholds(y, oof_p)
    oof = {"roc_auc": float(roc_auc_score(y, oof_p)), "per_script": per_script(texts, y, oof_p),
           "at_thresholds": held_approved(y, oof_p, thresholds)}
    groups = group_figures(counts, labels, y, folds, fz, best["C"], oof_p)

    version = version or next_version(out_dir, datetime.now(UTC).strftime("%Y.%m.%d"))
    head = fit_head(counts, y, fz, best["C"], version)
    head.platt_a, head.platt_b, head.thresholds = a, b, thresholds

    report: dict[str, Any] = {
        "data": {"corpus": CORPUS, "licence": "CC BY 4.0", "train_rows": len(texts),
                 "train_offensive": int(y.sum()), "labels": sorted(set(labels))},
        "cv": {"folds": N_FOLDS, "fold_rule": "crc32(text) % 5", "grid": grid, "best": best},
        "oof": oof, "group": groups,
        "thresholds": {"review_recall_target": REVIEW_RECALL,
                       "reject_precision_target": REJECT_PRECISION, **thresholds},
    }
    dev_path = folder / "dev.csv"
    if dev_path.is_file():
        report["dev"] = evaluate_dev(head, dev_path)
    dev_auc = report.get("dev", {}).get("roc_auc")
    head.languages = tuple(validated_languages(dev_auc, report.get("dev", {}).get("per_script", {})))
    report["languages"] = list(head.languages)
    if dev_path.is_file() and base_model is not None:
        # as it will be served: with the languages the figures above justify declared
        dev_texts, dev_labels = load_split(dev_path)
        report["dev"]["served"] = served_figures(head, dev_texts, offensive(dev_labels),
                                                 base_model, latin_model)
    report["training_seconds"] = time.perf_counter() - started
    head.metadata = {"report": report, "trained_at": datetime.now(UTC).isoformat(timespec="seconds")}
    out_dir.mkdir(parents=True, exist_ok=True)
    path = save_head(head, out_dir / f"{version}.npz")
    (out_dir / KN_LATEST).write_text(path.name + "\n")
    report["artifact"] = {"path": str(path), "bytes": path.stat().st_size, "version": version}
    if write_card:
        from moderation.training.kannada_card import write_section

        write_section(out_dir / CARD, head.metadata | {"version": version}, report["artifact"])
    return report


def evaluate_dev(head: KannadaHead, dev_path: Path) -> dict[str, Any]:
    """The one evaluation of the head on dev (as served: :func:`served_figures`)."""
    texts, labels = load_split(dev_path)
    y = offensive(labels)
    p = head.probability(texts)
    dev: dict[str, Any] = {"rows": len(texts), "offensive": int(y.sum()), "roc_auc": auc(y, p),
                           "per_script": per_script(texts, y, p),
                           "at_thresholds": held_approved(y, p, head.thresholds)}
    return dev


def served_figures(head: KannadaHead, texts: Sequence[str], y: np.ndarray, base_model: Any,
                   latin_model: Any) -> dict[str, Any]:
    """Dev comments through the whole pipeline (default policy) with the routed classifier:
    which share the routing sends to the head, and the decisions on offensive and
    non-offensive comments; the base alone for comparison."""
    from moderation.classifier.kannada import RoutedClassifier
    from moderation.pipeline.run import PipelineInput, moderate_many

    routed = RoutedClassifier(base_model, head, latin_model)
    to_head = np.array(routed.routed(texts))
    out: dict[str, Any] = {"routed_to_head": float(to_head.mean()),
                           "routed_offensive": float(to_head[y == 1].mean()),
                           "base_version": str(base_model.version)}
    scored = routed.predict_batch(texts)
    tox = np.array([o.scores["toxicity"] for o in scored])
    out["served_toxicity_roc_auc"] = auc(y, tox)
    for name, clf in (("routed", routed), ("base_alone", base_model)):
        results = moderate_many([PipelineInput(t) for t in texts], classifier=clf,
                                language_model=latin_model)
        decisions = np.array([r.decision for r in results])
        pos, neg = y == 1, y == 0
        out[name] = {
            "offensive_held": float((decisions[pos] != "approved").mean()),
            "offensive_rejected": float((decisions[pos] == "rejected").mean()),
            "not_offensive_approved": float((decisions[neg] == "approved").mean()),
            "not_offensive_rejected": float((decisions[neg] == "rejected").mean()),
            "unsupported_reason": float(np.mean([any(r.code == "language:unsupported"
                                                     for r in res.reasons) for res in results])),
        }
    return out
