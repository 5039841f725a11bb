"""The moderators' read side: the filtered comment list and the review queue.

Both use keyset (cursor) pagination on indexed columns, so page N costs the same
as page 1 and a page never repeats or skips a row when comments are inserted
meanwhile: newest-first keys on ``id < last``, oldest-first on ``id > last``,
highest-score on ``(toxicity, id) < (last_toxicity, last_id)`` and then the
unscored (pending) comments by id.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import Session

from moderation.pipeline.types import CATEGORIES
from moderation.store import Comment, SenderDetails, Verdict

Sort = Literal["newest", "oldest", "score"]
MAX_LIMIT = 200
DEFAULT_LIMIT = 50


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class ListQuery:
    """Filters for the moderators' list. ``site_ids`` None means every site."""

    site_ids: Sequence[int] | None = None
    status: str | None = None
    decision: str | None = None  # approved | rejected | none (not yet decided by a moderator)
    article_id: str | None = None
    category: str | None = None
    min_score: float | None = None
    reason: str | None = None  # an exact code (``spam:links``) or a prefix (``spam``)
    pseudonym: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    sort: Sort = "newest"
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


@dataclass(frozen=True)
class Row:
    comment: Comment
    ip: str | None
    email: str | None
    verdict: Verdict | None


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    next_cursor: str | None
    extra: dict[str, Any] = field(default_factory=dict)


def encode_cursor(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadCursor("the cursor is not one this API issued") from None
    if not isinstance(data, dict) or data.get("s") != sort or not isinstance(data.get("id"), int):
        raise BadCursor("the cursor does not belong to this sort order")
    t = data.get("t")
    if t is not None and not isinstance(t, int | float):
        raise BadCursor("the cursor is not one this API issued")
    return data


def _filtered(query: ListQuery) -> Select[Comment, str | None, str | None]:
    stmt = (
        select(Comment, SenderDetails.ip, SenderDetails.email)
        .outerjoin(SenderDetails, SenderDetails.comment_id == Comment.id)
    )
    if query.site_ids is not None:
        stmt = stmt.where(Comment.site_id.in_(list(query.site_ids)) if len(query.site_ids) != 1
                          else Comment.site_id == query.site_ids[0])
    if query.status:
        stmt = stmt.where(Comment.status == query.status)
    else:  # withdrawn comments only when asked for (status=withdrawn)
        stmt = stmt.where(Comment.status != "withdrawn")
    if query.decision == "none":
        stmt = stmt.where(Comment.last_decision.is_(None))
    elif query.decision:
        stmt = stmt.where(Comment.last_decision == query.decision)
    if query.article_id:
        stmt = stmt.where(Comment.article_id == query.article_id)
    if query.category:
        threshold = query.min_score if query.min_score is not None else 0.5
        if query.category == "toxicity":
            stmt = stmt.where(Comment.toxicity >= threshold)
        else:
            stmt = stmt.where(Comment.scores[query.category].as_float() >= threshold)
    elif query.min_score is not None:
        stmt = stmt.where(Comment.toxicity >= query.min_score)
    if query.reason:
        pattern = f" {query.reason} " if ":" in query.reason else f" {query.reason}:"
        stmt = stmt.where(Comment.reason_codes.contains(pattern, autoescape=True))
    if query.pseudonym:
        stmt = stmt.where(Comment.sender_pseudonym == query.pseudonym)
    if query.since:
        stmt = stmt.where(Comment.created_at >= query.since)
    if query.until:
        stmt = stmt.where(Comment.created_at < query.until)
    if query.text:
        stmt = stmt.where(Comment.text.icontains(query.text, autoescape=True))
    return stmt


def _rows(session: Session, stmt: Select[Comment, str | None, str | None]) -> list[Row]:
    found = session.execute(stmt).all()
    verdicts = latest_verdicts(session, [comment.id for comment, _ip, _email in found])
    return [Row(comment, ip, email, verdicts.get(comment.id)) for comment, ip, email in found]


def latest_verdicts(session: Session, comment_ids: Sequence[int]) -> dict[int, Verdict]:
    if not comment_ids:
        return {}
    latest: dict[int, Verdict] = {}
    for verdict in session.scalars(
        select(Verdict).where(Verdict.comment_id.in_(list(comment_ids))).order_by(Verdict.id)
    ):
        latest[verdict.comment_id] = verdict
    return latest


def sender_of(session: Session, comment_id: int) -> tuple[str | None, str | None]:
    """The sender's (ip, email), for masking; (None, None) once erased or absent."""
    details = session.get(SenderDetails, comment_id)
    return (details.ip, details.email) if details is not None else (None, None)


def list_comments(session: Session, query: ListQuery) -> Page:
    limit = max(1, min(query.limit, MAX_LIMIT))
    after = decode_cursor(query.cursor, query.sort) if query.cursor else None
    base = _filtered(query)
    if query.sort == "newest":
        stmt = base.order_by(Comment.id.desc())
        if after:
            stmt = stmt.where(Comment.id < after["id"])
        rows = _rows(session, stmt.limit(limit + 1))
    elif query.sort == "oldest":
        stmt = base.order_by(Comment.id.asc())
        if after:
            stmt = stmt.where(Comment.id > after["id"])
        rows = _rows(session, stmt.limit(limit + 1))
    else:
        rows = _by_score(session, base, after, limit)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1].comment
        data: dict[str, Any] = {"s": query.sort, "id": last.id}
        if query.sort == "score":
            data["t"] = last.toxicity
        next_cursor = encode_cursor(data)
    return Page(rows, next_cursor)


def _by_score(
    session: Session, base: Select[Comment, str | None, str | None],
    after: dict[str, Any] | None, limit: int,
) -> list[Row]:
    """Scored comments by (toxicity, id) descending, then unscored ones by id descending."""
    rows: list[Row] = []
    in_unscored = after is not None and after.get("t") is None
    if not in_unscored:
        scored = base.where(Comment.toxicity.is_not(None))
        if after is not None:
            scored = scored.where(tuple_(Comment.toxicity, Comment.id) < (after["t"], after["id"]))
        rows = _rows(session, scored.order_by(Comment.toxicity.desc(), Comment.id.desc())
                     .limit(limit + 1))
    if len(rows) <= limit:
        unscored = base.where(Comment.toxicity.is_(None))
        if in_unscored and after is not None:
            unscored = unscored.where(Comment.id < after["id"])
        rows += _rows(session, unscored.order_by(Comment.id.desc()).limit(limit + 1 - len(rows)))
    return rows


def review_queue(
    session: Session, *, site_ids: Sequence[int] | None, article_id: str | None = None,
    limit: int = DEFAULT_LIMIT, cursor: str | None = None,
) -> Page:
    """``needs_review`` comments, oldest first."""
    limit = max(1, min(limit, MAX_LIMIT))
    after = decode_cursor(cursor, "queue") if cursor else None
    stmt = _filtered(ListQuery(site_ids=site_ids, status="needs_review", article_id=article_id))
    if after:
        stmt = stmt.where(Comment.id > after["id"])
    rows = _rows(session, stmt.order_by(Comment.id.asc()).limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor({"s": "queue", "id": rows[-1].comment.id}) if more and rows else None
    return Page(rows, next_cursor)


def is_category(name: str) -> bool:
    return name in CATEGORIES

