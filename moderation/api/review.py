"""``GET /v1/comments`` (the moderators' list) and ``GET /v1/queue`` (the review queue)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from moderation.api.auth import require_role
from moderation.api.context import db_session, settings
from moderation.api.openapi import AUTHENTICATED_ERRORS, error_responses, json_response
from moderation.api.params import ID_SCHEMA, QueryParams
from moderation.api.presenters import moderator_comment
from moderation.api.scope import site_filter
from moderation.errors import validation_error
from moderation.pipeline.types import CATEGORIES
from moderation.services import policies
from moderation.services.review import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    BadCursor,
    Level,
    ListQuery,
    Page,
    list_comments,
    review_queue,
)
from moderation.store.comments import STATUSES

bp = Blueprint("review", __name__, url_prefix="/v1")

LIST_PARAMS = ("status", "decision", "site_id", "article_id", "category", "min_score", "reason",
               "pseudonym", "from", "to", "q", "sort", "limit", "cursor")


def _page_body(page: Page) -> dict[str, Any]:
    return {
        "items": [moderator_comment(r.comment, r.ip, r.email, r.verdict) for r in page.rows],
        "next_cursor": page.next_cursor,
    }


def _bad_cursor(exc: BadCursor) -> Exception:
    return validation_error([{"field": "query.cursor", "code": "invalid_cursor", "message": str(exc)}])


def _single_valued(params: QueryParams, names: tuple[str, ...], multi: tuple[str, ...] = ()) -> None:
    """A parameter given twice is a 422, never silently its first value (``multi`` ones are sets)."""
    for name in names:
        if name not in multi and len(request.args.getlist(name)) > 1:
            params.details.append({"field": f"query.{name}", "code": "repeated_parameter",
                                   "message": "Give this parameter once."})


def _statuses(params: QueryParams) -> tuple[str, ...] | None:
    """``status=a&status=b`` (or ``status=a,b``): any of them."""
    values = [part for value in request.args.getlist("status") for part in value.split(",") if part]
    wrong = sorted(set(values) - set(STATUSES))
    if wrong:
        params.details.append({"field": "query.status", "code": "invalid_choice",
                               "message": f"Must be one or more of: {', '.join(STATUSES)}."})
        return None
    return tuple(dict.fromkeys(values)) or None


def _min_score(params: QueryParams) -> float | Level | None:
    value = request.args.get("min_score")
    if value in ("review", "reject"):
        return value  # type: ignore[return-value]
    return params.number("min_score")


@bp.get("/comments")
@require_role("moderator", "admin")
def list_view() -> dict[str, Any]:
    params = QueryParams(LIST_PARAMS)
    _single_valued(params, LIST_PARAMS, multi=("status",))
    site_id = params.integer("site_id")
    query = ListQuery(
        status=_statuses(params),
        decision=params.choice("decision", ("approved", "rejected", "none")),
        article_id=params.text("article_id"),
        category=params.choice("category", CATEGORIES),
        min_score=_min_score(params),
        reason=params.text("reason", 100),
        pseudonym=params.text("pseudonym", 32),
        since=params.timestamp("from"),
        until=params.timestamp("to"),
        text=params.text("q", 200),
        sort=params.choice("sort", ("newest", "oldest", "score"), "newest"),  # type: ignore[arg-type]
        limit=params.integer("limit", maximum=MAX_LIMIT, default=DEFAULT_LIMIT) or DEFAULT_LIMIT,
        cursor=params.text("cursor", 500),
    )
    params.done()
    query = ListQuery(**{**query.__dict__, "site_ids": site_filter(site_id)})
    by_level = query.category is not None or isinstance(query.min_score, str)
    thresholds = policies.model_thresholds(settings()).thresholds if by_level else {}
    try:
        return _page_body(list_comments(db_session(), query, thresholds))
    except BadCursor as exc:
        raise _bad_cursor(exc) from None


@bp.get("/queue")
@require_role("moderator", "admin")
def queue_view() -> dict[str, Any]:
    params = QueryParams(("site_id", "article_id", "limit", "cursor"))
    _single_valued(params, ("site_id", "article_id", "limit", "cursor"))
    site_id = params.integer("site_id")
    article_id = params.text("article_id")
    limit = params.integer("limit", maximum=MAX_LIMIT, default=DEFAULT_LIMIT) or DEFAULT_LIMIT
    cursor = params.text("cursor", 500)
    params.done()
    try:
        page = review_queue(db_session(), site_ids=site_filter(site_id), article_id=article_id,
                            limit=limit, cursor=cursor)
    except BadCursor as exc:
        raise _bad_cursor(exc) from None
    return _page_body(page)


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


def _text(max_length: int) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_length, "pattern": "^[^\\x00]*$"}


PAGE_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["items", "next_cursor"],
    "properties": {"items": {"type": "array", "items": {"type": "object"}},
                   "next_cursor": {"type": ["string", "null"]}},
}
_COMMON = [
    _query("site_id", ID_SCHEMA, "Only this site (must be in the key's scope)"),
    _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "Page size"),
    _query("cursor", _text(500), "next_cursor from the previous page"),
]
OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/v1/comments": {"get": {
        "summary": "List comments with their current verdict (roles: moderator, admin)",
        "parameters": [
            {**_query("status", {"type": "array", "items": {"type": "string", "enum": list(STATUSES)}},
                      "Current status; repeat it (or separate with commas) for any of several"),
             "style": "form", "explode": True},
            _query("decision", {"type": "string", "enum": ["approved", "rejected", "none"]},
                   "Latest moderator decision; none = not decided by a moderator"),
            _query("article_id", _text(200), "Article id"),
            _query("category", {"type": "string", "enum": list(CATEGORIES)},
                   "Category whose score is at least min_score (default: the comment's site's "
                   "review threshold for it, i.e. flagged for it)"),
            _query("min_score", {"oneOf": [{"type": "number", "minimum": 0, "maximum": 1},
                                           {"type": "string", "enum": ["review", "reject"]}]},
                   "A score on the policy thresholds' scale, or review / reject: the comment's "
                   "site's threshold (for category, else toxicity)"),
            _query("reason", _text(100), "Reason code, exact (spam:links) or prefix (spam)"),
            _query("pseudonym", _text(32), "Sender pseudonym"),
            _query("from", {"type": "string", "format": "date-time"}, "Submitted at or after"),
            _query("to", {"type": "string", "format": "date-time"}, "Submitted before"),
            _query("q", _text(200), "Text contains (NFC-normalised, case-insensitive in any script)"),
            _query("sort", {"type": "string", "enum": ["newest", "oldest", "score"]}, "Order"),
            *_COMMON,
        ],
        "responses": {"200": json_response("A page of comments", PAGE_SCHEMA),
                      **error_responses(*AUTHENTICATED_ERRORS, 404, 422)},
    }},
    "/v1/queue": {"get": {
        "summary": "The review queue: needs_review comments, oldest first (roles: moderator, admin)",
        "parameters": [_query("article_id", _text(200), "Article id"), *_COMMON],
        "responses": {"200": json_response("A page of the queue", PAGE_SCHEMA),
                      **error_responses(*AUTHENTICATED_ERRORS, 404, 422)},
    }},
}
