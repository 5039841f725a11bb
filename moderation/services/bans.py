"""Sender bans: by pseudonym, IP address or CIDR network, or email; with expiry and reason.

An active ban (not lifted, not expired) is part of the site's blocklist: the
worker rejects the sender's later comments with ``blocklist:sender``. Creating and
lifting a ban each append an audit event; a ban row is never deleted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from moderation import audit
from moderation.domain.actors import Actor
from moderation.senders import mask_email, mask_ip, normalise_email
from moderation.store import Ban

KINDS = ("pseudonym", "ip", "email")


class InvalidBan(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def normalise_value(kind: str, value: str) -> str:
    value = value.strip()
    if kind == "ip":
        try:
            return str(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise InvalidBan("value", "is not an IP address or CIDR network") from None
    if kind == "email":
        local, at, domain = value.rpartition("@")
        if not at or not local or "." not in domain:
            raise InvalidBan("value", "is not an email address")
        return normalise_email(value)
    if not value.startswith("snd_") or len(value) > 32:
        raise InvalidBan("value", "is not a sender pseudonym (snd_...)")
    return value


def shown_value(ban: Ban) -> str:
    """What a moderator sees: a single IP or an email is masked like sender details are."""
    if ban.kind == "email":
        return mask_email(ban.value) or ""
    if ban.kind == "ip":
        network = ipaddress.ip_network(ban.value, strict=False)
        if network.prefixlen == network.max_prefixlen:
            return mask_ip(str(network.network_address)) or ""
    return ban.value


def ban_record(ban: Ban) -> dict[str, Any]:
    return {
        "id": ban.id, "site_id": ban.site_id, "kind": ban.kind, "value": shown_value(ban),
        "reason": ban.reason, "created_by": ban.created_by, "created_by_id": ban.created_by_id,
        "created_at": ban.created_at.isoformat(),
        "expires_at": ban.expires_at.isoformat() if ban.expires_at else None,
        "lifted_at": ban.lifted_at.isoformat() if ban.lifted_at else None,
    }


def is_active(ban: Ban, now: datetime | None = None) -> bool:
    now = now or datetime.now(UTC)
    return ban.lifted_at is None and (ban.expires_at is None or ban.expires_at > now)


def create_ban(
    session: Session, *, site_id: int, kind: str, value: str, reason: str,
    expires_at: datetime | None, actor: Actor, request_id: str | None,
) -> Ban:
    if kind not in KINDS:
        raise InvalidBan("kind", f"must be one of {', '.join(KINDS)}")
    now = datetime.now(UTC)
    if expires_at is not None and expires_at <= now:
        raise InvalidBan("expires_at", "must be in the future")
    ban = Ban(site_id=site_id, kind=kind, value=normalise_value(kind, value), reason=reason,
              created_by=actor.display_name, created_by_id=actor.id, created_at=now, expires_at=expires_at)
    session.add(ban)
    session.flush()
    audit.record(session, actor=actor, action="ban.create", target_type="ban", target_id=ban.id,
                 site_id=site_id, after=ban_record(ban), request_id=request_id)
    session.commit()
    return ban


def active_at(now: datetime) -> ColumnElement[bool]:
    """The SQL condition for a ban in force at ``now``: not lifted and not expired."""
    return and_(Ban.lifted_at.is_(None), or_(Ban.expires_at.is_(None), Ban.expires_at > now))


def list_bans(session: Session, *, site_ids: Sequence[int] | None, active_only: bool = True,
              limit: int = 500) -> list[Ban]:
    query = select(Ban).order_by(Ban.id.desc()).limit(limit)
    if site_ids is not None:
        query = query.where(Ban.site_id.in_(list(site_ids)))
    if active_only:
        query = query.where(active_at(datetime.now(UTC)))
    return list(session.scalars(query))


def lift_ban(session: Session, ban: Ban, *, actor: Actor, request_id: str | None) -> Ban:
    """Lift a ban (idempotent). Commits."""
    if ban.lifted_at is not None:
        return ban
    before = ban_record(ban)
    ban.lifted_at = datetime.now(UTC)
    ban.lifted_by_id = actor.id
    session.flush()
    audit.record(session, actor=actor, action="ban.lift", target_type="ban", target_id=ban.id,
                 site_id=ban.site_id, before=before, after=ban_record(ban), request_id=request_id)
    session.commit()
    return ban
