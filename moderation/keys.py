"""API keys: generation, hashing, creation and lookup. Tokens are never stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.store import ApiKey, Site

ROLES = ("site", "moderator", "compliance", "admin")
TOKEN_PREFIX = "mod_"
#: last_used_at is refreshed at most this often, to keep writes off the hot path.
LAST_USED_GRANULARITY = timedelta(seconds=60)


class KeyRequestError(ValueError):
    """A key request that can't be honoured (unknown role, missing site)."""


def generate_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # The token carries 256 bits of entropy, so a plain SHA-256 is not brute-forceable.
    return hashlib.sha256(token.encode()).hexdigest()


def create_key(
    session: Session, *, role: str, site: Site | None, name: str | None = None
) -> tuple[ApiKey, str]:
    """Create a key and return it with its token (shown once). Caller commits."""
    if role not in ROLES:
        raise KeyRequestError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if role == "site" and site is None:
        raise KeyRequestError("a site key needs --site")
    token = generate_token()
    key = ApiKey(
        name=name or f"{role}-{site.name if site else 'all'}-{token[4:10]}",
        role=role,
        site_id=site.id if site else None,
        token_hash=hash_token(token),
        token_prefix=token[:10],
    )
    session.add(key)
    session.flush()
    return key, token


def find_active_key(session: Session, token: str) -> ApiKey | None:
    key = session.scalars(
        select(ApiKey).where(ApiKey.token_hash == hash_token(token))
    ).one_or_none()
    if key is None or key.revoked_at is not None:
        return None
    return key


def touch(key: ApiKey, now: datetime | None = None) -> bool:
    """Refresh last_used_at when it is stale; returns True when the row changed."""
    now = now or datetime.now(UTC)
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_GRANULARITY:
        key.last_used_at = now
        return True
    return False
