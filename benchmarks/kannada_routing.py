"""What the Kannada routing does to English: rows of each English corpus that language
identification sends to the Kannada head, and each category's ROC AUC with the base alone vs
routed (same scores everywhere else, so any change comes from those rows alone); then the
scoring speed of both, side by side (medians), on English and on Kannada comments: the
classifier alone (which identifies languages itself) and the whole pipeline (which hands the
routing the guesses it made for the coverage rule).

    .venv/bin/python benchmarks/kannada_routing.py --data ../shared/data

The base was trained on these corpora, so the AUCs are in-sample; the point is the difference.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from moderation.classifier.language_model import load_latin_model  # noqa: E402
from moderation.classifier.tier2 import load_service_classifier  # noqa: E402
from moderation.pipeline.run import PipelineInput, moderate_many  # noqa: E402

csv.field_size_limit(10**8)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def corpora(data: Path) -> dict[str, tuple[list[str], np.ndarray]]:
    out: dict[str, tuple[list[str], np.ndarray]] = {}
    d = _rows(data / "davidson_hate_offensive" / "labeled_data.csv")
    out["davidson"] = ([r["tweet"] for r in d], np.array([r["class"] in ("0", "1") for r in d], float))
    s = _rows(data / "sbic_dev" / "SBIC.v2.agg.dev.csv")
    out["sbic"] = ([r["post"] for r in s], np.array([float(r["offensiveYN"]) >= 0.5 for r in s], float))
    o = _rows(data / "tweeteval" / "offensive_val.csv")
    out["olid_val"] = ([r["text"] for r in o], np.array([r["label"] == "1" for r in o], float))
    j = [r for r in _rows(data / "jigsaw_toxic_partial" / "train_subset.csv")
         if r["sampling_pool"] == "random"]
    out["jigsaw_random"] = ([r["comment_text"] for r in j], np.array([r["toxic"] == "1" for r in j], float))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--repeats", type=int, default=5, help="timing runs (median reported)")
    args = ap.parse_args()
    base = load_service_classifier(None, "off", kannada="off")
    routed = load_service_classifier(None, "off", kannada="latest")
    latin = load_latin_model()
    print(f"base {base.version}, routed {routed.version}")
    print(f"{'corpus':<14} {'rows':>6} {'to head':>8}  category: AUC base / routed (diff)")
    for name, (texts, y) in corpora(args.data).items():
        flags = np.array(routed.routed(texts))
        b = base.predict_batch(texts)
        r = routed.predict_batch(texts)
        parts = []
        for c in ("toxicity", "abusive"):
            pb = np.array([o.scores[c] for o in b])
            pr = np.array([o.scores[c] for o in r])
            ab, ar = roc_auc_score(y, pb), roc_auc_score(y, pr)
            parts.append(f"{c} {ab:.4f} / {ar:.4f} ({ar - ab:+.4f})")
        print(f"{name:<14} {len(texts):>6} {int(flags.sum()):>4} ({flags.mean():.2%})  " + "; ".join(parts))
    # speed, side by side in one run: English (SBIC) and Kannada (romanised) batches of 512
    sbic = corpora(args.data)["sbic"][0][:2048]
    kannada: list[str] = []
    kn_file = args.data / "dravidian_kannada_offensive" / "dev.csv"
    if kn_file.is_file():
        kannada = [r["text"] for r in _rows(kn_file) if r["label"] != "not-Kannada"]
    for label, texts in (("English (SBIC)", sbic), ("Kannada (dev)", kannada)):
        if not texts:
            continue
        line = []
        for name, clf in (("base", base), ("routed", routed)):
            runs = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                for i in range(0, len(texts), 512):
                    clf.predict_batch(texts[i : i + 512])
                runs.append(len(texts) / (time.perf_counter() - t0))
            line.append(f"{name} {statistics.median(runs):,.0f}/s")
        print(f"classifier speed, {label}, {len(texts)} comments, median of {args.repeats}: "
              + ", ".join(line))
        line = []
        for name, clf in (("base", base), ("routed", routed)):
            runs = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                for i in range(0, len(texts), 512):
                    moderate_many([PipelineInput(t) for t in texts[i : i + 512]], classifier=clf,
                                  language_model=latin)
                runs.append(len(texts) / (time.perf_counter() - t0))
            line.append(f"{name} {statistics.median(runs):,.0f}/s")
        print(f"pipeline speed (moderate_many), {label}: " + ", ".join(line))


if __name__ == "__main__":
    main()
