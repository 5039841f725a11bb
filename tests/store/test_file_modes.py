"""The SQLite database and its WAL hold sender details: owner-only (0600), whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from moderation.store.base import make_engine
from moderation.store.migrate import upgrade


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # the usual default, under which files come out 0644
    yield
    os.umask(previous)


def test_a_new_database_and_its_wal_and_shm_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "var" / "moderation.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:  # an open connection in WAL mode keeps -wal and -shm
            conn.execute(text("CREATE TABLE IF NOT EXISTS probe (x INTEGER)"))
            conn.execute(text("INSERT INTO probe VALUES (1)"))
            conn.commit()
            files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
            assert all(f.exists() for f in files)
            assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    finally:
        engine.dispose()
    assert mode(path.parent) == 0o700  # the folder it made, too


def test_an_existing_world_readable_database_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "moderation.db"
    upgrade(f"sqlite:///{path}")
    path.chmod(0o644)
    engine = make_engine(f"sqlite:///{path}")
    try:
        assert mode(path) == 0o600
    finally:
        engine.dispose()


def test_a_relative_path_and_a_memory_database_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    engine = make_engine("sqlite:///var/relative.db")
    engine.dispose()
    assert mode(tmp_path / "var" / "relative.db") == 0o600
    memory = make_engine("sqlite:///:memory:")
    with memory.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    memory.dispose()
    assert not (tmp_path / ":memory:").exists()
