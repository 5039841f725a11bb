"""SQLite: a transaction that reads and then writes never fails with "database is locked"
because another connection committed in between (the write lock is taken up front)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from moderation.store import Site, base
from moderation.store.database import Database
from moderation.store.migrate import upgrade


def test_interleaved_read_then_write_transactions_wait_instead_of_failing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    upgrade(url)
    db = Database(url)
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            for i in range(25):
                with db.session() as session:
                    session.scalars(select(Site).limit(1)).all()  # read first …
                    session.add(Site(name=f"s-{worker}-{i}", policy={}))  # … then write
                    session.commit()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with db.session() as session:
        assert len(session.scalars(select(Site)).all()) == 100


def _hold_write_lock(path: Path, seconds: float, started: threading.Event) -> None:
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("BEGIN IMMEDIATE")
    started.set()
    time.sleep(seconds)
    raw.execute("COMMIT")
    raw.close()


def test_a_writer_waits_for_the_lock_and_then_proceeds(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    upgrade(url)
    db = Database(url)
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(tmp_path / "c.db", 0.3, started))
    holder.start()
    started.wait(5)
    t0 = time.monotonic()
    with db.session() as session:
        session.add(Site(name="after-the-lock", policy={}))
        session.commit()
    waited = time.monotonic() - t0
    holder.join()
    assert waited >= 0.2  # it really waited for the other writer …
    with db.session() as session:  # … and the normal busy timeout is back afterwards
        timeout = session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar()
        assert timeout == int(base.SQLITE_LOCK_TIMEOUT * 1000)
        assert session.scalars(select(Site).where(Site.name == "after-the-lock")).one()


def test_a_writer_gives_up_with_database_locked_after_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    upgrade(url)
    db = Database(url)
    monkeypatch.setattr(base, "SQLITE_LOCK_TIMEOUT", 0.2)
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(tmp_path / "c.db", 1.0, started))
    holder.start()
    started.wait(5)
    with pytest.raises(OperationalError, match="locked"), db.session() as session:
        session.add(Site(name="never", policy={}))
        session.commit()
    holder.join()
