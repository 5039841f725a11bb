"""Train the Latin-script language model: English vs romanised Kannada.

Positives are the Kannada-labelled rows of the DravidianCodeMix Kannada **train**
split (CC BY 4.0) written mostly in Latin letters; negatives are English reader
comments (Civil Comments) and Wikipedia talk comments (Jigsaw). Validation is out
of domain: the Kannada **dev** split for romanised Kannada, and English from two
sources the model never saw (SBIC posts, Davidson tweets) for false alarms.

The model is a logistic regression on hashed character 2-4-grams within word
boundaries (scikit-learn's ``HashingVectorizer``, so the artifact is just the
weight vector), saved as plain arrays with its figures in the metadata.

    python -m moderation.training.language_id --data ../shared/data
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from moderation.classifier.language_model import (
    DEFAULT_PATH,
    FEATURES,
    MIN_FOREIGN_SHARE,
    LatinLanguageModel,
    vectorizer,
)
from moderation.pipeline.language import KANNADA_LATIN_THRESHOLD, script_counts

csv.field_size_limit(10**8)
KANNADA = "dravidian_kannada_offensive"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def mostly_latin(text: str) -> bool:
    counts = script_counts(text)
    total = sum(counts.values())
    return total >= 3 and counts.get("Latn", 0) / total >= 0.8


def kannada_rows(data: Path, split: str) -> list[str]:
    """Kannada-labelled rows (any offensiveness) in Latin letters; not-Kannada rows dropped."""
    return [row["text"] for row in _rows(data / KANNADA / f"{split}.csv")
            if row["label"] != "not-Kannada" and mostly_latin(row["text"])]


def english_rows(data: Path, source: str, limit: int, seed: int) -> list[str]:
    if source == "civil":
        texts = [r["comment_text"] for r in _rows(data / "civil_comments_toxic_spans" / "comments.csv")]
    elif source == "jigsaw":
        texts = [r["comment_text"] for r in _rows(data / "jigsaw_toxic_partial" / "train_subset.csv")]
    elif source == "sbic":
        texts = [r["post"] for r in _rows(data / "sbic_dev" / "SBIC.v2.agg.dev.csv")]
    elif source == "davidson":
        texts = [r["tweet"] for r in _rows(data / "davidson_hate_offensive" / "labeled_data.csv")]
    else:
        raise ValueError(source)
    texts = [t for t in texts if mostly_latin(t)]
    random.Random(seed).shuffle(texts)
    return texts[:limit]


def english_vocabulary(texts: list[str], min_count: int) -> frozenset[str]:
    """Words seen at least ``min_count`` times in the English training texts."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(re.findall(r"[a-z]+", text.lower()))
    return frozenset(word for word, n in counts.items() if n >= min_count)


def train(data: Path, *, seed: int = 13, c: float = 4.0,
          min_count: int = 3) -> tuple[LatinLanguageModel, dict[str, Any]]:
    positives = kannada_rows(data, "train")
    civil = english_rows(data, "civil", 20000, seed)
    negatives = civil[:4000] + english_rows(data, "jigsaw", 3000, seed)
    vocabulary = english_vocabulary(civil + english_rows(data, "jigsaw", 20000, seed), min_count)
    texts = positives + negatives
    labels = np.array([1] * len(positives) + [0] * len(negatives))
    features = vectorizer().transform(texts)
    head = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
    head.fit(features, labels)
    model = LatinLanguageModel(head.coef_[0].astype(np.float32), float(head.intercept_[0]), {},
                               vocabulary)
    report = evaluate(model, data, seed=seed)
    report["training"] = {"kannada_latin_rows": len(positives), "english_rows": len(negatives),
                          "english_sources": ["civil (4,000)", "jigsaw (3,000)"], "C": c,
                          "features": f"char_wb 2-4-grams hashed into {FEATURES}", "seed": seed,
                          "english_vocabulary": f"{len(vocabulary)} words seen {min_count}+ times in "
                                                "Civil and Jigsaw comments",
                          "min_foreign_share": MIN_FOREIGN_SHARE}
    return LatinLanguageModel(model.coef, model.intercept, report, vocabulary), report


def evaluate(model: LatinLanguageModel, data: Path, *, seed: int) -> dict[str, Any]:
    """Held-out figures: Kannada dev (romanised) against English from unseen sources."""
    kannada = kannada_rows(data, "dev")
    english = {source: english_rows(data, source, 2000, seed + 1) for source in ("sbic", "davidson")}
    kn_scores = np.asarray(model.predict(kannada))
    report: dict[str, Any] = {"kannada_dev_rows": len(kannada),
                              "kannada_dev_recall": float(np.mean(kn_scores >= KANNADA_LATIN_THRESHOLD))}
    for source, texts in english.items():
        en_scores = np.asarray(model.predict(texts))
        report[f"{source}_rows"] = len(texts)
        report[f"{source}_false_kannada_rate"] = float(np.mean(en_scores >= KANNADA_LATIN_THRESHOLD))
        labels = np.array([1] * len(kn_scores) + [0] * len(en_scores))
        report[f"{source}_roc_auc"] = float(roc_auc_score(labels, np.concatenate([kn_scores, en_scores])))
    short = np.asarray(model.predict(SHORT_ENGLISH))
    report["short_english_rows"] = len(SHORT_ENGLISH)
    report["short_english_false_kannada_rate"] = float(np.mean(short >= KANNADA_LATIN_THRESHOLD))
    return report


#: Short English comments (our own) that a code-mixed corpus makes look Kannada.
SHORT_ENGLISH = ("nice", "ok", "okay", "good job", "hello", "hi all", "super", "great article",
                 "well said", "thank you", "thanks sir", "lol", "true", "agreed", "very nice",
                 "nice song", "good movie", "so sad", "shame", "congrats", "best wishes", "fake news",
                 "wow", "superb", "correct", "exactly", "love it", "good one", "well done", "jai hind")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--output", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    if not (args.data / KANNADA / "train.csv").exists():
        print(f"error: {args.data / KANNADA} has no train.csv (see ../shared/data/README.md)",
              file=sys.stderr)
        return 2
    model, report = train(args.data, seed=args.seed)
    model.save(args.output)
    print(json.dumps(report, indent=2))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
