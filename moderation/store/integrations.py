"""Comment systems that call us (Coral Talk's external moderation phase): their signing
secrets, and where each comment they sent came from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from moderation.store.base import Base, utcnow


class CoralSecret(Base):
    """One of a site's Coral signing secrets (``empsec_…``). Several may be active at once
    while Coral rotates them. The secret itself is needed to check an HMAC, so it is kept
    encrypted (AES-256-GCM under ``Settings.integration_key_bytes()``, bound to its site)
    and never shown again after it is registered."""

    __tablename__ = "coral_secrets"
    __table_args__ = (
        UniqueConstraint("site_id", "fingerprint", name="uq_coral_secrets_site_fingerprint"),
        Index("ix_coral_secrets_site_revoked", "site_id", "revoked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    #: 12-byte nonce followed by the AES-GCM ciphertext and tag.
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    #: The first characters (``empsec_1a2b``), so operators can tell secrets apart.
    prefix: Mapped[str] = mapped_column(String(16))
    #: Keyed SHA-256 of the secret (refuses registering the same secret twice).
    fingerprint: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))  # the actor's stable id
    #: After this instant the secret no longer verifies (Coral's rotation window).
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(100))


class IntegrationComment(Base):
    """Where a comment that a comment system sent us came from (one row per comment).

    ``source`` is ``coral``. ``author_id`` is the comment system's own id for the author
    (the sender's stable id there; the pseudonym is keyed from it). Coral sends no IP
    address, e-mail or name, so ``ip_provided`` is false and the sender details are empty.
    """

    __tablename__ = "integration_comments"
    __table_args__ = (
        Index("ix_integration_comments_author", "site_id", "source", "author_id", "story_id"),
        Index("ix_integration_comments_external", "site_id", "source", "external_comment_id"),
    )

    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    source: Mapped[str] = mapped_column(String(20))
    author_id: Mapped[str] = mapped_column(String(200))
    author_role: Mapped[str | None] = mapped_column(String(40))
    story_id: Mapped[str] = mapped_column(String(200))
    #: The comment system's id for the comment, when it sends one (Coral's request has none).
    external_comment_id: Mapped[str | None] = mapped_column(String(200))
    #: ``NEW`` or ``EDIT``: the action of the latest request for this comment.
    last_action: Mapped[str] = mapped_column(String(10))
    #: Whatever else identifies the origin: Coral's tenant id and domain, site id, parent id.
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ip_provided: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
