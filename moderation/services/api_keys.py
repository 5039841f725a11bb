"""Key administration: create, list and revoke API keys, each change audited.

Scoping rules: ``site`` keys are bound to one site; ``moderator`` and
``compliance`` keys may be bound to one site or to none (all sites); ``admin``
keys are never bound to a site.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation import audit
from moderation import keys as key_store
from moderation.domain.actors import Actor
from moderation.keys import KeyRequestError
from moderation.store import ApiKey, Site, User


def key_record(key: ApiKey) -> dict[str, Any]:
    """A key as shown to admins and recorded in the audit log (never its token or hash)."""
    return {
        "id": key.id,
        "name": key.name,
        "role": key.role,
        "site_id": key.site_id,
        "token_prefix": key.token_prefix,
        "created_at": key.created_at.isoformat() if key.created_at else None,
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


def create_key(
    session: Session, *, role: str, site: Site | None, name: str | None, actor: Actor,
    request_id: str | None = None,
) -> tuple[ApiKey, str]:
    """Create a key, audit it, commit, and return it with its token (shown once)."""
    if role == "admin" and site is not None:
        raise KeyRequestError("admin keys are not scoped to a site")
    if role == "site" and site is None:  # worded for every caller (keys.py's says --site)
        raise KeyRequestError("a site key needs the site it submits for")
    key, token = key_store.create_key(session, role=role, site=site, name=name)
    # A key made by a person (signed in, or through a key of theirs) belongs to that person.
    key.owner_user_id = actor.user_id
    session.flush()
    # A key made by a person (or by a key a person owns) acts for that person; one made
    # by the system (the CLI) counts as its own person.
    key.created_by = actor.id
    key.person_id = actor.person_id if actor.kind != "system" else None
    audit.record(session, actor=actor, action="key.create", target_type="api_key", target_id=key.id,
                 site_id=key.site_id, after={**key_record(key), "owner_user_id": key.owner_user_id},
                 request_id=request_id)
    session.commit()
    return key, token


def find_key(session: Session, key_id: int) -> ApiKey | None:
    """The key with this id (revoked or not), or None; ids beyond the column's range find nothing."""
    return session.get(ApiKey, key_id) if 0 < key_id <= 2**31 - 1 else None


def list_keys(session: Session, *, site_id: int | None = None,
              include_revoked: bool = True) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.id)
    if site_id is not None:
        query = query.where(ApiKey.site_id == site_id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return list(session.scalars(query))


def revoke_key(session: Session, key: ApiKey, *, actor: Actor, request_id: str | None = None) -> ApiKey:
    """Revoke a key (idempotent: revoking a revoked key changes and audits nothing). Commits."""
    if key.revoked_at is not None:
        return key
    before = key_record(key)
    key.revoked_at = datetime.now(UTC)
    session.flush()
    audit.record(session, actor=actor, action="key.revoke", target_type="api_key", target_id=key.id,
                 site_id=key.site_id, before=before, after=key_record(key), request_id=request_id)
    session.commit()
    return key


def person_user_id(key: ApiKey) -> int | None:
    """The user account a key belongs to: its owner, else the ``user:N`` person it acts for."""
    if key.owner_user_id is not None:
        return key.owner_user_id
    if key.person_id and key.person_id.startswith("user:") and key.person_id[5:].isdigit():
        return int(key.person_id[5:])
    return None


def disabled_owner(session: Session, key: ApiKey) -> int | None:
    """The id of the key's owner account when it is disabled (or gone), else None.

    Read from the database on every request (a primary-key lookup that
    :func:`~moderation.services.access.actor_for_key` makes anyway), never from the key
    cache, so disabling a person refuses their keys at once in every process.
    """
    user_id = person_user_id(key)
    if user_id is None:
        return None
    owner = session.get(User, user_id)
    return user_id if owner is None or owner.disabled_at is not None else None


def record_refusal(session: Session, key: ApiKey, owner_user_id: int, *, actor: Actor,
                   request_id: str | None = None) -> None:
    """Audit a refused request with a disabled person's key. Commits."""
    audit.record(session, actor=actor, action="auth.key_refused", target_type="api_key",
                 target_id=key.id, site_id=key.site_id,
                 after={"reason": "owner_disabled", "owner_user_id": owner_user_id,
                        "key_name": key.name, "token_prefix": key.token_prefix},
                 request_id=request_id)
    session.commit()


def active_keys_of(session: Session, user_id: int) -> list[ApiKey]:
    """The unrevoked keys that belong to this account (refused while it is disabled)."""
    return list(session.scalars(select(ApiKey).where(
        ApiKey.revoked_at.is_(None),
        (ApiKey.owner_user_id == user_id)
        | (ApiKey.owner_user_id.is_(None) & (ApiKey.person_id == f"user:{user_id}")))
        .order_by(ApiKey.id)))
