"""Personal accounts for the console: users, the sites each may act on, console
sessions (server-side state behind the session cookie) and TOTP recovery codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from moderation.store.base import Base, utcnow
from moderation.store.encrypted import EncryptedString

#: Roles a person can hold (API keys also have ``site``, which no person holds).
USER_ROLES = ("moderator", "compliance", "admin")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lowercased; unique.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    #: True: every site (always for admins); False: only the sites in ``user_sites``.
    all_sites: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Argon2id hash (PHC string); the password itself is never stored.
    password_hash: Mapped[str] = mapped_column(String(255))
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Base32 TOTP secret once enrolment is confirmed (``totp_enabled_at`` set); encrypted
    #: at rest with MODERATION_TOTP_KEY (moderation/store/encrypted.py).
    totp_secret: Mapped[str | None] = mapped_column(EncryptedString("users.totp_secret"))
    totp_enabled_at: Mapped[datetime | None]
    #: The last TOTP time step accepted, so a code can't be used twice.
    totp_last_step: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    @property
    def totp_enabled(self) -> bool:
        return self.totp_enabled_at is not None and self.totp_secret is not None


class UserSite(Base):
    """A site a (not all-sites) user may act on."""

    __tablename__ = "user_sites"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)


class ConsoleSession(Base):
    """One signed-in browser. The cookie carries a random token; only its hash is stored.

    ``stage`` is ``password`` after the first factor (waiting for the TOTP code, or for
    enrolment when the role requires it) and ``full`` once the person is signed in.
    Ending a session (sign-out, disable, password reset) sets ``ended_at``; an ended or
    expired session is never accepted again.
    """

    __tablename__ = "console_sessions"
    __table_args__ = (Index("ix_console_sessions_user_active", "user_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The absolute end of the session, however active it is.
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(32))
    #: A TOTP secret being set up in this session, kept here until a code confirms it.
    totp_pending_secret: Mapped[str | None] = mapped_column(
        EncryptedString("console_sessions.totp_pending_secret"))
    #: When the person last proved a TOTP code again here (step-up for sender details and
    #: export downloads, valid for a few minutes).
    stepped_up_at: Mapped[datetime | None]
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))


class RecoveryCode(Base):
    """A one-time code that replaces a TOTP code; stored as SHA-256 (80 random bits)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
