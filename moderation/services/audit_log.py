"""Reading the audit log (admins): newest first, filtered, cursor-paginated by id."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.store import AuditEvent

MAX_LIMIT = 500


@dataclass(frozen=True)
class AuditQuery:
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    site_id: int | None = None
    actor: str | None = None
    before_id: int | None = None  # the cursor: events with a smaller id
    limit: int = 100


def list_events(session: Session, query: AuditQuery) -> tuple[list[AuditEvent], int | None]:
    """A page of events and the cursor (an id) for the next page, or None."""
    limit = max(1, min(query.limit, MAX_LIMIT))
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit + 1)
    for column, value in ((AuditEvent.action, query.action), (AuditEvent.target_type, query.target_type),
                          (AuditEvent.target_id, query.target_id), (AuditEvent.site_id, query.site_id),
                          (AuditEvent.actor, query.actor)):
        if value is not None:
            stmt = stmt.where(column == value)
    if query.before_id is not None:
        stmt = stmt.where(AuditEvent.id < query.before_id)
    events = list(session.scalars(stmt))
    more = len(events) > limit
    events = events[:limit]
    return events, (events[-1].id if more and events else None)
