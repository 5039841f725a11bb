"""``GET /v1/audit``: the append-only audit log, newest first (role: admin)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from moderation.api.auth import require_role
from moderation.api.context import db_session
from moderation.api.operations import ID_SCHEMA, Out, Query, documented, respond
from moderation.api.params import QueryParams
from moderation.services.audit_log import MAX_LIMIT, AuditQuery, list_events
from moderation.store import AuditEvent

bp = Blueprint("audit_log", __name__, url_prefix="/v1")


class TargetOut(Out):
    type: str
    id: str | None


class EventOut(Out):
    id: int
    #: the actor's stable id: ``user:3``, ``key:7``, ``system:cli``
    actor: str
    #: its display name when it acted (None on events recorded before names were kept)
    actor_name: str | None
    action: str
    target: TargetOut
    site_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None
    created_at: str
    hash: str


class EventPageOut(Out):
    items: list[EventOut]
    next_cursor: str | None


def event_body(event: AuditEvent) -> EventOut:
    return EventOut(id=event.id, actor=event.actor, actor_name=event.actor_name, action=event.action,
                    target=TargetOut(type=event.target_type, id=event.target_id), site_id=event.site_id,
                    before=event.before, after=event.after, request_id=event.request_id,
                    created_at=event.created_at.isoformat(), hash=event.hash)


def _text(max_length: int) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_length, "pattern": "^[^\\x00]*$"}


@bp.get("/audit")
@documented(
    "Audit events: decisions, bans, policy and key changes (role: admin)",
    response=EventPageOut, description="A page of events", errors=(422,),
    query=(Query("action", _text(64)), Query("target_type", _text(40)),
           Query("target_id", _text(100)), Query("actor", _text(100), "The actor's stable id"),
           Query("site_id", ID_SCHEMA), Query("cursor", ID_SCHEMA, "next_cursor of the previous page"),
           Query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT})),
)
@require_role("admin")
def audit_events() -> Response:
    params = QueryParams(("action", "target_type", "target_id", "site_id", "actor", "cursor", "limit"))
    query = AuditQuery(action=params.text("action", 64), target_type=params.text("target_type", 40),
                       target_id=params.text("target_id", 100), site_id=params.integer("site_id"),
                       actor=params.text("actor", 100), before_id=params.integer("cursor"),
                       limit=params.integer("limit", maximum=MAX_LIMIT, default=100) or 100)
    params.done()
    events, next_id = list_events(db_session(), query)
    return respond(EventPageOut(items=[event_body(e) for e in events],
                                next_cursor=str(next_id) if next_id is not None else None))
