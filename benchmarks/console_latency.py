"""Console queue page and next-card fragment latency at scale, on SQLite and PostgreSQL.

Seeds ``--rows`` comments (default 1,000,000) exactly like ``benchmarks/list_latency.py``
(same generator and bulk loaders: 12% of them ``needs_review``), signs a moderator in
through the real login form, then times server-side renders through the real Flask app
(session check, site scope, queries, Jinja templates): the queue page for every site and
for one site, the next-card fragment at random places in the queue, and the queue page of
a moderator scoped to one site. Reports p50/p99 per scenario as a Markdown table.

    .venv/bin/python -m benchmarks.console_latency --rows 1000000
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.list_latency import (  # noqa: E402
    SECRET,
    _sites_and_key,
    _time,
    pct,
    seed_postgres,
    seed_sqlite,
)

PASSWORD = "benchmark-harbour-lantern-42"
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def _signed_in_client(app: Any, username: str) -> Any:
    client = app.test_client()
    page = client.get("/console/login").get_data(as_text=True)
    token = _CSRF.search(page)
    assert token, "no CSRF token on the login page"
    answer = client.post("/console/login", data={"username": username, "password": PASSWORD,
                                                 "csrf_token": token.group(1)})
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)[:300]
    return client


def measure(url: str, redis_url: str, sites: int, n: int) -> dict[str, list[float]]:
    from sqlalchemy import select

    from moderation import create_app
    from moderation.domain.actors import Actor
    from moderation.services import users
    from moderation.store import Comment

    app = create_app({"database_url": url, "redis_url": redis_url, "env": "test", "secret_key": SECRET})
    with app.extensions["db"].session() as session:
        for username, every, site_ids in (("bench-all", True, ()), ("bench-one", False, (1,))):
            users.create_user(session, username=username, display_name=username, role="moderator",
                              password=PASSWORD, all_sites=every, site_ids=site_ids,
                              actor=Actor.system("benchmark"))
        waiting = list(session.scalars(select(Comment.id).where(Comment.status == "needs_review")
                                       .order_by(Comment.id)))
    every_site = _signed_in_client(app, "bench-all")
    one_site = _signed_in_client(app, "bench-one")
    rnd = random.Random(5)

    def get(client: Any, path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert b"data-comment-id" in response.data, path

    scenarios = {
        "queue page, every site (10 cards + per-site counts)": lambda: get(every_site, "/console/queue"),
        "queue page, site filter": lambda: get(
            every_site, f"/console/queue?site_id={rnd.randrange(sites) + 1}"),
        "queue page, moderator scoped to one site": lambda: get(one_site, "/console/queue"),
        "next-card fragment, random place in the queue": lambda: get(
            every_site, f"/console/queue/next?after={rnd.choice(waiting[:-50])}"),
        "next-card fragment, one site": lambda: get(
            one_site, f"/console/queue/next?after={rnd.choice(waiting[:-500])}"),
    }
    results = {name: _time(fn, n) for name, fn in scenarios.items()}
    app.extensions["db"].dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per scenario")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()

    from moderation.embedded_redis import free_port, start_redis
    from moderation.store.migrate import upgrade
    from tests.support.postgres import admin_execute, start_postgres

    workdir = Path(tempfile.mkdtemp(prefix="console-bench-"))
    redis_port = free_port()
    redis = start_redis(redis_port, workdir / "redis")
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    report: dict[str, dict[str, list[float]]] = {}
    server = None
    try:
        for kind in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
            started = time.perf_counter()
            if kind == "sqlite":
                path = workdir / "bench.db"
                url = f"sqlite:///{path}"
                upgrade(url)
                _sites_and_key(url, args.sites)
                seed_sqlite(path, args.rows, args.sites)
            else:
                server = start_postgres()
                admin_execute(server, "CREATE DATABASE bench")
                url = server.database_url("bench")
                upgrade(url)
                _sites_and_key(url, args.sites)
                seed_postgres(url.replace("postgresql+psycopg", "postgresql"), args.rows, args.sites)
            print(f"{kind}: seeded {args.rows:,} comments in {time.perf_counter() - started:.0f} s",
                  flush=True)
            report[kind] = measure(url, redis_url, args.sites, args.requests)
    finally:
        if server is not None:
            server.stop()
        redis.terminate()
        redis.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)

    kinds = list(report)
    print(f"\n{args.rows:,} comments, {args.sites} sites, {args.requests} requests per scenario; "
          "milliseconds per server-side render (p50 / p99), through the Flask app\n")
    print("| scenario | " + " | ".join(f"{k} p50 | {k} p99" for k in kinds) + " |")
    print("|---|" + "---:|" * (2 * len(kinds)))
    for name in report[kinds[0]]:
        cells = " | ".join(f"{pct(report[k][name], .5):.1f} | {pct(report[k][name], .99):.1f}" for k in kinds)
        print(f"| {name} | {cells} |")


if __name__ == "__main__":
    main()
