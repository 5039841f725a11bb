"""One engine per process and one session per request or task."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from moderation.settings import Settings
from moderation.store.base import make_engine, make_session_factory


class Database:
    """Owns the engine and the session factory for one process."""

    def __init__(self, url: str, *, for_worker: bool = False, audit_key: bytes | None = None) -> None:
        """``audit_key`` keys the audit chain's HMAC for every session of this database
        (``moderation/audit.py``); build it with :meth:`from_settings` in service code."""
        self.url = url
        self.engine: Engine = make_engine(url, for_worker=for_worker)
        self.sessionmaker: sessionmaker[Session] = make_session_factory(self.engine)
        if audit_key:
            self.sessionmaker.configure(info={"audit_key": audit_key})

    @classmethod
    def from_settings(cls, settings: Settings, *, for_worker: bool = False) -> Database:
        return cls(settings.database_url, for_worker=for_worker, audit_key=settings.audit_key_bytes())

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that is closed (and rolled back if uncommitted) on exit."""
        session = self.sessionmaker()
        try:
            yield session
        finally:
            session.close()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
