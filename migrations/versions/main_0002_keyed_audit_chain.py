"""audit: key the existing chain (HMAC-SHA256 under MODERATION_AUDIT_KEY)

Revision ID: main_0002
Revises: main_0001
Create Date: 2026-12-01 22:40:00

Until now each audit event's hash was a plain SHA-256, which anyone with write
access to the database could recompute after an edit. From now on it is an
HMAC-SHA256 under the audit key, which lives outside the database
(``MODERATION_AUDIT_KEY`` or ``MODERATION_AUDIT_KEY_FILE``; development uses a fixed
development key). This one-off step verifies the existing unkeyed chain and, if it
is intact, re-hashes it under the key configured in the environment where the
migration runs (so run it with the service's own settings). A chain that is
already broken is left as it is: ``audit verify`` keeps reporting where.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from alembic import op

from moderation.audit import DEV_AUDIT_KEY, GENESIS, _canonical
from moderation.settings import load_settings
from moderation.store.base import UTCDateTime

revision: str = 'main_0002'
down_revision: str | None = 'main_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

_EVENTS = sa.table(
    "audit_events",
    sa.column("id", sa.Integer), sa.column("actor", sa.String), sa.column("actor_name", sa.String),
    sa.column("action", sa.String), sa.column("target_type", sa.String),
    sa.column("target_id", sa.String), sa.column("site_id", sa.Integer),
    sa.column("before", sa.JSON), sa.column("after", sa.JSON), sa.column("request_id", sa.String),
    sa.column("created_at", UTCDateTime()), sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)
_HEAD = sa.table("audit_chain_head", sa.column("id", sa.Integer), sa.column("last_hash", sa.String),
                 sa.column("last_event_id", sa.Integer))


def _rows(bind: Any) -> list[SimpleNamespace]:
    result = bind.execute(sa.select(_EVENTS).order_by(_EVENTS.c.id))
    return [SimpleNamespace(**row._mapping) for row in result]


def upgrade() -> None:
    bind = op.get_bind()
    events = _rows(bind)
    if not events:
        return
    previous = GENESIS
    for event in events:
        if event.prev_hash != previous or hashlib.sha256(_canonical(event)).hexdigest() != event.hash:
            log.warning("audit chain already broken at event %s: left unkeyed for audit verify "
                        "to report", event.id)
            return
        previous = event.hash
    key = load_settings().audit_key_bytes() or DEV_AUDIT_KEY
    previous = GENESIS
    for event in events:
        event.prev_hash = previous
        event.hash = hmac.new(key, _canonical(event), hashlib.sha256).hexdigest()
        bind.execute(_EVENTS.update().where(_EVENTS.c.id == event.id)
                     .values(prev_hash=event.prev_hash, hash=event.hash))
        previous = event.hash
    bind.execute(_HEAD.update().where(_HEAD.c.id == 1).values(last_hash=previous,
                                                              last_event_id=events[-1].id))


def downgrade() -> None:
    """Keyed hashes can't be turned back into plain ones without re-hashing: done the same way."""
    bind = op.get_bind()
    previous = GENESIS
    events = _rows(bind)
    for event in events:
        event.prev_hash = previous
        event.hash = hashlib.sha256(_canonical(event)).hexdigest()
        bind.execute(_EVENTS.update().where(_EVENTS.c.id == event.id)
                     .values(prev_hash=event.prev_hash, hash=event.hash))
        previous = event.hash
    if events:
        bind.execute(_HEAD.update().where(_HEAD.c.id == 1).values(last_hash=previous))
