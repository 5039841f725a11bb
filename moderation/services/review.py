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
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from moderation.pipeline.policy import PolicyDefaults
from moderation.pipeline.types import CATEGORIES
from moderation.services import policies
from moderation.settings import load_settings
from moderation.store import Comment, SenderDetails, Site, Verdict

Sort = Literal["newest", "oldest", "score"]
MAX_LIMIT = 200
DEFAULT_LIMIT = 50


class BadCursor(ValueError):
    pass


#: ``min_score`` may name a threshold level instead of a number: each comment's site's own.
Level = Literal["review", "reject"]


@dataclass(frozen=True)
class ListQuery:
    """Filters for the moderators' list. ``site_ids`` None means every site.

    ``category`` alone: at or above its site's review threshold for it (flagged for it).
    ``min_score``: a number is a score on the same scale as the policy's thresholds; a level
    (``review``/``reject``) is the site's threshold; without ``category`` it is toxicity's.
    ``text``: contains, after NFC normalisation, case-insensitively beyond ASCII.
    """

    site_ids: Sequence[int] | None = None
    status: str | Sequence[str] | None = None  # one status or any of several
    decision: str | None = None  # approved | rejected | none (not yet decided by a moderator)
    article_id: str | None = None
    category: str | None = None
    min_score: float | Level | None = None
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


def _fold(text: str) -> str:
    """What search compares: NFC, lower-cased by the Unicode rules (as ICU's on PostgreSQL)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).lower())


def _folded(
    session: Session, column: ColumnElement[str] | InstrumentedAttribute[str]
) -> ColumnElement[str]:
    """``column`` folded as :func:`_fold` folds, in SQL on either database."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        if _has_icu(connection):  # lower() under the database's locale may be ASCII-only
            lowered = func.lower(func.normalize(column, literal_column("NFC")).collate("und-x-icu"))
        else:
            lowered = func.lower(func.normalize(column, literal_column("NFC")))
        return func.normalize(lowered, literal_column("NFC"))
    # SQLite's lower() only knows ASCII: register Python's fold on this connection.
    driver = connection.connection.driver_connection
    driver.create_function(_SQLITE_FOLD, 1, _fold_or_none, deterministic=True)  # type: ignore[union-attr]
    return getattr(func, _SQLITE_FOLD)(column)  # type: ignore[no-any-return]


_SQLITE_FOLD = "moderation_fold"


def _fold_or_none(value: str | None) -> str | None:
    return None if value is None else _fold(value)


_ICU: dict[str, bool] = {}


def _has_icu(connection: Connection) -> bool:
    url = str(connection.engine.url)
    if url not in _ICU:
        _ICU[url] = connection.scalar(
            text("SELECT EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu')")) is True
    return _ICU[url]


def _score_column(category: str) -> ColumnElement[float]:
    if category == "toxicity":
        return Comment.toxicity  # type: ignore[return-value]
    return Comment.scores[category].as_float()


def _at_level(
    session: Session, query: ListQuery, category: str, level: Level,
    thresholds: Mapping[str, Mapping[str, float]],
) -> ColumnElement[bool]:
    """Comments scoring at or above their own site's ``level`` threshold for ``category``
    (the site's resolved policy: what the worker applies and the admin API shows)."""
    sites = select(Site)
    if query.site_ids is not None:
        sites = sites.where(Site.id.in_(list(query.site_ids)))
    by_value: dict[float, list[int]] = defaultdict(list)
    for site in session.scalars(sites):
        levels = policies.site_policy(site, thresholds, PolicyDefaults()).thresholds[category]
        value = levels.review if level == "review" else levels.reject
        if value is not None:  # a category without a reject level never reaches it
            by_value[value].append(site.id)
    column = _score_column(category)
    return or_(false(), *(and_(Comment.site_id.in_(ids), column >= value)
                          for value, ids in by_value.items()))


def _filtered(
    session: Session, query: ListQuery, thresholds: Mapping[str, Mapping[str, float]] | None = None,
) -> Select[Comment, str | None, str | None]:
    stmt = (
        select(Comment, SenderDetails.ip, SenderDetails.email)
        .outerjoin(SenderDetails, SenderDetails.comment_id == Comment.id)
    )
    if query.site_ids is not None:
        stmt = stmt.where(Comment.site_id.in_(list(query.site_ids)) if len(query.site_ids) != 1
                          else Comment.site_id == query.site_ids[0])
    statuses = [query.status] if isinstance(query.status, str) else list(query.status or ())
    if len(statuses) == 1:
        stmt = stmt.where(Comment.status == statuses[0])
    elif statuses:
        stmt = stmt.where(Comment.status.in_(statuses))
    if query.decision == "none":
        stmt = stmt.where(Comment.last_decision.is_(None))
    elif query.decision:
        stmt = stmt.where(Comment.last_decision == query.decision)
    if query.article_id:
        stmt = stmt.where(Comment.article_id == query.article_id)
    if query.category or query.min_score is not None:
        category = query.category or "toxicity"
        minimum = query.min_score if query.min_score is not None else "review"
        if isinstance(minimum, str):
            if thresholds is None:
                thresholds = policies.model_thresholds(load_settings()).thresholds
            stmt = stmt.where(_at_level(session, query, category, minimum, thresholds))
        else:
            stmt = stmt.where(_score_column(category) >= minimum)
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
        stmt = stmt.where(_folded(session, Comment.text).contains(_fold(query.text), autoescape=True))
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


def list_comments(
    session: Session, query: ListQuery, thresholds: Mapping[str, Mapping[str, float]] | None = None,
) -> Page:
    """A page of the list. ``thresholds``: the model's, for the threshold-level filters (None:
    read from the artifact the settings name)."""
    limit = max(1, min(query.limit, MAX_LIMIT))
    after = decode_cursor(query.cursor, query.sort) if query.cursor else None
    base = _filtered(session, query, thresholds)
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
    stmt = _filtered(session, ListQuery(site_ids=site_ids, status="needs_review", article_id=article_id))
    if after:
        stmt = stmt.where(Comment.id > after["id"])
    rows = _rows(session, stmt.order_by(Comment.id.asc()).limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor({"s": "queue", "id": rows[-1].comment.id}) if more and rows else None
    return Page(rows, next_cursor)


def is_category(name: str) -> bool:
    return name in CATEGORIES

