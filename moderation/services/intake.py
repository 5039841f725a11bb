"""Accept a comment: store it durably, then hand it to the queue.

The database is the system of record. A comment is committed as ``pending``
before anything is enqueued; if enqueueing fails the comment stays pending and
the sweeper re-enqueues it later, so a 202 never loses a comment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moderation.domain.submissions import CommentSubmission
from moderation.metrics import ENQUEUE_FAILURES
from moderation.senders import pseudonym
from moderation.store import Comment, SenderDetails, Site

log = logging.getLogger(__name__)

Enqueue = Callable[[int, str | None], None]

_COMMENTS = cast(Table, Comment.__table__)
#: Built once: the hot path only binds values (column defaults still apply).
_INSERT_COMMENT = insert(_COMMENTS).returning(_COMMENTS.c.id)
_INSERT_SENDER_DETAILS = insert(cast(Table, SenderDetails.__table__))


@dataclass(frozen=True)
class Submission:
    comment_id: int
    status: str
    created: bool
    enqueued: bool


def _existing(
    session: Session, site: Site, idempotency_key: str | None, external_id: str | None
) -> Comment | None:
    if idempotency_key is not None:
        found = session.scalars(
            select(Comment).where(
                Comment.site_id == site.id, Comment.idempotency_key == idempotency_key
            )
        ).one_or_none()
        if found is not None:
            return found
    if external_id is not None:
        return session.scalars(
            select(Comment).where(Comment.site_id == site.id, Comment.external_id == external_id)
        ).one_or_none()
    return None


def submit_comment(
    session: Session,
    *,
    site: Site,
    payload: CommentSubmission,
    pseudonym_key: str,
    submitted_from: str | None,
    idempotency_key: str | None,
    request_id: str | None,
    enqueue: Enqueue,
) -> Submission:
    """Store a validated comment and enqueue it; replays return the original."""
    existing = _existing(session, site, idempotency_key, payload.external_id)
    if existing is not None:
        return Submission(existing.id, existing.status, created=False, enqueued=False)

    # Core INSERTs: the hot path needs the new id, not an ORM object to track and flush.
    comment_values = dict(
        site_id=site.id,
        article_id=payload.article_id,
        article_url=payload.article_url,
        parent_id=payload.parent_id,
        external_id=payload.external_id,
        idempotency_key=idempotency_key,
        title=payload.title,
        text=payload.comment,
        sender_pseudonym=pseudonym(pseudonym_key, site.id, payload.author.email),
        status="pending",
        request_id=request_id,
    )
    try:
        comment_id: int = session.execute(_INSERT_COMMENT, comment_values).scalar_one()
        session.execute(_INSERT_SENDER_DETAILS, dict(
            comment_id=comment_id,
            name=payload.author.name,
            email=payload.author.email,
            ip=payload.sender.ip,
            user_agent=payload.sender.user_agent,
            submitted_from=submitted_from,
        ))
        session.commit()
    except IntegrityError:
        # A concurrent retry with the same key won the race: answer with its comment.
        session.rollback()
        existing = _existing(session, site, idempotency_key, payload.external_id)
        if existing is None:
            raise
        return Submission(existing.id, existing.status, created=False, enqueued=False)

    try:
        enqueue(comment_id, request_id)
        enqueued = True
    except Exception:  # the broker is down: the sweeper will pick the comment up
        log.warning("enqueue failed; comment %s stays pending for the sweeper", comment_id,
                    exc_info=True)
        ENQUEUE_FAILURES.inc()
        enqueued = False
    return Submission(comment_id, "pending", created=True, enqueued=enqueued)
