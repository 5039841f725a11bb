"""Moderation statistics for staffing and billing.

Over a window of comment submission (or decision) times, optionally for some sites:
comments per current status, per flagged category and per day; moderator
decisions per outcome and per moderator; and the median time a comment waited
in the review queue (pipeline verdict → first moderator decision).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from moderation.pipeline.types import CATEGORIES
from moderation.store import Comment, Decision

S = TypeVar("S", bound="Select[*tuple[Any, ...]]")

#: Reason-code prefixes counted as categories, besides the classifier's ``classifier:<name>``.
_CHECK_PREFIXES = ("personal_information", "spam", "defamatory", "blocklist")


def _scoped(stmt: S, site_ids: Sequence[int] | None, since: datetime, until: datetime) -> S:
    stmt = stmt.where(Comment.created_at >= since, Comment.created_at < until)
    if site_ids is not None:
        stmt = stmt.where(Comment.site_id.in_(list(site_ids)))
    return stmt


def _waiting(session: Session, site_ids: Sequence[int] | None) -> int:
    stmt = select(func.count()).select_from(Comment).where(Comment.status == "needs_review")
    if site_ids is not None:
        stmt = stmt.where(Comment.site_id.in_(list(site_ids)))
    return int(session.scalar(stmt) or 0)


def moderation_stats(session: Session, *, site_ids: Sequence[int] | None, since: datetime,
                     until: datetime) -> dict[str, Any]:
    dialect = session.get_bind().dialect.name
    day = func.date(func.timezone("UTC", Comment.created_at)) if dialect == "postgresql" \
        else func.date(Comment.created_at)

    by_status: dict[str, int] = {status: int(count) for status, count in session.execute(_scoped(
        select(Comment.status, func.count()).group_by(Comment.status), site_ids, since, until))}

    category_codes = {name: f" classifier:{name}" for name in CATEGORIES if name != "toxicity"}
    category_codes.update({prefix: f" {prefix}:" for prefix in _CHECK_PREFIXES})
    columns = [func.count(Comment.id).filter(Comment.reason_codes.contains(code, autoescape=True))
               .label(name) for name, code in category_codes.items()]
    row = session.execute(_scoped(select(*columns), site_ids, since, until)).one()
    by_category = {name: int(value or 0) for name, value in zip(category_codes, row, strict=True)}

    per_day: dict[str, dict[str, int]] = {}
    for when, status, count in session.execute(_scoped(
            select(day, Comment.status, func.count()).group_by(day, Comment.status).order_by(day),
            site_ids, since, until)):
        per_day.setdefault(str(when), {})[status] = int(count)

    decisions = (select(Decision.decision, Decision.actor, Decision.comment_id, Decision.created_at,
                        Comment.moderated_at, Comment.created_at)
                 .join(Comment, Comment.id == Decision.comment_id)
                 .where(Decision.created_at >= since, Decision.created_at < until)
                 .order_by(Decision.id))
    if site_ids is not None:
        decisions = decisions.where(Comment.site_id.in_(list(site_ids)))
    by_decision: dict[str, int] = {}
    by_moderator: dict[str, dict[str, int]] = {}
    waits: dict[int, float] = {}
    for decision, actor, comment_id, decided_at, moderated_at, created_at in session.execute(decisions):
        by_decision[decision] = by_decision.get(decision, 0) + 1
        counts = by_moderator.setdefault(actor, {})
        counts[decision] = counts.get(decision, 0) + 1
        entered = moderated_at or created_at
        if comment_id not in waits:  # the first decision ends the wait
            waits[comment_id] = max(0.0, (decided_at - entered).total_seconds())

    return {
        "window": {"from": since.isoformat(), "to": until.isoformat()},
        "comments": {"total": sum(by_status.values()), "by_status": by_status,
                     "by_category": by_category, "by_day": per_day},
        "decisions": {"total": sum(by_decision.values()), "by_decision": by_decision,
                      "by_moderator": by_moderator},
        "queue": {
            "waiting_now": _waiting(session, site_ids),
            "median_seconds_in_queue": statistics.median(waits.values()) if waits else None,
            "decided": len(waits),
        },
    }
