"""``GET /v1/audit``: the append-only audit log, newest first (role: admin)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from moderation.api.auth import require_role
from moderation.api.context import db_session
from moderation.api.openapi import AUTHENTICATED_ERRORS, error_responses, json_response
from moderation.api.params import ID_SCHEMA, QueryParams
from moderation.services.audit_log import MAX_LIMIT, AuditQuery, list_events
from moderation.store import AuditEvent

bp = Blueprint("audit_log", __name__, url_prefix="/v1")


def event_body(event: AuditEvent) -> dict[str, Any]:
    return {"id": event.id, "actor": event.actor, "actor_name": event.actor_name,
            "action": event.action,
            "target": {"type": event.target_type, "id": event.target_id}, "site_id": event.site_id,
            "before": event.before, "after": event.after, "request_id": event.request_id,
            "created_at": event.created_at.isoformat(), "hash": event.hash}


@bp.get("/audit")
@require_role("admin")
def audit_events() -> dict[str, Any]:
    params = QueryParams(("action", "target_type", "target_id", "site_id", "actor", "cursor", "limit"))
    query = AuditQuery(action=params.text("action", 64), target_type=params.text("target_type", 40),
                       target_id=params.text("target_id", 100), site_id=params.integer("site_id"),
                       actor=params.text("actor", 100), before_id=params.integer("cursor"),
                       limit=params.integer("limit", maximum=MAX_LIMIT, default=100) or 100)
    params.done()
    events, next_id = list_events(db_session(), query)
    return {"items": [event_body(e) for e in events],
            "next_cursor": str(next_id) if next_id is not None else None}


def _q(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _text(max_length: int) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_length, "pattern": "^[^\\x00]*$"}


OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/v1/audit": {"get": {
        "summary": "Audit events: decisions, bans, policy and key changes (role: admin)",
        "parameters": [_q("action", _text(64)), _q("target_type", _text(40)),
                       _q("target_id", _text(100)), _q("actor", _text(100)),
                       _q("site_id", ID_SCHEMA),
                       _q("cursor", ID_SCHEMA),
                       _q("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT})],
        "responses": {"200": json_response("A page of events", {"type": "object"}),
                      **error_responses(*AUTHENTICATED_ERRORS, 422)},
    }},
}
