"""Request to verdict with ``Prefer: wait=5`` vs plain ``202`` intake, side by side in one run.

The target: at 50 requests/s on 2 cores with the fast tier, p99 from request to
verdict-in-the-answer under 150 ms. One stack serves both modes, in alternating
rounds so noise hits both alike: Redis, gunicorn (``gthread``: a waiting request
holds a thread, not a process) and a Celery worker, on SQLite (``--db postgres``:
a throwaway PostgreSQL server).

- ``wait``: ``POST /v1/comments`` with ``Prefer: wait=5``; request to verdict is the
  answer's own latency when it is ``200`` (the verdict is in it), and send to the stored
  verdict's ``created_at`` for any ``202`` (the wait ran out);
- ``plain``: the same requests without the header: ``202`` at once, and request to
  verdict is send to the stored verdict's ``created_at`` (what a client that polls would
  learn later still).

    .venv/bin/python benchmarks/prefer_wait.py --seconds 10 --rounds 2
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from benchmarks import stack  # noqa: E402
from benchmarks.comment_mix import build_mix  # noqa: E402
from benchmarks.load import Databases, prepare_ours  # noqa: E402
from benchmarks.loadgen import LoadResult, run_load  # noqa: E402
from moderation.embedded_redis import free_port  # noqa: E402

MODES = ("wait", "plain")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def verdict_times(url: str, ids: list[int]) -> dict[int, float]:
    """Comment id → its first verdict's ``created_at`` (epoch seconds)."""
    from moderation.store import Verdict
    from moderation.store.database import Database

    db = Database(url)
    found: dict[int, float] = {}
    try:
        with db.session() as session:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                for comment_id, created in session.execute(
                        select(Verdict.comment_id, Verdict.created_at)
                        .where(Verdict.comment_id.in_(chunk)).order_by(Verdict.id)):
                    stamp = created if created.tzinfo else created.replace(tzinfo=UTC)
                    found.setdefault(comment_id, stamp.timestamp())
    finally:
        db.dispose()
    return found


def to_verdict(run: LoadResult, mode: str, url: str) -> tuple[list[float], int]:
    """Request-to-verdict seconds per answered request, and how many never got one."""
    pending = [run.item_id[i] for i in range(len(run.status)) if run.status[i] == 202]
    stored = verdict_times(url, [i for i in pending if i is not None])
    seconds: list[float] = []
    missing = 0
    for i, status in enumerate(run.status):
        if mode == "wait" and status == 200:
            seconds.append(run.latency[i])
        elif status == 202:
            comment_id = run.item_id[i]
            if comment_id in stored:
                seconds.append(stored[comment_id] - run.sent_wall[i])
            else:
                missing += 1
    return seconds, missing


def wait_drained(url: str, ids: list[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(verdict_times(url, ids)) < len(ids):
        time.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=10.0, help="per mode and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--wait", type=int, default=5, help="Prefer: wait=N")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker")
    parser.add_argument("--worker-processes", type=int, default=1)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="prefer-wait-bench-"))
    processes = stack.Processes(workdir)
    n = int(args.rate * args.seconds)
    results: dict[str, list[tuple[LoadResult, list[float], int]]] = {mode: [] for mode in MODES}
    dbs = Databases(args.db, workdir)
    try:
        url = dbs.fresh("prefer_wait")
        token = prepare_ours(url)
        redis_url = stack.redis(processes)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "MODERATION_LOG_JSON": "false",
               "MODERATION_TIER2": "off", "MODERATION_SECRET_KEY": secrets.token_hex(24),
               "PYTHONPATH": str(stack.ROOT)}
        stack.celery_worker(processes, "worker", "workers.worker", args.worker_processes, "WARNING", env)
        processes.spawn("web", [
            sys.executable, "-m", "gunicorn", "--workers", str(args.web_workers),
            "--worker-class", "gthread", "--threads", str(args.threads),
            "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "10", "--backlog", "2048",
            "moderation.wsgi:app"], env)
        stack.wait_http(f"http://127.0.0.1:{port}/readyz", processes)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        # warm-up: every web worker and the worker's pool have imported, connected and loaded
        # the model before the clock starts (waiting answers prove the worker is up)
        warm = build_mix(40, seed=99, article_prefix="warm").bodies
        warmed = run_load(port, "/v1/comments", {**headers, "Prefer": "wait=10"}, warm, rate=0,
                          concurrency=2, deadline=time.monotonic() + 120)
        if sum(1 for s in warmed.status if s == 200) < len(warm) // 2:
            raise RuntimeError(f"warm-up: {warmed.status.count(200)}/{len(warm)} answered; "
                               f"see {workdir}")
        for round_no in range(args.rounds):
            for mode in MODES:
                bodies = build_mix(n, seed=7 + round_no * 2 + MODES.index(mode),
                                   article_prefix=f"{mode}-{round_no}").bodies
                extra = {"Prefer": f"wait={args.wait}"} if mode == "wait" else {}
                run = run_load(port, "/v1/comments", {**headers, **extra}, bodies, rate=args.rate,
                               concurrency=16, deadline=time.monotonic() + args.seconds + 30)
                wait_drained(url, [i for i in run.item_id if i is not None], 60)
                seconds, missing = to_verdict(run, mode, url)
                results[mode].append((run, seconds, missing))
                if processes.dead():
                    raise RuntimeError(f"{processes.dead()} died; see {workdir}")
    finally:
        processes.stop_all()
        dbs.stop()
    print(f"{args.rate:.0f} req/s open loop, {args.rounds} alternating rounds of {args.seconds:.0f} s "
          f"per mode; gunicorn {args.web_workers} gthread workers x {args.threads} threads, "
          f"Celery {args.worker_processes} process(es), fast tier, {args.db}; Prefer: wait={args.wait}")
    print(f"{'mode':<7}{'round':>6}{'sent':>6}{'200':>6}{'202':>6}{'other':>6}{'lag p99':>9}"
          f"{'API p50':>9}{'API p99':>9}{'verdict p50':>13}{'verdict p99':>13}{'no verdict':>12}")
    summary: dict[str, dict[str, list[float]]] = {mode: {"api": [], "verdict": []} for mode in MODES}
    for mode in MODES:
        for round_no, (run, seconds, missing) in enumerate(results[mode], start=1):
            sent = [i for i, s in enumerate(run.status) if s != -1]
            ok = [run.latency[i] for i in sent if run.status[i] in (200, 202)]
            other = sum(1 for i in sent if run.status[i] not in (200, 202))
            summary[mode]["api"] += ok
            summary[mode]["verdict"] += seconds
            print(f"{mode:<7}{round_no:>6}{len(sent):>6}{run.status.count(200):>6}"
                  f"{run.status.count(202):>6}{other:>6}"
                  f"{percentile([run.lag[i] for i in sent], 0.99) * 1000:>9.1f}"
                  f"{percentile(ok, 0.5) * 1000:>9.1f}{percentile(ok, 0.99) * 1000:>9.1f}"
                  f"{percentile(seconds, 0.5) * 1000:>13.1f}{percentile(seconds, 0.99) * 1000:>13.1f}"
                  f"{missing:>12}")
            if run.errors:
                print(f"        errors: {dict(run.errors)}")
    for mode in MODES:
        verdict = summary[mode]["verdict"]
        print(f"all {mode}: request to verdict p50 {percentile(verdict, 0.5) * 1000:.1f} ms, "
              f"p99 {percentile(verdict, 0.99) * 1000:.1f} ms (n={len(verdict)}); API p50 "
              f"{statistics.median(summary[mode]['api']) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
