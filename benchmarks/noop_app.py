"""The floor: a bare Flask → Celery → Redis pipeline that does no moderation work.

``POST /noop`` reads the JSON body, INSERTs it as one row and commits, enqueues a
Celery task with the row id, and answers 202 with the id. The task INSERTs one
``noop_done`` row (id, wall-clock time) and commits. So per comment the floor pays
exactly the framework costs our service cannot avoid (HTTP parsing, a JSON decode, one
durable write and commit before answering, one broker publish, one task delivery and
ack with acks_late, one durable write for the result) and none of the service's own
work (authentication, schema validation, the idempotency lookup, sender details,
the pipeline, the classifier, the verdict JSON, metrics, logging).

It uses the same database (same engine settings: SQLite WAL with the service's pragmas,
or PostgreSQL), the same Celery settings and the same process counts as the real stack.

Serve with ``gunicorn 'benchmarks.noop_app:create_app()'`` and run the worker with
``celery -A benchmarks.noop_worker worker``; both read ``DATABASE_URL`` and ``REDIS_URL``.
"""

from __future__ import annotations

import functools
import json
import os
import time
from typing import Any

from celery import Celery, shared_task
from flask import Flask, request
from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    Table,
    Text,
    insert,
)

from moderation.store.base import make_engine

NOOP_TASK = "benchmarks.noop"

metadata = MetaData()
items = Table(
    "noop_items", metadata,
    Column("id", Integer, primary_key=True),
    Column("payload", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)
done = Table(
    "noop_done", metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, nullable=False),
    Column("done_at", Float, nullable=False),
)


def create_tables(database_url: str) -> None:
    engine = make_engine(database_url)
    metadata.create_all(engine)
    engine.dispose()


@functools.cache
def engine() -> Engine:
    """One engine per process, built lazily so prefork children never share a pool."""
    return make_engine(os.environ["DATABASE_URL"])


def celery_config(redis_url: str) -> dict[str, Any]:
    """The service's Celery settings that matter for throughput, copied as-is."""
    from moderation.settings import load_settings
    from workers.celery_app import celery_config as service_config

    config = service_config(load_settings(redis_url=redis_url))
    config.pop("beat_schedule", None)
    config["include"] = ["benchmarks.noop_app"]
    config["task_default_queue"] = "noop"
    return config


def make_celery(redis_url: str) -> Celery:
    celery = Celery("noop")
    celery.config_from_object(celery_config(redis_url))
    celery.set_default()
    return celery


@shared_task(name=NOOP_TASK, acks_late=True, reject_on_worker_lost=True, max_retries=0)
def noop(item_id: int) -> None:
    with engine().begin() as conn:
        conn.execute(insert(done).values(item_id=item_id, done_at=time.time()))


def create_app() -> Flask:
    app = Flask("noop")
    celery = make_celery(os.environ["REDIS_URL"])

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/noop")
    def accept() -> tuple[dict[str, Any], int]:
        payload = json.loads(request.get_data(cache=False))
        with engine().begin() as conn:
            inserted = conn.execute(
                insert(items).values(payload=json.dumps(payload, ensure_ascii=False),
                                     created_at=time.time())
            ).inserted_primary_key
            assert inserted is not None
            item_id = int(inserted[0])
        celery.send_task(NOOP_TASK, args=[item_id])
        return {"id": item_id, "status": "pending"}, 202

    return app
