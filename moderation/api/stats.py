"""``GET /v1/stats``: moderation statistics (roles: moderator, admin)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint

from moderation.api.auth import require_role
from moderation.api.context import db_session
from moderation.api.openapi import AUTHENTICATED_ERRORS, error_responses, json_response
from moderation.api.params import ID_SCHEMA, QueryParams
from moderation.api.scope import site_filter
from moderation.errors import validation_error
from moderation.services.stats import moderation_stats

bp = Blueprint("stats", __name__, url_prefix="/v1")
DEFAULT_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=366)


@bp.get("/stats")
@require_role("moderator", "admin")
def stats() -> dict[str, Any]:
    params = QueryParams(("site_id", "from", "to"))
    site_id = params.integer("site_id")
    until = params.timestamp("to") or datetime.now(UTC)
    since = params.timestamp("from") or until - DEFAULT_WINDOW
    params.done()
    if not timedelta(0) < until - since <= MAX_WINDOW:
        raise validation_error([{"field": "query.from", "code": "out_of_range",
                                 "message": "from must be before to, at most 366 days apart."}])
    return moderation_stats(db_session(), site_ids=site_filter(site_id), since=since, until=until)


OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/v1/stats": {"get": {
        "summary": "Counts per status, category, day and decision; per moderator; median queue time",
        "parameters": [
            {"name": "site_id", "in": "query", "required": False,
             "schema": ID_SCHEMA},
            {"name": "from", "in": "query", "required": False,
             "schema": {"type": "string", "format": "date-time"}},
            {"name": "to", "in": "query", "required": False,
             "schema": {"type": "string", "format": "date-time"}},
        ],
        "responses": {"200": json_response("Statistics", {"type": "object"}),
                      **error_responses(*AUTHENTICATED_ERRORS, 404, 422)},
    }},
}
