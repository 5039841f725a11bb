"""Shared set-up of the latency benchmarks (``list_latency`` and ``console_latency``).

One generator of synthetic comments (12% of them ``needs_review``, sender details and a
verdict for every moderated comment), the bulk loaders for SQLite and PostgreSQL, the
throwaway Redis + database lifecycle (:func:`seeded_databases`), the timing loop and the
Markdown report, so the two benchmarks measure the same data the same way.

PostgreSQL is a throwaway server started like the test suite's
(tests/support/postgres.py); SQLite is a temporary file. Seeding drops the
secondary indexes, bulk-loads (COPY on PostgreSQL, one executemany transaction
on SQLite) and recreates them, which is much faster than indexed inserts.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STATUSES = (["approved"] * 70 + ["needs_review"] * 12 + ["rejected"] * 10 + ["pending"] * 5
            + ["error"] * 3)
WORDS = ("budget council metro rainfall election cricket school hospital river market tax "
         "festival bridge water power road court police farmer temple").split()
REASONS = ("classifier:abusive", "classifier:obscene", "spam:links", "personal_information:phone_number",
           "defamatory:accusation", "classifier:threat")
SECRET = "benchmark-secret-key-0123"
BATCH = 20_000


def rows(n: int, sites: int, seed: int = 7) -> Iterator[tuple[dict[str, Any], dict[str, Any],
                                                              dict[str, Any] | None]]:
    rnd = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=90)
    step = timedelta(days=90) / max(n, 1)
    for i in range(1, n + 1):
        status = rnd.choice(STATUSES)
        tox = None if status == "pending" else round(rnd.random(), 4)
        created = start + step * i
        sender = rnd.randrange(n // 5 + 1)
        reasons = [] if status in ("approved", "pending") else rnd.sample(REASONS, rnd.randint(1, 2))
        scores = None if tox is None else {"toxicity": tox, "abusive": round(tox * rnd.random(), 4),
                                          "spam": round(rnd.random() * 0.5, 4)}
        text = " ".join(rnd.choices(WORDS, k=12))
        comment = {
            "id": i, "site_id": rnd.randrange(sites) + 1, "article_id": f"article-{rnd.randrange(5000)}",
            "title": "Re: " + WORDS[i % len(WORDS)], "text": text,
            "sender_pseudonym": f"snd_{sender:020d}", "status": status, "toxicity": tox,
            "created_at": created, "updated_at": created,
            "moderated_at": None if tox is None else created + timedelta(seconds=2),
            "scores": scores, "reason_codes": None if tox is None else " " + " ".join(reasons) + " ",
        }
        details = {"comment_id": i, "name": "Reader", "email": f"reader{sender}@example.com",
                   "ip": f"10.{sender % 250}.{(sender // 250) % 250}.{sender % 200 + 1}"}
        verdict = None if tox is None else {
            "comment_id": i, "decision": status if status != "error" else "needs_review",
            "scores": scores, "model_version": "bench-1", "policy_version": 1, "created_at": created,
            "reasons": [{"code": code, "message": code, "spans": [{"start": 0, "end": 6,
                                                                    "category": code.split(":")[-1]}]}
                        for code in reasons],
        }
        yield comment, details, verdict


COMMENT_COLS = ["id", "site_id", "article_id", "title", "text", "sender_pseudonym", "status", "toxicity",
                "created_at", "updated_at", "moderated_at", "scores", "reason_codes"]
DETAIL_COLS = ["comment_id", "name", "email", "ip"]
VERDICT_COLS = ["comment_id", "decision", "scores", "reasons", "model_version", "policy_version",
                "created_at"]
JSON_COLS = {"scores", "reasons"}


def _sqlite_value(col: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if col in JSON_COLS and value is not None:
        return json.dumps(value)
    return value


def _batched(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def sites_and_key(url: str, sites: int) -> None:
    from moderation.store import Site
    from moderation.store.database import Database

    db = Database(url)
    with db.session() as session:
        for s in range(sites):
            session.add(Site(name=f"site-{s + 1}", policy={}))
        session.commit()
    db.dispose()


def seed_sqlite(path: Path, count: int, sites: int) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    tables = ("comments", "sender_details", "verdicts")
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL AND tbl_name IN "
        "(?, ?, ?)", tables).fetchall()
    for name, _sql in indexes:
        conn.execute(f"DROP INDEX {name}")
    insert_c = f"INSERT INTO comments ({','.join(COMMENT_COLS)}) VALUES ({','.join('?' * len(COMMENT_COLS))})"
    insert_d = f"INSERT INTO sender_details ({','.join(DETAIL_COLS)}) VALUES (?,?,?,?)"
    insert_v = f"INSERT INTO verdicts ({','.join(VERDICT_COLS)}) VALUES (?,?,?,?,?,?,?)"
    conn.execute("BEGIN")
    for batch in _batched(rows(count, sites), BATCH):
        conn.executemany(insert_c, [[_sqlite_value(c, r[0][c]) for c in COMMENT_COLS] for r in batch])
        conn.executemany(insert_d, [[r[1][c] for c in DETAIL_COLS] for r in batch])
        conn.executemany(insert_v, [[_sqlite_value(c, r[2][c]) for c in VERDICT_COLS]
                                    for r in batch if r[2] is not None])
    conn.execute("COMMIT")
    for _name, sql in indexes:
        conn.execute(sql)
    conn.execute("ANALYZE")
    conn.close()


def seed_postgres(dsn: str, count: int, sites: int) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
            "('comments','sender_details','verdicts') AND indexname NOT LIKE 'pk_%' "
            "AND indexname NOT LIKE 'uq_%'").fetchall()
        for name, _sql in indexes:
            conn.execute(f"DROP INDEX {name}")  # type: ignore[arg-type]
        # The change-feed trigger (moderation/store/change_seq.py) is deferred to COMMIT and
        # updates every row once more: with a million rows that COMMIT alone took most of an
        # hour. The throwaway server's superuser skips triggers instead and numbers the
        # changes in the COPY itself, as the trigger would have (commit order = id order).
        conn.execute("SET session_replication_role = replica")
        with conn.transaction(), conn.cursor() as cur:
            for batch in _batched(rows(count, sites), BATCH):
                with cur.copy(f"COPY comments ({','.join(COMMENT_COLS)}, change_seq) FROM STDIN") as copy:
                    for c, _d, _v in batch:
                        copy.write_row([json.dumps(c[k]) if k in JSON_COLS and c[k] is not None else c[k]
                                        for k in COMMENT_COLS] + [c["id"]])
                with cur.copy(f"COPY sender_details ({','.join(DETAIL_COLS)}) FROM STDIN") as copy:
                    for _c, d, _v in batch:
                        copy.write_row([d[k] for k in DETAIL_COLS])
                with cur.copy(f"COPY verdicts ({','.join(VERDICT_COLS)}) FROM STDIN") as copy:
                    for _c, _d, v in batch:
                        if v is not None:
                            copy.write_row([json.dumps(v[k]) if k in JSON_COLS else v[k]
                                            for k in VERDICT_COLS])
        conn.execute("SET session_replication_role = DEFAULT")
        conn.execute("UPDATE change_counter SET value = (SELECT max(id) FROM comments) WHERE id = 1")
        conn.execute("SELECT setval(pg_get_serial_sequence('comments','id'), (SELECT max(id) FROM comments))")
        conn.execute("SET maintenance_work_mem = '512MB'")
        for _name, sql in indexes:
            conn.execute(sql)  # type: ignore[arg-type]
        conn.execute("VACUUM ANALYZE")


def time_calls(fn: Callable[[], Any], n: int) -> list[float]:
    """Milliseconds per call; a call returning an int made that many requests (per-request time)."""
    fn()  # warm
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        requests = fn()
        elapsed = (time.perf_counter() - started) * 1000
        samples.append(elapsed / requests if isinstance(requests, int) and requests > 0 else elapsed)
    return samples


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


@contextmanager
def redis_server(prefix: str) -> Iterator[tuple[Path, str]]:
    """A throwaway Redis (and a work directory) for the length of the benchmark."""
    from moderation.embedded_redis import free_port, start_redis

    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    port = free_port()
    redis = start_redis(port, workdir / "redis")
    try:
        yield workdir, f"redis://127.0.0.1:{port}/0"
    finally:
        redis.terminate()
        redis.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def kinds(db: str) -> list[str]:
    return ["sqlite", "postgres"] if db == "both" else [db]


@contextmanager
def seeded_database(kind: str, workdir: Path, count: int, sites: int) -> Iterator[str]:
    """Migrate a fresh SQLite file or throwaway PostgreSQL database, seed it; yield its URL."""
    from moderation.store.migrate import upgrade

    server = None
    try:
        if kind == "sqlite":
            path = workdir / "bench.db"
            url = f"sqlite:///{path}"
            upgrade(url)
            sites_and_key(url, sites)
            started = time.perf_counter()
            seed_sqlite(path, count, sites)
        else:
            from tests.support.postgres import admin_execute, start_postgres

            server = start_postgres()
            admin_execute(server, "CREATE DATABASE bench")
            url = server.database_url("bench")
            upgrade(url)
            sites_and_key(url, sites)
            started = time.perf_counter()
            seed_postgres(url.replace("postgresql+psycopg", "postgresql"), count, sites)
        print(f"{kind}: seeded {count:,} comments in {time.perf_counter() - started:.0f} s", flush=True)
        yield url
    finally:
        if server is not None:
            server.stop()
        if kind == "sqlite" and (workdir / "bench.db").exists():
            os.remove(workdir / "bench.db")


def print_report(report: dict[str, dict[str, list[float]]], heading: str) -> None:
    """The p50/p99 Markdown table, one column pair per database."""
    columns = list(report)
    print(f"\n{heading}\n")
    print("| scenario | " + " | ".join(f"{k} p50 | {k} p99" for k in columns) + " |")
    print("|---|" + "---:|" * (2 * len(columns)))
    for name in report[columns[0]]:
        cells = " | ".join(f"{pct(report[k][name], .5):.1f} | {pct(report[k][name], .99):.1f}"
                           for k in columns)
        print(f"| {name} | {cells} |")
