"""Perspective-compatible analyze latency vs plain intake, side by side in one run.

Coral Talk gives its Perspective call 800 ms; the target here is p99 under 20 ms
for a 1,000-character comment at 50 requests/s on 2 cores. The same gunicorn
(2 sync workers, SQLite, embedded Redis) answers both, in alternating rounds so
noise hits both alike:

- ``analyze``: ``POST /v1alpha1/comments:analyze?key=…`` (scores in the request; nothing stored);
- ``intake``: ``POST /v1/comments`` (stored, 202; the verdict comes later from a worker).

    .venv/bin/python benchmarks/perspective_latency.py --seconds 20 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import stack  # noqa: E402
from benchmarks.load import prepare_ours  # noqa: E402
from benchmarks.loadgen import run_load  # noqa: E402
from moderation.embedded_redis import free_port  # noqa: E402

WORDS = ("the council said the new budget would fund roads schools and clinics across the district "
         "but readers asked why the figures for rural health were lower than last year ").split()


def comment_text(i: int, length: int = 1000) -> str:
    words: list[str] = []
    while len(" ".join(words)) < length:
        words.append(WORDS[(i + len(words)) % len(WORDS)])
    return " ".join(words)[:length]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--length", type=int, default=1000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="perspective-bench-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    token = prepare_ours(url)
    processes = stack.Processes(workdir)
    results: dict[str, list[list[float]]] = {"analyze": [], "intake": []}
    try:
        redis_url = stack.redis(processes)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "MODERATION_LOG_JSON": "false"}
        stack.gunicorn(processes, "web", "moderation.wsgi:app", port, 2, env)
        stack.wait_http(f"http://127.0.0.1:{port}/healthz", processes)
        n = int(args.rate * args.seconds)
        analyze = [json.dumps({"comment": {"text": comment_text(i, args.length)},
                               "requestedAttributes": {"TOXICITY": {}}, "languages": ["en"],
                               "doNotStore": True}).encode() for i in range(n)]
        intake = [json.dumps({"article_id": "bench", "title": "t", "comment": comment_text(i, args.length),
                              "author": {"name": "A", "email": f"a{i}@example.com"},
                              "sender": {"ip": "203.0.113.9"}}).encode() for i in range(n)]
        # warm both paths (the first analyze loads the model in each gunicorn worker)
        run_load(port, f"/v1alpha1/comments:analyze?key={token}", {}, analyze[:20], rate=0,
                 concurrency=2, deadline=time.monotonic() + 60)
        for _ in range(args.rounds):
            for name, path, bodies, headers in (
                ("analyze", f"/v1alpha1/comments:analyze?key={token}", analyze, {}),
                ("intake", "/v1/comments", intake, {"Authorization": f"Bearer {token}"}),
            ):
                run = run_load(port, path, {"Content-Type": "application/json", **headers}, bodies,
                               rate=args.rate, concurrency=8, deadline=time.monotonic() + args.seconds + 30)
                ok = {200, 202}
                bad = sum(1 for s in run.status if s not in ok)
                if bad:
                    print(f"{name}: {bad} non-2xx answers: {dict(run.errors)}", file=sys.stderr)
                results[name].append([lat for lat, s in zip(run.latency, run.status, strict=True) if s in ok])
    finally:
        processes.stop_all()
    print(f"{args.rate:.0f} req/s, {args.length}-character comments, {args.rounds} alternating rounds "
          f"of {args.seconds:.0f} s, gunicorn 2 sync workers on SQLite")
    print(f"{'path':<10}{'round':>6}{'n':>7}{'p50 ms':>9}{'p99 ms':>9}")
    p99s: dict[str, list[float]] = {}
    for name, rounds in results.items():
        for i, latencies in enumerate(rounds, start=1):
            p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
            p99s.setdefault(name, []).append(p99)
            print(f"{name:<10}{i:>6}{len(latencies):>7}{p50:>9.2f}{p99:>9.2f}")
    ratio = statistics.median(p99s["analyze"]) / statistics.median(p99s["intake"])
    print(f"median p99: analyze {statistics.median(p99s['analyze']):.2f} ms, "
          f"intake {statistics.median(p99s['intake']):.2f} ms (ratio {ratio:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
