"""Legal holds: explicit ones, and those implied by disclosure cases that aren't closed.

A held record is skipped by retention and refused by reader erasure until every
hold on it is released or has expired (``expires_at`` is exclusive: a hold that
expires at 12:00 no longer holds at 12:00).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from moderation import audit
from moderation.services.access import Actor, Conflict, NotFound, in_id_range
from moderation.services.scopes import Record, Scope
from moderation.store import DisclosureRequest, LegalHold


@dataclass(frozen=True)
class ActiveHold:
    """One reason records are held: an explicit hold or an open disclosure case."""

    kind: str  # "hold" or "request"
    id: int
    reference: str
    scope: Scope

    @property
    def label(self) -> str:
        return f"{self.kind} #{self.id} ({self.reference})"


def create_hold(
    session: Session,
    *,
    scope: Scope,
    reference: str,
    notes: str,
    expires_at: datetime | None,
    actor: Actor,
    request_id: str | None = None,
) -> LegalHold:
    hold = LegalHold(site_id=scope.site_id, scope=scope.to_json(), reference=reference, notes=notes,
                     expires_at=expires_at, created_by_key_id=actor.key_id, created_by=actor.id)
    session.add(hold)
    session.flush()
    audit.record(session, actor=actor, action="compliance.hold.create", target_type="legal_hold",
                 target_id=hold.id, site_id=hold.site_id,
                 after={"reference": reference, "scope": hold.scope,
                        "expires_at": expires_at.isoformat() if expires_at else None},
                 request_id=request_id)
    session.commit()
    return hold


def visible_hold(session: Session, hold_id: int, actor: Actor) -> LegalHold:
    hold = session.get(LegalHold, hold_id) if in_id_range(hold_id) else None
    if hold is None or not actor.may_see(hold.site_id):
        raise NotFound("No such hold.")
    return hold


def list_holds(session: Session, actor: Actor, *, include_inactive: bool = False,
               now: datetime | None = None) -> list[LegalHold]:
    query = select(LegalHold).order_by(LegalHold.id.desc()).limit(500)
    if actor.site_ids is not None:
        query = query.where(LegalHold.site_id.in_(sorted(actor.site_ids)))
    if not include_inactive:
        now = now or datetime.now(UTC)
        query = query.where(LegalHold.released_at.is_(None),
                            or_(LegalHold.expires_at.is_(None), LegalHold.expires_at > now))
    return list(session.scalars(query))


def release_hold(session: Session, hold_id: int, actor: Actor, *, request_id: str | None = None,
                 now: datetime | None = None) -> LegalHold:
    hold = visible_hold(session, hold_id, actor)
    if hold.released_at is not None:
        raise Conflict("The hold is already released.")
    hold.released_at = now or datetime.now(UTC)
    audit.record(session, actor=actor, action="compliance.hold.release", target_type="legal_hold",
                 target_id=hold.id, site_id=hold.site_id, before={"released_at": None},
                 after={"released_at": hold.released_at.isoformat()}, request_id=request_id)
    session.commit()
    return hold


def is_active(hold: LegalHold, now: datetime) -> bool:
    return hold.released_at is None and (hold.expires_at is None or hold.expires_at > now)


def active_holds(session: Session, now: datetime | None = None) -> list[ActiveHold]:
    """Every hold in force now: unreleased, unexpired holds and cases not yet closed."""
    now = now or datetime.now(UTC)
    held: list[ActiveHold] = []
    for hold in session.scalars(select(LegalHold).where(LegalHold.released_at.is_(None))):
        if is_active(hold, now):
            held.append(ActiveHold("hold", hold.id, hold.reference,
                                   Scope.from_json(hold.scope, hold.site_id)))
    for case in session.scalars(select(DisclosureRequest).where(DisclosureRequest.status != "closed")):
        held.append(ActiveHold("request", case.id, case.legal_reference,
                               Scope.from_json(case.scope, case.site_id)))
    return held


def holds_on(holds: list[ActiveHold], record: Record) -> list[ActiveHold]:
    """The holds that cover ``record`` (empty when it is free to erase)."""
    return [hold for hold in holds if hold.scope.matches(record)]
