"""Declarative base, timestamps and engine construction for SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import os
import random
import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event, make_url
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which drops tzinfo) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_LOCK_TIMEOUT * 1000)}")
    cursor.close()


#: The database holds sender names, e-mail and IP addresses: owner-only, whatever the umask.
SQLITE_FILE_MODE = 0o600


def private_sqlite_file(path: str) -> None:
    """Create the SQLite file (and its folder) readable by its owner only.

    SQLite gives the ``-wal`` and ``-shm`` files the main file's permissions, so creating
    the main file 0600 before SQLite opens it covers all three. Files an older version
    created world-readable are tightened (with a warning) when they can be.
    """
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory, mode=0o700, exist_ok=True)
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT, SQLITE_FILE_MODE))  # an empty file is a valid db
    for candidate in (path, path + "-wal", path + "-shm"):
        try:
            mode = os.stat(candidate).st_mode & 0o777
            if mode & 0o077:
                os.chmod(candidate, SQLITE_FILE_MODE)
                log.warning("tightened %s from %o to %o: it holds sender details",
                            candidate, mode, SQLITE_FILE_MODE)
        except FileNotFoundError:
            continue
        except PermissionError as exc:
            log.warning("can't restrict %s to its owner: %s", candidate, exc)


def make_engine(url: str, *, for_worker: bool = False) -> Engine:
    """Create an engine; SQLite gets WAL mode and a busy timeout so web and worker share it.

    Celery's prefork pool forks worker processes after the app (and its engine) exist;
    each child drops the inherited connections on ``worker_process_init``
    (``engine.dispose(close=False)``) and then pools its own. ``for_worker`` gives a
    NullPool on SQLite, for short-lived processes such as migrations, where no
    connection should outlive its use.
    """
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:"):
            private_sqlite_file(path)
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_LOCK_TIMEOUT, "check_same_thread": False},
            poolclass=NullPool if for_worker else None,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; we emit BEGIN IMMEDIATE so a
        # transaction that reads and then writes (key lookup then insert, for example)
        # holds the write lock from the start. With a deferred BEGIN, SQLite refuses the
        # write at once ("database is locked", no busy wait) whenever another connection
        # committed in between; IMMEDIATE makes it wait up to busy_timeout instead.
        event.listen(engine, "connect", _disable_pysqlite_begin)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _disable_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


#: How long a SQLite transaction waits for the database-wide write lock (seconds).
SQLITE_LOCK_TIMEOUT = 10.0
#: Polling interval while waiting for it: starts short, doubles up to the cap.
_LOCK_POLL_START, _LOCK_POLL_CAP = 0.0002, 0.002


def _sqlite_begin(conn: Any) -> None:
    """BEGIN IMMEDIATE, waiting for the write lock with fine-grained polling.

    SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25, 25 … 100 ms between tries,
    so under steady write traffic from several processes a writer that misses the lock
    once typically waits tens of milliseconds after it was freed (API p99 80-109 ms at
    200 req/s on 2 cores; 26-31 ms with this, BENCHMARKS.md). Here the BEGIN polls every
    0.2-2 ms (busy_timeout 0 for that
    statement only; every other statement keeps the normal busy timeout) and gives up
    with SQLite's own "database is locked" error after ``SQLITE_LOCK_TIMEOUT``.
    """
    dbapi = conn.connection.dbapi_connection
    deadline = time.monotonic() + SQLITE_LOCK_TIMEOUT
    pause = _LOCK_POLL_START
    dbapi.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                dbapi.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                # primary code: extended ones (SQLITE_BUSY_RECOVERY, …) share the low byte
                busy = (exc.sqlite_errorcode & 0xFF) in _SQLITE_BUSY
                if not busy or time.monotonic() >= deadline:
                    break
            time.sleep(pause * random.uniform(0.5, 1.5))
            pause = min(pause * 2, _LOCK_POLL_CAP)
        # out of time (or another error): once more through SQLAlchemy, so the caller gets
        # the usual wrapped OperationalError (the API answers 503 with Retry-After)
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        dbapi.execute(f"PRAGMA busy_timeout={int(SQLITE_LOCK_TIMEOUT * 1000)}")


_SQLITE_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def make_session_factory(engine: Engine) -> sessionmaker[Any]:
    return sessionmaker(bind=engine, expire_on_commit=False)
