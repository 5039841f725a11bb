"""Lawful disclosure cases, their exports and approvals, and legal holds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from moderation.store.base import Base, utcnow

#: A case's lifecycle: open → exported → closed. Open and exported cases imply a hold.
REQUEST_STATUSES = ("open", "exported", "closed")
#: An export is downloadable once ``ready`` (after approval when the two-person rule is on).
EXPORT_STATUSES = ("awaiting_approval", "ready", "deleted")
EXPORT_FORMATS = ("csv", "json")


class DisclosureRequest(Base):
    """A lawful order for sender details, with its deadline and scope."""

    __tablename__ = "disclosure_requests"
    __table_args__ = (Index("ix_disclosure_requests_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The one site the case is confined to; NULL means all sites (unscoped keys only).
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    authority: Mapped[str] = mapped_column(String(300))
    legal_reference: Mapped[str] = mapped_column(String(300))
    legal_basis: Mapped[str] = mapped_column(String(1000))
    received_at: Mapped[datetime]
    due_at: Mapped[datetime]
    #: The scope as given (comment_ids, site, article_id, sender_email, sender_ip, since, until).
    scope: Mapped[dict[str, Any]]
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_by_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    #: Why the case was closed (e.g. "refused: order invalid").
    close_reason: Mapped[str | None] = mapped_column(String(500))
    #: When the case was answered: its first export download (or its closing).
    answered_at: Mapped[datetime | None]


class Export(Base):
    """One export file of a case, stored server-side under the export directory."""

    __tablename__ = "compliance_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("disclosure_requests.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    format: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    #: The file name inside the export directory (never a path from a request).
    file_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    record_count: Mapped[int]
    size_bytes: Mapped[int]
    approval_required: Mapped[bool]
    created_by_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    created_by: Mapped[str] = mapped_column(String(100))
    #: The person behind the creator (the two-person rule compares persons).
    created_by_person: Mapped[str | None] = mapped_column(String(100))
    created_by_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The file is encrypted at rest (``sha256`` stays the plaintext's digest).
    encrypted: Mapped[bool] = mapped_column(default=False)
    downloaded_at: Mapped[datetime | None]
    #: When retention or erasure deleted the file, and why.
    deleted_at: Mapped[datetime | None]
    deleted_reason: Mapped[str | None] = mapped_column(String(200))


class ExportApproval(Base):
    """A second person's approval of an export (by one of their keys, or in the console
    with none). Append-only."""

    __tablename__ = "compliance_export_approvals"
    __table_args__ = (UniqueConstraint("export_id", "key_id", name="uq_export_approvals_export_key"),
                      UniqueConstraint("export_id", "person_id", name="uq_export_approvals_export_person"))

    id: Mapped[int] = mapped_column(primary_key=True)
    export_id: Mapped[int] = mapped_column(ForeignKey("compliance_exports.id"), index=True)
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    approved_by: Mapped[str] = mapped_column(String(100))
    #: The approver's person (never the export creator's person).
    person_id: Mapped[str | None] = mapped_column(String(100))
    approved_by_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LegalHold(Base):
    """Records matching the scope are kept from retention and erasure while active."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    scope: Mapped[dict[str, Any]]
    reference: Mapped[str] = mapped_column(String(300))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    released_at: Mapped[datetime | None]
