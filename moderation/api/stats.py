"""``GET /v1/stats``: moderation statistics (roles: moderator, admin)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response
from pydantic import Field

from moderation.api.auth import require_role
from moderation.api.context import db_session
from moderation.api.operations import ID_SCHEMA, Out, Query, documented, respond
from moderation.api.params import QueryParams
from moderation.api.scope import site_filter
from moderation.errors import validation_error
from moderation.services.stats import moderation_stats

bp = Blueprint("stats", __name__, url_prefix="/v1")
DEFAULT_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=366)


class WindowOut(Out):
    from_: str = Field(alias="from")
    to: str


class CommentCountsOut(Out):
    total: int
    by_status: dict[str, int]
    by_category: dict[str, int]
    #: day (YYYY-MM-DD) → status → count
    by_day: dict[str, dict[str, int]]


class DecisionCountsOut(Out):
    total: int
    by_decision: dict[str, int]
    #: moderator display name → decision → count
    by_moderator: dict[str, dict[str, int]]


class QueueOut(Out):
    waiting_now: int
    median_seconds_in_queue: float | None
    decided: int


class StatsOut(Out):
    window: WindowOut
    comments: CommentCountsOut
    decisions: DecisionCountsOut
    queue: QueueOut


_DATE_TIME = {"type": "string", "format": "date-time"}


@bp.get("/stats")
@documented(
    "Counts per status, category, day and decision; per moderator; median queue time",
    response=StatsOut, description="Statistics", errors=(404, 422),
    query=(Query("site_id", ID_SCHEMA), Query("from", _DATE_TIME), Query("to", _DATE_TIME)),
)
@require_role("moderator", "admin")
def stats() -> Response:
    params = QueryParams(("site_id", "from", "to"))
    site_id = params.integer("site_id")
    until = params.timestamp("to") or datetime.now(UTC)
    since = params.timestamp("from") or until - DEFAULT_WINDOW
    params.done()
    if not timedelta(0) < until - since <= MAX_WINDOW:
        raise validation_error([{"field": "query.from", "code": "out_of_range",
                                 "message": "from must be before to, at most 366 days apart."}])
    figures = moderation_stats(db_session(), site_ids=site_filter(site_id), since=since, until=until)
    return respond(StatsOut.model_validate(figures))
