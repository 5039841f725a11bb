"""Sender bans: by pseudonym, IP address or CIDR network, or email; with expiry and reason.

An active ban (not lifted, not expired) is part of the site's blocklist: the
worker rejects the sender's later comments with ``blocklist:sender``. Creating and
lifting a ban each append an audit event; a ban row is never deleted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from moderation import audit
from moderation.domain.actors import Actor
from moderation.senders import mask_email, normalise_email
from moderation.store import Ban

KINDS = ("pseudonym", "ip", "email")


@dataclass(frozen=True)
class PrefixLimits:
    """The shortest network prefix an IP ban may name without ``force`` (a /8 bans millions)."""

    ipv4: int = 16
    ipv6: int = 32


class InvalidBan(ValueError):
    def __init__(self, field: str, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


def normalise_value(kind: str, value: str) -> str:
    value = value.strip()
    if kind == "ip":
        try:
            if "%" in value:  # an IPv6 zone id names a local interface, never a sender
                raise ValueError(value)
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


def check_breadth(kind: str, value: str, limits: PrefixLimits, *, force: bool) -> None:
    """Refuse an IP ban on a network shorter than ``limits`` unless ``force`` (``value`` normalised)."""
    if kind != "ip" or force:
        return
    network = ipaddress.ip_network(value, strict=False)
    minimum = limits.ipv4 if network.version == 4 else limits.ipv6
    if network.prefixlen < minimum:
        raise InvalidBan("value", f"is a /{network.prefixlen} network ({network.num_addresses:,} addresses); "
                                  f"IPv{network.version} bans need /{minimum} or longer "
                                  f"unless the request says \"force\": true", code="too_broad")


def shown_value(ban: Ban) -> str:
    """What a moderator sees: an email masked like sender details; an IP ban as what it bans
    (a single address as that address, not its /24, which would read as a wider ban)."""
    if ban.kind == "email":
        return mask_email(ban.value) or ""
    if ban.kind == "ip":
        network = ipaddress.ip_network(ban.value, strict=False)
        if network.prefixlen == network.max_prefixlen:
            return str(network.network_address)
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
    prefix_limits: PrefixLimits | None = None, force: bool = False,
) -> Ban:
    """Ban a sender; a network wider than ``prefix_limits`` needs ``force``. Commits."""
    if kind not in KINDS:
        raise InvalidBan("kind", f"must be one of {', '.join(KINDS)}")
    now = datetime.now(UTC)
    if expires_at is not None and expires_at <= now:
        raise InvalidBan("expires_at", "must be in the future")
    normalised = normalise_value(kind, value)
    check_breadth(kind, normalised, prefix_limits or PrefixLimits(), force=force)
    ban = Ban(site_id=site_id, kind=kind, value=normalised, reason=reason,
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
