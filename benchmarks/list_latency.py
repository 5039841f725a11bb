"""Moderator list and queue latency at scale, on SQLite and PostgreSQL.

Seeds ``--rows`` comments (default 1,000,000) over ``--sites`` sites with sender
details and a verdict for every moderated comment, then times requests through
the real Flask app (auth, rate limiting against a real Redis, serialisation):
the list with each filter and sort, deep cursor pages, and the review queue.
Reports p50/p99 per scenario as a Markdown table.

    .venv/bin/python -m benchmarks.list_latency --rows 1000000

The seeding, the throwaway databases and the report are shared with
``benchmarks/console_latency.py`` (``benchmarks/seeding.py``).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.seeding import (  # noqa: E402
    SECRET,
    WORDS,
    kinds,
    print_report,
    redis_server,
    seeded_database,
    time_calls,
)


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).date().isoformat()


def measure(url: str, redis_url: str, rows: int, sites: int, n: int) -> dict[str, list[float]]:
    from moderation import create_app, keys
    from moderation.api import ratelimit
    from moderation.store import Site

    ratelimit.DEFAULT_PER_KEY = "100000000/minute"  # measure the list, not the limiter refusing
    app = create_app({"database_url": url, "redis_url": redis_url, "env": "test", "secret_key": SECRET})
    with app.extensions["db"].session() as session:
        first_site = session.get(Site, 1)
        _k, token = keys.create_key(session, role="moderator", site=None, name="bench")
        _k, scoped = keys.create_key(session, role="moderator", site=first_site, name="bench-site-1")
        session.commit()
    client = app.test_client()
    rnd = random.Random(11)

    def get(path: str, tok: str = token) -> dict[str, Any]:
        response = client.get(path, headers={"Authorization": f"Bearer {tok}"})
        assert response.status_code == 200, response.get_data(as_text=True)
        body: dict[str, Any] = response.get_json()
        return body

    def deep(path: str, pages: int = 20) -> Callable[[], int]:
        def run() -> int:
            cursor = None
            for page in range(1, pages + 1):
                body = get(path + (f"&cursor={cursor}" if cursor else ""))
                cursor = body["next_cursor"]
                if not cursor:
                    return page
            return pages
        return run

    def site() -> int:
        return rnd.randrange(sites) + 1

    scenarios: dict[str, Callable[[], Any]] = {
        "list newest, all sites": lambda: get("/v1/comments?limit=50"),
        "list newest, one site (scoped key)": lambda: get("/v1/comments?limit=50", scoped),
        "list newest, site filter": lambda: get(f"/v1/comments?site_id={site()}&limit=50"),
        "list oldest, site filter": lambda: get(f"/v1/comments?site_id={site()}&sort=oldest&limit=50"),
        "list by highest score, site": lambda: get(f"/v1/comments?site_id={site()}&sort=score&limit=50"),
        "list status=rejected, site": lambda: get(f"/v1/comments?site_id={site()}&status=rejected&limit=50"),
        "list article": lambda: get(
            f"/v1/comments?site_id={site()}&article_id=article-{rnd.randrange(5000)}"),
        "list sender pseudonym": lambda: get(
            f"/v1/comments?pseudonym=snd_{rnd.randrange(rows // 5):020d}"),
        "list reason=spam:links, site": lambda: get(f"/v1/comments?site_id={site()}&reason=spam:links"),
        "list abusive >= 0.8, site": lambda: get(
            f"/v1/comments?site_id={site()}&category=abusive&min_score=0.8"),
        "list text contains, site": lambda: get(f"/v1/comments?site_id={site()}&q={rnd.choice(WORDS)}"),
        "list date range, site": lambda: get(
            f"/v1/comments?site_id={site()}&from={_days_ago(rnd.randrange(2, 89))}&to={_days_ago(1)}"),
        "list 20 pages deep (per page)": deep(f"/v1/comments?site_id={site()}&limit=50"),
        "queue, all sites": lambda: get("/v1/queue?limit=50"),
        "queue, site filter": lambda: get(f"/v1/queue?site_id={site()}&limit=50"),
        "queue 20 pages deep (per page)": deep(f"/v1/queue?site_id={site()}&limit=50"),
    }
    results = {}
    for name, fn in scenarios.items():
        results[name] = time_calls(fn, n if "deep" not in name else max(3, n // 10))
    app.extensions["db"].dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--requests", type=int, default=100, help="timed requests per scenario")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()

    report: dict[str, dict[str, list[float]]] = {}
    with redis_server("list-bench-") as (workdir, redis_url):
        for kind in kinds(args.db):
            with seeded_database(kind, workdir, args.rows, args.sites) as url:
                report[kind] = measure(url, redis_url, args.rows, args.sites, args.requests)
    print_report(report, f"{args.rows:,} comments, {args.sites} sites, {args.requests} requests per "
                 "scenario; milliseconds per request (p50 / p99), through the Flask app")


if __name__ == "__main__":
    main()
