"""``GET /v1/comments`` (the moderators' list) and ``GET /v1/queue`` (the review queue).

A site key's ``GET /v1/comments`` is its change feed (``comments.site_changes``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from moderation.api import comments
from moderation.api.auth import current_key, require_role
from moderation.api.comment_models import CommentListOut, CommentPageOut, ModeratorCommentOut, SiteFeedOut
from moderation.api.context import db_session, settings
from moderation.api.operations import ID_SCHEMA, Query, documented, respond
from moderation.api.params import QueryParams
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


def _page_body(page: Page) -> Response:
    return respond(CommentPageOut(
        items=[ModeratorCommentOut.model_validate(moderator_comment(r.comment, r.ip, r.email, r.verdict))
               for r in page.rows],
        next_cursor=page.next_cursor))


def _text(max_length: int) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_length, "pattern": "^[^\\x00]*$"}


_COMMON = (
    Query("site_id", ID_SCHEMA, "Only this site (must be in the key's scope)"),
    Query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "Page size"),
    Query("cursor", _text(500), "next_cursor from the previous page"),
)


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
@documented(
    "List comments with their current verdict (roles: moderator, admin); for a site key, its own "
    "comments in change order (the change feed: updated_after, cursor, limit)",
    response=CommentListOut, description="A page of comments (a site key: a page of its change feed)",
    errors=(404, 422),
    query=(
        Query("status", {"type": "array", "items": {"type": "string", "enum": list(STATUSES)}},
              "Current status; repeat it (or separate with commas) for any of several "
              "(withdrawn comments are listed only when asked for)"),
        Query("decision", {"type": "string", "enum": ["approved", "rejected", "none"]},
              "Latest moderator decision; none = not decided by a moderator"),
        Query("article_id", _text(200), "Article id"),
        Query("category", {"type": "string", "enum": list(CATEGORIES)},
              "Category whose score is at least min_score (default: the comment's site's "
              "review threshold for it, i.e. flagged for it)"),
        Query("min_score", {"oneOf": [{"type": "number", "minimum": 0, "maximum": 1},
                                      {"type": "string", "enum": ["review", "reject"]}]},
              "A score on the policy thresholds' scale, or review / reject: the comment's "
              "site's threshold (for category, else toxicity)"),
        Query("reason", _text(100), "Reason code, exact (spam:links) or prefix (spam)"),
        Query("pseudonym", _text(32), "Sender pseudonym"),
        Query("from", {"type": "string", "format": "date-time"}, "Submitted at or after"),
        Query("to", {"type": "string", "format": "date-time"}, "Submitted before"),
        Query("q", _text(200), "Text contains (NFC-normalised, case-insensitive in any script)"),
        Query("sort", {"type": "string", "enum": ["newest", "oldest", "score"]}, "Order"),
        *_COMMON,
        *(Query(p["name"], p["schema"], p.get("description", "")) for p in comments.FEED_PARAMETERS),
    ),
)
@require_role("moderator", "admin", "site")
def list_view() -> Response:
    if current_key().role == "site":
        return respond(SiteFeedOut.model_validate(comments.site_changes()))
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
@documented("The review queue: needs_review comments, oldest first (roles: moderator, admin)",
            response=CommentPageOut, description="A page of the queue", errors=(404, 422),
            query=(Query("article_id", _text(200), "Article id"), *_COMMON))
@require_role("moderator", "admin")
def queue_view() -> Response:
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
