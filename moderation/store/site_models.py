"""Site models: every ``adapt`` run for a site, the model it trained (if any) and its figures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from moderation.store.base import Base, utcnow

#: ``status`` values. At most one row per site is ``active``.
ACTIVE, RETIRED, ROLLED_BACK, KEPT_BASE, REFUSED = (
    "active", "retired", "rolled_back", "kept_base", "refused")


class SiteModel(Base):
    """One adaptation run. ``artifact`` holds the model (``.npz`` bytes, no pickle) for
    runs that trained one; ``kept_base`` and ``refused`` runs keep only their reason and
    figures. ``last_decision_id`` is the newest decision the run saw (the beat schedule
    counts new decisions from it)."""

    __tablename__ = "site_models"
    __table_args__ = (UniqueConstraint("site_id", "version"),
                      Index("ix_site_models_site_status", "site_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    version: Mapped[int]
    #: what verdicts record after the base's version: ``site<id>.v<version>``
    label: Mapped[str] = mapped_column(String(60))
    base_version: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    counts: Mapped[dict[str, Any]]
    validation: Mapped[dict[str, Any]]
    languages: Mapped[list[Any]]
    artifact: Mapped[bytes | None] = mapped_column(LargeBinary)
    last_decision_id: Mapped[int | None]
    trained_by: Mapped[str] = mapped_column(String(100))  # the actor's stable id
    train_seconds: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None]
    #: the actor who last made it active (its training run, a rollback, an admin's activate)
    activated_by: Mapped[str | None] = mapped_column(String(100))
    retired_at: Mapped[datetime | None]
