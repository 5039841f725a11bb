"""Peak memory of a compliance export over 100k comments (issue 5: bounded memory).

Seeds a fresh SQLite database (or the one given by --database-url) with N comments,
each with sender details and one verdict, opens a disclosure case covering the
whole site, then runs the export service in a fresh child process per format and
reports wall time, peak traced Python allocations (tracemalloc) and the child's
peak RSS (ru_maxrss). Run from the repository root:

    .venv/bin/python benchmarks/export_memory.py              # 100k comments
    .venv/bin/python benchmarks/export_memory.py --comments 10000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from moderation.services.access import Actor  # noqa: E402
from moderation.services.disclosure import CaseInput, create_request  # noqa: E402
from moderation.services.exports import ExportOptions, create_export  # noqa: E402
from moderation.services.scopes import Scope  # noqa: E402
from moderation.store import Comment, SenderDetails, Site, Verdict  # noqa: E402
from moderation.store.database import Database  # noqa: E402
from moderation.store.migrate import upgrade  # noqa: E402

CHUNK = 5000


def seed(url: str, comments: int) -> int:
    """Create a site with ``comments`` comments and return a case id covering all of them."""
    upgrade(url)
    db = Database(url)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with db.session() as session:
        site = Site(name="bench-site", policy={})
        session.add(site)
        session.flush()
        for first in range(1, comments + 1, CHUNK):
            ids = range(first, min(first + CHUNK, comments + 1))
            session.execute(insert(Comment), [
                {"id": i, "site_id": site.id, "article_id": f"article-{i % 500}",
                 "article_url": f"https://news.example/a/{i % 500}", "title": f"Comment {i}",
                 "text": ("A long-ish comment about the budget and rural spending. " * 4) + str(i),
                 "sender_pseudonym": f"snd_{i:020d}", "status": "approved",
                 "created_at": start + timedelta(seconds=i), "updated_at": start + timedelta(seconds=i)}
                for i in ids])
            session.execute(insert(SenderDetails), [
                {"comment_id": i, "name": f"Reader {i}", "email": f"reader{i}@example.com",
                 "ip": f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}", "user_agent": "Mozilla/5.0 (X11)",
                 "submitted_from": "198.51.100.1"} for i in ids])
            session.execute(insert(Verdict), [
                {"comment_id": i, "decision": "approved", "scores": {"abuse": 0.01, "spam": 0.02},
                 "reasons": [], "model_version": "bench", "policy_version": 1,
                 "created_at": start + timedelta(seconds=i)} for i in ids])
        session.commit()
        case = create_request(
            session,
            CaseInput(authority="Benchmark", legal_reference="B-1", legal_basis="benchmark",
                      received_at=datetime.now(UTC), due_at=None, notes=""),
            Scope(site_id=site.id), Actor("bench"), default_due_hours=72)
        case_id = case.id
    db.dispose()
    return case_id


def measure(url: str, case_id: int, fmt: str, export_dir: str, trace: bool) -> dict[str, object]:
    """Run one export in this (fresh) process and report its cost."""
    db = Database(url)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    with db.session() as session:
        export = create_export(session, case_id, fmt, Actor("bench", key_id=None),
                               ExportOptions(export_dir=export_dir, two_person_rule=True))
        result: dict[str, object] = {"format": fmt, "records": export.record_count,
                                     "bytes": export.size_bytes}
    result["seconds"] = round(time.perf_counter() - started, 2)
    if trace:
        result["tracemalloc_peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result["ru_maxrss_mib"] = round(rss / 1024, 1)  # kilobytes on Linux
    result["ru_maxrss_growth_mib"] = round((rss - rss_before) / 1024, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--database-url", help="an empty database to seed (default: a temporary SQLite)")
    parser.add_argument("--formats", default="csv,json")
    parser.add_argument("--child", nargs=5, metavar=("URL", "CASE", "FORMAT", "DIR", "TRACE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, case_id, fmt, export_dir, trace = args.child
        print(json.dumps(measure(url, int(case_id), fmt, export_dir, trace == "1")))
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        started = time.perf_counter()
        case_id = seed(url, args.comments)
        print(f"seeded {args.comments} comments in {time.perf_counter() - started:.1f}s", flush=True)
        for fmt in args.formats.split(","):
            for trace in ("0", "1"):
                child = subprocess.run(
                    [sys.executable, __file__, "--child", url, str(case_id), fmt, f"{tmp}/exports", trace],
                    check=True, capture_output=True, text=True)
                print(child.stdout.strip(), flush=True)


if __name__ == "__main__":
    main()
