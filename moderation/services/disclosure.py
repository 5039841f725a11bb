"""Disclosure cases: a lawful order for sender details, its deadline and its lifecycle.

open → exported (the first export was produced) → closed. A case that isn't
closed holds its scope (see :mod:`moderation.services.holds`). A case is
*answered* (``answered_at``) once one of its exports was downloaded, or when it is
closed with a stated reason; until then it stays on the due list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from moderation import audit
from moderation.services.access import Actor, Conflict, Invalid, NotFound, actor_for_key, in_id_range
from moderation.services.scopes import Scope
from moderation.store import ApiKey, Comment, DisclosureRequest, SenderDetails, User


def person_record(session: Session, actor_id: str | None, name: str | None = None,
                  person: str | None = None) -> dict[str, Any]:
    """How the author of a case, hold, export or approval is shown: ``{"id", "name", "person"}``.

    ``name`` is the display name recorded at the time when there is one; otherwise it is
    looked up from the account or key the id names (a key made by a person shows as
    "Name (key name)"), so nobody reads a bare ``key:7``.
    """
    if not actor_id:
        return {"id": None, "name": name or "unknown", "person": person}
    kind, _, raw = actor_id.partition(":")
    if name is None or person is None:
        if kind == "user" and raw.isdigit():
            user = session.get(User, int(raw))
            name = name or (user.display_name if user is not None else None)
            person = person or actor_id
        elif kind == "key" and raw.isdigit():
            key = session.get(ApiKey, int(raw))
            if key is not None:
                actor = actor_for_key(key)
                name, person = name or actor.display_name, person or actor.person_id
        elif kind == "system":
            name = name or raw
    return {"id": actor_id, "name": name or actor_id, "person": person or actor_id}


def require_narrow(scope: Scope) -> None:
    """A case or hold names at least one target (comment ids, site, article, email or IP)."""
    if (scope.comment_ids is None and scope.site_id is None and scope.article_id is None
            and scope.sender_email is None and scope.sender_ip is None):
        raise Invalid.field("scope", "too_broad", "Name at least one of: a site, comment ids, an "
                            "article, a sender email or a sender IP.")


@dataclass(frozen=True)
class ScopePreview:
    comments: int
    senders: int


def preview_scope(session: Session, scope: Scope) -> ScopePreview:
    """How many comments, and how many distinct senders, a scope matches now (nothing is
    read out: counts only). Senders are told apart by their site's pseudonym."""
    base = (select(Comment.id, Comment.site_id, Comment.sender_pseudonym, SenderDetails.ip)
            .outerjoin(SenderDetails, SenderDetails.comment_id == Comment.id)
            .where(*scope.conditions()))
    if not scope.needs_ip_check:
        sub = base.subquery()
        comments = int(session.scalar(select(func.count()).select_from(sub)) or 0)
        senders = int(session.scalar(select(func.count()).select_from(
            select(sub.c.site_id, sub.c.sender_pseudonym).distinct().subquery())) or 0)
        return ScopePreview(comments, senders)
    seen: set[tuple[int, str]] = set()
    count = 0
    for _id, site_id, pseudonym, ip in session.execute(base):
        if scope.ip_matches(ip):
            count += 1
            seen.add((site_id, pseudonym))
    return ScopePreview(count, len(seen))


@dataclass(frozen=True)
class CaseInput:
    authority: str
    legal_reference: str
    legal_basis: str
    received_at: datetime
    due_at: datetime | None
    notes: str


def create_request(
    session: Session,
    case: CaseInput,
    scope: Scope,
    actor: Actor,
    *,
    default_due_hours: int,
    request_id: str | None = None,
) -> DisclosureRequest:
    # A due_at before received_at isn't refused: the case simply lists as overdue.
    due_at = case.due_at or case.received_at + timedelta(hours=default_due_hours)
    request = DisclosureRequest(
        site_id=scope.site_id, authority=case.authority, legal_reference=case.legal_reference,
        legal_basis=case.legal_basis, received_at=case.received_at, due_at=due_at,
        scope=scope.to_json(), notes=case.notes, status="open",
        created_by_key_id=actor.key_id, created_by=actor.id,
    )
    session.add(request)
    session.flush()
    audit.record(session, actor=actor, action="compliance.request.create",
                 target_type="disclosure_request", target_id=request.id, site_id=request.site_id,
                 after={"authority": case.authority, "legal_reference": case.legal_reference,
                        "due_at": due_at.isoformat(), "scope": request.scope},
                 request_id=request_id)
    session.commit()
    return request


def visible_request(session: Session, request_id: int, actor: Actor) -> DisclosureRequest:
    """The case, if ``actor`` may see it; NotFound otherwise (tenant isolation)."""
    request = session.get(DisclosureRequest, request_id) if in_id_range(request_id) else None
    if request is None or not actor.may_see(request.site_id):
        raise NotFound("No such disclosure request.")
    return request


def list_requests(session: Session, actor: Actor, *, status: str | None = None,
                  limit: int = 100) -> list[DisclosureRequest]:
    query = select(DisclosureRequest).order_by(DisclosureRequest.id.desc()).limit(limit)
    if actor.site_ids is not None:
        query = query.where(DisclosureRequest.site_id.in_(sorted(actor.site_ids)))
    if status is not None:
        query = query.where(DisclosureRequest.status == status)
    return list(session.scalars(query))


def due_requests(session: Session, actor: Actor, *, within_hours: int,
                 now: datetime | None = None) -> list[DisclosureRequest]:
    """Cases not yet answered that are overdue or due within ``within_hours``.

    A case is answered once an export of it was downloaded (an export awaiting
    approval doesn't count) or once it is closed with a reason.
    """
    now = now or datetime.now(UTC)
    query = (select(DisclosureRequest)
             .where(DisclosureRequest.status != "closed", DisclosureRequest.answered_at.is_(None),
                    DisclosureRequest.due_at <= now + timedelta(hours=within_hours))
             .order_by(DisclosureRequest.due_at, DisclosureRequest.id))
    if actor.site_ids is not None:
        query = query.where(DisclosureRequest.site_id.in_(sorted(actor.site_ids)))
    return list(session.scalars(query))


def count_overdue(session: Session, now: datetime | None = None) -> int:
    """Unanswered open cases past their due time (the ``/metrics`` gauge)."""
    now = now or datetime.now(UTC)
    return int(session.scalar(
        select(func.count()).select_from(DisclosureRequest)
        .where(DisclosureRequest.status != "closed", DisclosureRequest.answered_at.is_(None),
               DisclosureRequest.due_at <= now)) or 0)


def due_state(request: DisclosureRequest, *, within_hours: int, now: datetime | None = None) -> str:
    """``answered`` once an export was downloaded or the case closed with a reason,
    else ``overdue``, ``due_soon`` or ``on_track``."""
    now = now or datetime.now(UTC)
    if request.answered_at is not None or request.status == "closed":
        return "answered"
    if request.due_at <= now:
        return "overdue"
    if request.due_at <= now + timedelta(hours=within_hours):
        return "due_soon"
    return "on_track"


def close_request(session: Session, request_id: int, actor: Actor, *, reason: str | None = None,
                  request_id_header: str | None = None) -> DisclosureRequest:
    """Close a case; this also ends the hold it implied.

    A case that was never answered (no export downloaded) needs a stated reason,
    e.g. "refused: order invalid"; closing it then answers it.
    """
    request = visible_request(session, request_id, actor)
    if request.status == "closed":
        raise Conflict("The disclosure request is already closed.")
    reason = (reason or "").strip() or None
    if request.answered_at is None and reason is None:
        raise Invalid.field("reason", "required", 'State why, e.g. "refused: order invalid".',
                            "A case that wasn't answered (no export downloaded) needs a reason to close.")
    before = request.status
    now = datetime.now(UTC)
    request.status = "closed"
    request.closed_at = now
    request.close_reason = reason
    if request.answered_at is None:
        request.answered_at = now
    audit.record(session, actor=actor, action="compliance.request.close",
                 target_type="disclosure_request", target_id=request.id, site_id=request.site_id,
                 before={"status": before}, after={"status": "closed", "reason": reason},
                 request_id=request_id_header)
    session.commit()
    return request
