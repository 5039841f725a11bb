"""Coral Talk external moderation latency vs plain intake, side by side in one run.

Coral waits 200 ms (its default phase timeout) for the answer; the target is p99 under
100 ms for a 1,000-character comment at 50 requests/s on 2 cores. The same gunicorn
(2 sync workers, SQLite, embedded Redis) answers both, in alternating rounds so noise
hits both alike:

- ``coral``: ``POST /v1/integrations/coral/{site}``, Coral's 2-space JSON signed with
  ``X-Coral-Signature``; verified, judged in the request and stored with its verdict
  (one comment in five is abusive, so rejections are part of the mix);
- ``intake``: ``POST /v1/comments`` (stored, 202; the verdict comes later from a worker).

Each round of each path posts to a site of its own (intake with its own site key) from
200 sender addresses, so no rate-limit window carries over and every answer counted is
a real one (the answers by status are printed; only 2xx latencies are in the figures).

    .venv/bin/python benchmarks/coral_latency.py --seconds 20 --rounds 2
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import itertools
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import stack  # noqa: E402
from benchmarks.load import SITE_RATE_LIMITS  # noqa: E402
from benchmarks.perspective_latency import comment_text, percentile  # noqa: E402
from moderation.embedded_redis import free_port  # noqa: E402

SECRET = "empsec_" + "5c0ffee0" * 8
ABUSE = "You are a pathetic idiot and everyone here hates you. "


def prepare_sites(url: str, rounds: int) -> tuple[int, list[int], list[str]]:
    """Migrate and create one site per round and path, so no rate-limit counter carries
    from one round (or path) to the next: the warm-up's Coral site, each Coral round's
    site (``SECRET`` registered) and each intake round's site with its own site key.
    Returns (warm-up site, Coral sites, intake tokens)."""
    from moderation import keys
    from moderation.domain.actors import CLI
    from moderation.services import coral_secrets
    from moderation.settings import load_settings
    from moderation.store import Site
    from moderation.store.database import Database
    from moderation.store.migrate import upgrade

    upgrade(url)
    db = Database(url)
    key = load_settings().integration_key_bytes()
    try:
        with db.session() as session:
            def site(name: str) -> Site:
                row = Site(name=name, policy={"rate_limits": SITE_RATE_LIMITS})
                session.add(row)
                session.flush()
                return row

            coral_sites = []
            for name in ["coral-warm-up"] + [f"coral-round-{r}" for r in range(1, rounds + 1)]:
                row = site(name)
                coral_secrets.add_secret(session, site=row, secret=SECRET, actor=CLI, key=key)
                coral_sites.append(row.id)
            tokens = [keys.create_key(session, role="site", site=site(f"intake-round-{r}"),
                                      name=f"intake-round-{r}")[1] for r in range(1, rounds + 1)]
            session.commit()
            return coral_sites[0], coral_sites[1:], tokens
    finally:
        db.dispose()


def sender_ip(i: int) -> str:
    """Many senders, as on a real site (one IP for all would meet its per-sender limit)."""
    return f"203.0.113.{i % 200 + 1}"


def coral_body(i: int, length: int) -> bytes:
    text = comment_text(i, length)
    if i % 5 == 0:
        text = (ABUSE + text)[:length]
    request = {"action": "NEW", "comment": {"body": f"<p>{text}</p>", "parentID": None},
               "author": {"id": f"author-{i % 200}", "role": "COMMENTER"},
               "story": {"id": f"story-{i % 20}", "url": f"https://news.example.com/story-{i % 20}"},
               "site": {"id": "bench-site"}, "tenantID": "bench-tenant",
               "tenantDomain": "comments.example.com"}
    return json.dumps(request, indent=2).encode()


def run(port: int, path: str, requests: list[tuple[bytes, dict[str, str]]], *, rate: float,
        concurrency: int) -> tuple[list[float], Counter[int]]:
    """Open loop: request i is due at start + i / rate; latency from the actual send."""
    latencies = [0.0] * len(requests)
    statuses: list[int] = [-1] * len(requests)
    counter = itertools.count()
    start = time.monotonic() + 0.05

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while (i := next(counter)) < len(requests):
            due = start + i / rate
            if due > time.monotonic():
                time.sleep(due - time.monotonic())
            body, headers = requests[i]
            began = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                statuses[i] = response.status
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException):
                statuses[i] = 0
                conn.close()
            latencies[i] = time.perf_counter() - began
        conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ok = [lat for lat, s in zip(latencies, statuses, strict=True) if s in (200, 202, 204)]
    return ok, Counter(statuses)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--length", type=int, default=1000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="coral-bench-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    warm_site, coral_sites, tokens = prepare_sites(url, args.rounds)
    processes = stack.Processes(workdir)
    results: dict[str, list[list[float]]] = {"coral": [], "intake": []}
    answers: Counter[int] = Counter()
    intake_answers: Counter[int] = Counter()
    try:
        redis_url = stack.redis(processes)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "MODERATION_LOG_JSON": "false"}
        stack.gunicorn(processes, "web", "moderation.wsgi:app", port, 2, env)
        stack.wait_http(f"http://127.0.0.1:{port}/healthz", processes)
        n = int(args.rate * args.seconds)
        coral = []
        for i in range(n + 20):
            body = coral_body(i, args.length)
            signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            coral.append((body, {"Content-Type": "application/json", "X-Coral-Signature": signature}))
        intake = [json.dumps({"article_id": "bench", "title": "t", "comment": comment_text(i, args.length),
                              "author": {"name": "A", "email": f"a{i}@example.com"},
                              "sender": {"ip": sender_ip(i)}}).encode() for i in range(n)]
        # warm up: the first Coral request loads the model in each gunicorn worker
        run(port, f"/v1/integrations/coral/{warm_site}", coral[n:], rate=5, concurrency=2)
        for round_no in range(args.rounds):
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {tokens[round_no]}"}
            paths = (("coral", f"/v1/integrations/coral/{coral_sites[round_no]}", coral[:n]),
                     ("intake", "/v1/comments", [(body, headers) for body in intake]))
            for name, path, requests in paths:
                latencies, statuses = run(port, path, requests, rate=args.rate, concurrency=8)
                bad = {s: c for s, c in statuses.items() if s not in (200, 202, 204)}
                if bad:
                    print(f"{name}: non-2xx answers {bad}", file=sys.stderr)
                if name == "coral":
                    answers.update(statuses)
                else:
                    intake_answers.update(statuses)
                results[name].append(latencies)
    finally:
        processes.stop_all()
    print(f"{args.rate:.0f} req/s, {args.length}-character comments, {args.rounds} alternating rounds "
          f"of {args.seconds:.0f} s, gunicorn 2 sync workers on SQLite")
    print(f"coral answers: {dict(sorted(answers.items()))} (200: rejected or withheld, 204: no objection)")
    print(f"intake answers: {dict(sorted(intake_answers.items()))} (202: accepted)")
    print(f"{'path':<10}{'round':>6}{'n':>7}{'p50 ms':>9}{'p99 ms':>9}")
    p50s: dict[str, list[float]] = {}
    p99s: dict[str, list[float]] = {}
    for name, rounds in results.items():
        for i, latencies in enumerate(rounds, start=1):
            p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
            p50s.setdefault(name, []).append(p50)
            p99s.setdefault(name, []).append(p99)
            print(f"{name:<10}{i:>6}{len(latencies):>7}{p50:>9.2f}{p99:>9.2f}")
    for name in results:
        print(f"median of rounds, {name}: p50 {statistics.median(p50s[name]):.2f} ms, "
              f"p99 {statistics.median(p99s[name]):.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
