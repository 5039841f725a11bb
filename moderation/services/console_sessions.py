"""Server-side console sessions: the cookie carries a random token, the row its state.

A session is accepted while it is not ended, has been used within the idle timeout
and is younger than its absolute lifetime. Sign-out, disabling the account, a password
change and a role or site change end it in the database, so a copied cookie stops
working everywhere at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.store import ConsoleSession, User

#: Stages: the password was right and a second factor (or enrolment) is still due / done.
STAGE_PASSWORD = "password"
STAGE_FULL = "full"
#: last_seen_at is written at most this often (idle timeout is measured with this slack).
TOUCH_GRANULARITY = timedelta(seconds=30)


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta
    absolute: timedelta


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, user: User, *, stage: str, lifetimes: Lifetimes, ip: str | None,
          user_agent: str | None, now: datetime | None = None) -> tuple[ConsoleSession, str]:
    """Open a session for ``user``; returns it and its token (for the cookie). Caller commits."""
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    row = ConsoleSession(token_hash=_hash(token), user_id=user.id, stage=stage, created_at=now,
                         last_seen_at=now, expires_at=now + lifetimes.absolute,
                         ip=(ip or "")[:64] or None, user_agent=(user_agent or "")[:255] or None)
    session.add(row)
    session.flush()
    return row, token


def load(session: Session, token: str, *, lifetimes: Lifetimes,
         now: datetime | None = None) -> ConsoleSession | None:
    """The live session for ``token``, its last use refreshed; None when unknown, ended or
    expired (an expired one is ended on the way). The caller commits."""
    now = now or datetime.now(UTC)
    row = session.scalars(select(ConsoleSession).where(ConsoleSession.token_hash == _hash(token))
                          ).one_or_none()
    if row is None or row.ended_at is not None:
        return None
    if now >= row.expires_at:
        end(row, "expired", now)
        return None
    if now - row.last_seen_at >= lifetimes.idle:
        end(row, "idle", now)
        return None
    if now - row.last_seen_at >= TOUCH_GRANULARITY:
        row.last_seen_at = now
    return row


def rotate(row: ConsoleSession) -> str:
    """Give the session a new token (after the second factor), so a token seen before the
    step-up is worthless. Returns the new token; the caller commits."""
    token = secrets.token_urlsafe(32)
    row.token_hash = _hash(token)
    return token


def end(row: ConsoleSession, reason: str, now: datetime | None = None) -> None:
    if row.ended_at is None:
        row.ended_at = now or datetime.now(UTC)
        row.end_reason = reason
