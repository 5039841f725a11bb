"""SQLite: a transaction that reads and then writes never fails with "database is locked"
because another connection committed in between (the write lock is taken up front)."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import select

from moderation.store import Site
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
