"""API keys: generation, hashing, creation and lookup. Tokens are never stored."""

from __future__ import annotations

import copy
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, make_transient_to_detached, object_mapper

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


@dataclass(frozen=True, slots=True)
class _Entry:
    key: dict[str, Any]
    site: dict[str, Any] | None
    expires_at: float  # on KeyCache.clock's scale


class KeyCache:
    """Active keys (and their sites) by token hash, for ``ttl_seconds``, in one process.

    Only keys found active are cached (an unknown or revoked token is looked up every
    time). A revocation or a policy change made in this process clears the cache at
    once; one made in another process is seen here within ``ttl_seconds``, which is
    therefore the longest a revoked key keeps working (MODERATION_KEY_CACHE_SECONDS).
    The owner's account is not cached: a disabled person's keys are refused at once
    (``moderation/api/auth.py``).
    """

    def __init__(self, ttl_seconds: float, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        #: Seconds on a monotonic scale; tests replace it to step past the TTL.
        self.clock = clock
        self._entries: dict[str, _Entry] = {}
        self._refused: dict[str, float] = {}

    def get(self, token_hash: str) -> _Entry | None:
        entry = self._entries.get(token_hash)
        if entry is not None and entry.expires_at <= self.clock():
            self._entries.pop(token_hash, None)
            return None
        return entry

    def put(self, token_hash: str, key: ApiKey, site: Site | None) -> None:
        if self.ttl_seconds <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # crude, and only reached with an enormous number of keys
        self._entries[token_hash] = _Entry(_columns(key), _columns(site) if site else None,
                                           self.clock() + self.ttl_seconds)

    def touched(self, token_hash: str, last_used_at: datetime) -> None:
        """Record a last_used_at refresh without extending the entry's life."""
        entry = self._entries.get(token_hash)
        if entry is not None:
            self._entries[token_hash] = replace(
                entry, key={**entry.key, "last_used_at": last_used_at})

    def clear(self) -> None:
        self._entries.clear()

    def first_refusal(self, token_hash: str, every_seconds: float = 600.0) -> bool:
        """True the first time in ``every_seconds`` a key is refused here (audited once per
        window and process, so a script retrying a dead key can't flood the audit log)."""
        now = self.clock()
        last = self._refused.get(token_hash)
        if last is not None and now - last < every_seconds:
            return False
        if len(self._refused) >= self.max_entries:
            self._refused.clear()
        self._refused[token_hash] = now
        return True


def _columns(obj: ApiKey | Site) -> dict[str, Any]:
    return {attr.key: getattr(obj, attr.key) for attr in object_mapper(obj).column_attrs}


T = TypeVar("T", ApiKey, Site)


def _attach(session: Session, cls: type[T], values: dict[str, Any]) -> T:
    """A cached row as a persistent instance of ``session``, without a query."""
    obj = cls(**copy.deepcopy(values))
    make_transient_to_detached(obj)
    return session.merge(obj, load=False)


def find_active_key(session: Session, token: str, cache: KeyCache | None = None) -> ApiKey | None:
    """The active key for ``token``; with a cache, its site is loaded into the session too."""
    token_hash = hash_token(token)
    entry = cache.get(token_hash) if cache is not None else None
    if entry is not None:
        if entry.site is not None:
            # The identity map holds instances weakly: pin the site for the session's life
            # so a later session.get(Site, id) finds it without a query.
            session.info.setdefault("pinned", []).append(_attach(session, Site, entry.site))
        return _attach(session, ApiKey, entry.key)
    key = session.scalars(select(ApiKey).where(ApiKey.token_hash == token_hash)).one_or_none()
    if key is None or key.revoked_at is not None:
        return None
    if cache is not None:
        site = session.get(Site, key.site_id) if key.site_id is not None else None
        cache.put(token_hash, key, site)
    return key


def touch(key: ApiKey, now: datetime | None = None) -> bool:
    """Refresh last_used_at when it is stale; returns True when the row changed."""
    now = now or datetime.now(UTC)
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_GRANULARITY:
        key.last_used_at = now
        return True
    return False
