"""Learning from moderators: the learning curve, training time and scoring speed, in one run.

    .venv/bin/python benchmarks/adapt.py [--data ../shared/data] [--steps 250,1000,3000]
        [--train-n 100000] [--speed-n 20000] [--card models/SITE_ADAPTATION.md] [--json OUT]

Simulates a site whose moderators label a stream of comments in a language the base model
never saw: the stream is ``dravidian_kannada_offensive/train.csv`` in file order (rows
labelled ``not-Kannada`` dropped; ``Offensive_*`` = rejected, ``Not_offensive`` =
approved), one decision per comment, a minute apart. After each step's number of decisions
the site model is trained exactly as ``python -m moderation adapt`` trains it (the same
:func:`moderation.training.adapt.adapt`, time-held-out gate included), and scored on the
corpus's dev split (the site's later comments). The base's ROC AUC on the same dev split
is the comparison.

Also measured: training time on 100,000 decisions (synthesised by resampling the stream,
with the OMP/BLAS pools pinned to 2 threads for the "2 cores" figure) and the scoring speed
of the fast tier with a site model, one thread.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from moderation.classifier.artifact import load_classifier  # noqa: E402
from moderation.classifier.language_model import load_latin_model  # noqa: E402
from moderation.classifier.site_model import SiteAdaptedClassifier  # noqa: E402
from moderation.pipeline.language import identify  # noqa: E402
from moderation.training.adapt import AdaptConfig, Example, adapt, auc  # noqa: E402
from moderation.training.adapt_card import render_card  # noqa: E402

CORPUS = "dravidian_kannada_offensive"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def read_split(path: Path) -> list[tuple[str, bool]]:
    rows = []
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["label"] == "not-Kannada":
                continue
            rows.append((row["text"], row["label"].startswith("Offensive")))
    return rows


def comments(data: Path, n: int) -> list[str]:
    """Civil Comments news comments (the texts benchmarks/classifier.py times the base on)."""
    path = data / "civil_comments_toxic_spans" / "comments.csv"
    csv.field_size_limit(1 << 30)
    with path.open(newline="", encoding="utf-8") as fh:
        texts = [r["comment_text"] for r in csv.DictReader(fh)]
    random.Random(0).shuffle(texts)
    return texts[:n]


def stream_examples(rows: list[tuple[str, bool]]) -> list[Example]:
    langs = identify([t for t, _ in rows], load_latin_model())
    return [Example(text, rejected, T0 + timedelta(minutes=i), language=g.language)
            for i, ((text, rejected), g) in enumerate(zip(rows, langs, strict=True))]


def learning_curve(base, stream, dev, steps, config):  # type: ignore[no-untyped-def]
    dev_texts = [t for t, _ in dev]
    y_dev = np.array([r for _, r in dev], dtype=np.int64)
    out = []
    for n in steps:
        result = adapt(base, stream[:n], config, version=f"curve-{n}")
        # the gate's own verdict, and the model it validated refitted on all n
        model = result.model
        if model is None:  # kept the base: report the candidate anyway, gated off
            forced = AdaptConfig(**{**config.__dict__, "margin": -1.0})
            model = adapt(base, stream[:n], forced, version=f"curve-{n}").model
        assert model is not None
        _, p_site = SiteAdaptedClassifier(base, model).probabilities(dev_texts)
        row = {"decisions": n, "rejected": int(sum(e.rejected for e in stream[:n])),
               "dev_auc": round(float(auc(y_dev, p_site) or 0.0), 4),
               "holdout_site_auc": result.validation["site_auc"],
               "holdout_base_auc": result.validation["base_auc"],
               "activated": result.activate, "train_s": round(result.seconds, 2),
               "languages": list(model.languages)}
        print(f"  after {n:>5} decisions: dev ROC AUC {row['dev_auc']:.3f} "
              f"(gate: site {row['holdout_site_auc']:.3f} vs base {row['holdout_base_auc']:.3f}, "
              f"{'activated' if row['activated'] else 'kept base'}), {row['train_s']}s", flush=True)
        out.append(row)
    base_probs, _ = SiteAdaptedClassifier(base, model).probabilities(dev_texts)
    base_auc = round(float(auc(y_dev, base_probs[:, 0]) or 0.0), 4)
    base_max = round(float(auc(y_dev, base_probs.max(axis=1)) or 0.0), 4)
    return out, base_auc, base_max


def training_time(base, stream, n, config):  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    synth = [Example(e.text, e.rejected, T0 + timedelta(seconds=i), language=e.language)
             for i, e in enumerate(rng.choice(stream) for _ in range(n))]
    started, cpu = time.perf_counter(), time.process_time()
    result = adapt(base, synth, config, version="timing")
    return time.perf_counter() - started, time.process_time() - cpu, result


def scoring_speed(base, model, texts, repeats: int = 5):  # type: ignore[no-untyped-def]
    from threadpoolctl import threadpool_limits

    adapted = SiteAdaptedClassifier(base, model)
    # per core = per CPU-second of this one-threaded process (robust to a shared machine)
    rates: dict[str, list[float]] = {"base": [], "site": []}
    with threadpool_limits(1):
        adapted.predict_batch(texts[:512])
        base.predict_batch(texts[:512])
        for _ in range(repeats):
            for name, clf in (("base", base), ("site", adapted)):
                started = time.process_time()
                clf.predict_batch(texts)
                rates[name].append(len(texts) / (time.process_time() - started))
    return {k: round(statistics.median(v)) for k, v in rates.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--steps", default="250,1000,3000")
    ap.add_argument("--train-n", type=int, default=100_000)
    ap.add_argument("--speed-n", type=int, default=20_000)
    ap.add_argument("--card", type=Path, default=None, help="write models/SITE_ADAPTATION.md here")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    folder = args.data / CORPUS
    if not folder.is_dir():
        print(f"error: {folder} not found (the Kannada corpus is the simulated stream)", file=sys.stderr)
        return 2
    base = load_classifier()
    config = AdaptConfig()
    stream = stream_examples(read_split(folder / "train.csv"))
    dev = read_split(folder / "dev.csv")
    steps = [int(s) for s in args.steps.split(",") if s]
    steps = [s for s in steps if s <= len(stream)]
    print(f"base {base.version}; stream {len(stream)} decisions "
          f"({sum(e.rejected for e in stream)} rejected); dev {len(dev)} comments", flush=True)
    report: dict = {"base_version": base.version, "stream": len(stream), "dev": len(dev),
                    "config": config.__dict__, "cpu": platform.processor() or platform.machine(),
                    "threads": os.environ.get("OMP_NUM_THREADS")}
    if steps:
        curve, base_auc, base_max = learning_curve(base, stream, dev, steps, config)
        print(f"  base model on the same dev split: ROC AUC {base_auc:.3f} (toxicity), "
              f"{base_max:.3f} (max over categories)", flush=True)
        report.update(curve=curve, base_dev_auc=base_auc, base_dev_auc_max=base_max)
    if args.train_n:
        seconds, cpu, result = training_time(base, stream, args.train_n, config)
        report["train_100k_s"] = round(seconds, 1)
        report["train_100k_cpu_s"] = round(cpu, 1)
        report["train_n"] = args.train_n
        report["train_activated"] = result.activate
        print(f"  training on {args.train_n:,} decisions: {seconds:.1f}s wall, {cpu:.1f} CPU-s "
              f"({os.environ.get('OMP_NUM_THREADS')} BLAS threads)", flush=True)
    if args.speed_n:
        full = adapt(base, stream, AdaptConfig(margin=-1.0), version="speed").model
        assert full is not None
        # Civil Comments news comments, as benchmarks/classifier.py measures the base
        texts = comments(args.data, args.speed_n)
        texts = (texts * (args.speed_n // max(1, len(texts)) + 1))[: args.speed_n]
        load_before = os.getloadavg()[0]
        speed = scoring_speed(base, full, texts)
        speed["ratio"] = round(speed["site"] / speed["base"], 3)
        speed["texts"] = len(texts)
        speed["load_1min"] = round((load_before + os.getloadavg()[0]) / 2, 2)
        report["speed"] = speed
        print(f"  scoring {len(texts):,} comments, one thread, full predict (median of 5, "
              f"alternating): base {speed['base']:,}/s, with the site model {speed['site']:,}/s "
              f"({speed['ratio']:.0%} of the base; load average {speed['load_1min']} on "
              f"{os.cpu_count()} cores)", flush=True)
    if args.card and steps:
        args.card.write_text(render_card(report), encoding="utf-8")
        print(f"wrote {args.card}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
