"""Classifier speed, side by side with alt-profanity-check, in one run.

    .venv/bin/python benchmarks/classifier.py [--data ../shared/data] [--n 2000] [--tier2]

Measures, for our fast tier and for alt-profanity-check:
- load time and resident memory added by loading (each in a fresh subprocess);
- single-comment latency p50/p99 (one call per comment, our full predict incl. spans);
- batch throughput per core (one thread: BLAS/OpenMP pinned to 1).
With ``--tier2`` it adds the cascade with the optional second tier (models/TIER2_LATEST,
its encoder on one thread), and the share of comments it escalated.
Comments are Civil Comments news comments from the data folder (or synthetic ones
when the folder is absent), so lengths are realistic. Civil comments were pre-selected
as likely toxic, so far more of them reach the second tier than of a typical stream.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

_LOAD_SNIPPET = """
import json, os, time
def rss():
    with open('/proc/self/status') as fh:
        for line in fh:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
base = rss(); t = time.perf_counter()
{body}
elapsed = time.perf_counter() - t
print(json.dumps({{"load_s": elapsed, "rss_mb": (rss() - base) / 1e6}}))
"""
_OURS = "from moderation.classifier import load_classifier\nclf = load_classifier()"
_CASCADE = ("from moderation.classifier.tier2 import load_service_classifier\n"
            "clf = load_service_classifier(None, 'latest', threads=1)")
_PEER = "from profanity_check import predict_prob\npredict_prob(['warm up'])"


def measure_load(body: str) -> dict[str, float]:
    runs = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", _LOAD_SNIPPET.format(body=body)],
            cwd=ROOT, capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def comments(data: Path, n: int) -> list[str]:
    path = data / "civil_comments_toxic_spans" / "comments.csv"
    rng = random.Random(0)
    if path.is_file():
        csv.field_size_limit(1 << 30)
        with path.open(newline="", encoding="utf-8") as fh:
            texts = [r["comment_text"] for r in csv.DictReader(fh)]
        rng.shuffle(texts)
        return texts[:n]
    words = "the article minister idiot great city council you are stupid thanks road".split()
    return [" ".join(rng.choices(words, k=rng.randint(5, 60))) for _ in range(n)]


def latency(fn, texts: list[str]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    for t in texts[:50]:
        fn([t])
    times = []
    for t in texts:
        s = time.perf_counter()
        fn([t])
        times.append((time.perf_counter() - s) * 1000)
    times.sort()
    return {"p50_ms": times[len(times) // 2], "p99_ms": times[int(len(times) * 0.99)]}


def throughput(fn, texts: list[str], repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = 0.0
    for _ in range(repeat):
        s = time.perf_counter()
        fn(texts)
        best = max(best, len(texts) / (time.perf_counter() - s))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--n", type=int, default=2000, help="comments for the latency test")
    ap.add_argument("--batch", type=int, default=10000, help="comments for the throughput test")
    ap.add_argument("--tier2", action="store_true", help="also measure the cascade with tier 2")
    args = ap.parse_args()

    sys.path.insert(0, str(ROOT))
    from profanity_check import predict_prob

    from moderation.classifier import load_classifier
    from moderation.classifier.normalize import normalize

    clf = load_classifier()
    flagged = 0

    def scores_only(batch: list[str]) -> object:
        # what predict_batch does minus the span explanations
        return clf.calibrate(clf.decision_function([normalize(t) for t in batch]))

    texts = comments(args.data, max(args.n, args.batch))
    lat_texts, batch_texts = texts[: args.n], (texts * 10)[: args.batch]
    mean_len = statistics.mean(len(t) for t in batch_texts)

    results = {
        "ours": {
            "model": clf.version,
            **measure_load(_OURS),
            **latency(clf.predict_batch, lat_texts),
            "batch_per_core": throughput(clf.predict_batch, batch_texts),
            "batch_scores_only": throughput(scores_only, batch_texts),
        },
    }
    if args.tier2:
        from moderation.classifier.tier2 import load_service_classifier

        cascade = load_service_classifier(None, "latest", threads=1)
        tier2_batch = batch_texts[: max(1, args.batch // 10)]
        results["ours + tier 2"] = {
            "model": cascade.version,
            **measure_load(_CASCADE),
            **latency(cascade.predict_batch, lat_texts),
            "batch_per_core": throughput(cascade.predict_batch, tier2_batch, repeat=1),
            "batch_scores_only": float("nan"),
            "escalated": sum(o.tier == "tier2" for o in cascade.predict_batch(tier2_batch))
            / len(tier2_batch),
        }
    results |= {
        "alt-profanity-check": {
            "model": "alt-profanity-check (linear SVM, sklearn)",
            **measure_load(_PEER),
            **latency(predict_prob, lat_texts),
            "batch_per_core": throughput(predict_prob, batch_texts),
            "batch_scores_only": throughput(predict_prob, batch_texts),
        },
    }
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{len(lat_texts)} single comments, batch of {len(batch_texts)}, "
          f"mean length {mean_len:.0f} chars")
    review = {c: t["review"] for c, t in clf.thresholds.items()}
    flagged = sum(any(o.scores[c] >= review[c] for c in review) for o in clf.predict_batch(lat_texts))
    print(f"# {flagged / len(lat_texts):.0%} of these comments reach a review threshold (spans computed)")
    print(
        "| | load (s) | load RSS (MB) | p50 (ms) | p99 (ms) | batch, full (/s/core) | batch, scores only |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['load_s']:.2f} | {r['rss_mb']:.0f} | {r['p50_ms']:.3f} | "
              f"{r['p99_ms']:.3f} | {r['batch_per_core']:,.0f} | "
              f"{r['batch_scores_only']:,.0f} |")
    if "ours + tier 2" in results:
        print(f"\ntier 2 escalated {results['ours + tier 2']['escalated']:.0%} of the comments scored")
    o, p = results["ours"], results["alt-profanity-check"]
    ratios = (o["p50_ms"] / p["p50_ms"], o["p99_ms"] / p["p99_ms"], o["batch_per_core"] / p["batch_per_core"])
    print("\nratios ours/peer: p50 {:.1f}×, p99 {:.1f}×, batch {:.2f}×".format(*ratios))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
