"""Console queue page and next-card fragment latency at scale, on SQLite and PostgreSQL.

Seeds ``--rows`` comments (default 1,000,000) with the set-up shared with
``benchmarks/list_latency.py`` (``benchmarks/seeding.py``: same generator and bulk
loaders, 12% of them ``needs_review``), signs a moderator in through the real login
form, then times server-side renders through the real Flask app (session check, site
scope, queries, Jinja templates): the queue page for every site and for one site, the
next-card fragment at random places in the queue, and the queue page of a moderator
scoped to one site. Reports p50/p99 per scenario as a Markdown table.

    .venv/bin/python -m benchmarks.console_latency --rows 1000000
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.seeding import (  # noqa: E402
    SECRET,
    kinds,
    print_report,
    redis_server,
    seeded_database,
    time_calls,
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
    results = {name: time_calls(fn, n) for name, fn in scenarios.items()}
    app.extensions["db"].dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per scenario")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()

    report: dict[str, dict[str, list[float]]] = {}
    with redis_server("console-bench-") as (workdir, redis_url):
        for kind in kinds(args.db):
            with seeded_database(kind, workdir, args.rows, args.sites) as url:
                report[kind] = measure(url, redis_url, args.sites, args.requests)
    print_report(report, f"{args.rows:,} comments, {args.sites} sites, {args.requests} requests per "
                 "scenario; milliseconds per server-side render (p50 / p99), through the Flask app")


if __name__ == "__main__":
    main()
