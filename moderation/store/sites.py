"""Tenants (sites), their API keys and sender bans."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from moderation.store.base import Base, utcnow


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: Policy overrides (see moderation.pipeline.policy.Policy); empty means defaults.
    policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    policy_version: Mapped[int] = mapped_column(default=1)
    #: Moderators who act on this site must use a second factor (TOTP) in the console,
    #: whatever MODERATION_CONSOLE_TOTP_ROLES says (README, "Console accounts").
    moderator_totp_required: Mapped[bool] = mapped_column(Boolean, default=False,
                                                          server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    #: SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The first characters of the token, so operators can tell keys apart.
    token_prefix: Mapped[str] = mapped_column(String(16))
    #: The person who made the key (None: a machine key made by the CLI or before accounts).
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    #: The stable id of the actor who created the key (``key:3``, ``user:2``, ``system:cli``).
    created_by: Mapped[str | None] = mapped_column(String(100))
    #: The person the key acts for: its creator's person when a key or person made it;
    #: NULL means the key counts as its own person (``key:<id>``).
    person_id: Mapped[str | None] = mapped_column(String(100))


class Ban(Base):
    """A sender ban on one site: by pseudonym, IP/CIDR or email, with optional expiry."""

    __tablename__ = "bans"
    __table_args__ = (Index("ix_bans_site_kind", "site_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(100))  # display name at the time
    created_by_id: Mapped[str | None] = mapped_column(String(100))  # the actor's stable id
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    lifted_at: Mapped[datetime | None]
    lifted_by_id: Mapped[str | None] = mapped_column(String(100))
