"""Append-only, keyed hash-chained audit events.

Each event stores the hash of the previous one, and its own hash, an HMAC-SHA256
under the **audit key** (``MODERATION_AUDIT_KEY`` / ``MODERATION_AUDIT_KEY_FILE``,
never stored in the database), covers its content plus that link. Editing or
deleting any row breaks the chain from that row on, and someone with write access
to the database but not the key can't recompute the hashes after an edit.
:func:`verify_chain` finds the first broken link. Removing the newest events (and
moving the head row back) leaves a shorter chain that is still valid; signed
checkpoints kept outside the database catch that (``moderation/audit_checkpoints.py``).
No code path updates or deletes an ``audit_events`` row (the one-off migration that
keyed the existing chain aside).

The key travels with the session factory (``session.info["audit_key"]``, set by
``Database``), so every writer and verifier of one deployment uses the same key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from moderation.domain.actors import Actor
from moderation.store import AuditChainHead, AuditEvent

GENESIS = "0" * 64
#: Used when a session factory was built without a key (development and tests only:
#: production settings refuse to start without MODERATION_AUDIT_KEY).
DEV_AUDIT_KEY = b"dev-insecure-audit-key-change-me"


def session_key(session: Session) -> bytes:
    key = session.info.get("audit_key")
    return key if isinstance(key, bytes) and key else DEV_AUDIT_KEY


def _canonical(event: AuditEvent) -> bytes:
    payload: dict[str, Any] = {
        "prev_hash": event.prev_hash,
        "actor": event.actor,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "site_id": event.site_id,
        "before": event.before,
        "after": event.after,
        "request_id": event.request_id,
        "created_at": event.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
    }
    if event.actor_name is not None:  # events from before display names were recorded have none
        payload["actor_name"] = event.actor_name
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()


def event_hash(event: AuditEvent, key: bytes = DEV_AUDIT_KEY) -> str:
    """HMAC-SHA256 of the event's canonical content (which includes the previous hash)."""
    return hmac.new(key, _canonical(event), hashlib.sha256).hexdigest()


def legacy_event_hash(event: AuditEvent) -> str:
    """The unkeyed SHA-256 used before the chain was keyed (for the keying migration only)."""
    return hashlib.sha256(_canonical(event)).hexdigest()


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str | int | None = None,
    site_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """Append an event in the caller's transaction (the caller commits).

    The event records the actor's stable id (``user:3``, ``key:7``, ``system:cli``) and
    the display name it had at the time.
    """
    # Touch the head row first: this takes the write/row lock that orders appends.
    session.execute(update(AuditChainHead).where(AuditChainHead.id == 1)
                    .values(last_hash=AuditChainHead.last_hash))
    head = session.execute(select(AuditChainHead).where(AuditChainHead.id == 1)).scalar_one()
    session.refresh(head)
    event = AuditEvent(
        actor=actor.id,
        actor_name=actor.display_name,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        site_id=site_id,
        before=before,
        after=after,
        request_id=request_id,
        created_at=datetime.now(UTC),
        prev_hash=head.last_hash,
    )
    event.hash = event_hash(event, session_key(session))
    session.add(event)
    session.flush()
    head.last_hash = event.hash
    head.last_event_id = event.id
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken_id: int | None
    problem: str | None
    #: the newest event that verified, and its hash: the head to keep elsewhere
    head_id: int | None = None
    head_hash: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_broken_id is None


def _events(session: Session, batch: int = 1000) -> Iterator[AuditEvent]:
    last_id = 0
    while True:
        rows = list(session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ))
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        session.expunge_all()


def verify_chain(session: Session) -> ChainReport:
    """Walk the chain from the first event; report the first event that doesn't fit."""
    key = session_key(session)
    previous = GENESIS
    checked = 0
    last_id: int | None = None
    for event in _events(session):
        if event.prev_hash != previous:
            return ChainReport(checked, event.id, "its prev_hash does not match the previous event")
        if not hmac.compare_digest(event_hash(event, key), event.hash):
            return ChainReport(checked, event.id, "its content does not match its hash")
        previous = event.hash
        last_id = event.id
        checked += 1
    head = session.get(AuditChainHead, 1)
    if head is not None and (head.last_hash != previous or head.last_event_id != last_id):
        return ChainReport(checked, last_id or 0, "events after this one were deleted",
                           last_id, previous if last_id else None)
    return ChainReport(checked, None, None, last_id, previous if last_id else None)
