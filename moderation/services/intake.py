"""Accept a comment: store it durably, then hand it to the queue.

The database is the system of record. A comment is committed as ``pending``
before anything is enqueued; if enqueueing fails the comment stays pending and
the sweeper re-enqueues it later, so a 202 never loses a comment.

A retry is recognised by its Idempotency-Key or the site's ``external_id`` *and* the
same body: each comment stores the SHA-256 of its creating request's canonical body
(:func:`body_fingerprint`). The same key with a different body is a 422 (as Stripe
and the IETF Idempotency-Key draft answer); the same ``external_id`` with a different
body is a 409 that points at ``PUT /v1/comments/{id}``, the way to edit a comment.
Nothing a site sends is answered with another comment's status and then dropped.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moderation.domain.errors import Conflict, Invalid
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


Match = Literal["idempotency_key", "external_id"]


def body_fingerprint(payload: CommentSubmission) -> str:
    """SHA-256 of the validated body in one canonical JSON form (key order, spacing and
    the email's spelling don't matter; every field's value does)."""
    canonical = json.dumps(payload.model_dump(mode="json"), sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _existing(
    session: Session, site: Site, idempotency_key: str | None, external_id: str | None
) -> tuple[Comment, Match] | None:
    if idempotency_key is not None:
        found = session.scalars(
            select(Comment).where(
                Comment.site_id == site.id, Comment.idempotency_key == idempotency_key
            )
        ).one_or_none()
        if found is not None:
            return found, "idempotency_key"
    if external_id is not None:
        found = session.scalars(
            select(Comment).where(Comment.site_id == site.id, Comment.external_id == external_id)
        ).one_or_none()
        if found is not None:
            return found, "external_id"
    return None


def _replay(session: Session, existing: tuple[Comment, Match], fingerprint: str) -> Submission:
    """The original comment for a true retry; a 422 or 409 for a different body."""
    comment, matched_by = existing
    # Comments stored before fingerprints existed have none: answered as retries, as before.
    if comment.body_fingerprint is None or comment.body_fingerprint == fingerprint:
        return Submission(comment.id, comment.status, created=False, enqueued=False)
    session.rollback()
    if matched_by == "idempotency_key":
        raise Invalid(
            "This Idempotency-Key was already used for a different request body.",
            code="idempotency_key_reused",
            details=[{"field": "header.Idempotency-Key", "code": "reused_with_different_body",
                      "message": f"Already used for comment {comment.id} with a different body; "
                                 "use a new key for a new comment."}])
    raise Conflict(
        f"Comment {comment.id} already has this external_id with a different body; "
        f"to edit it, send PUT /v1/comments/{comment.id}.",
        code="external_id_conflict",
        details=[{"field": "external_id", "code": "different_body",
                  "message": f"Already used by comment {comment.id} with a different body."}])


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
    """Store a validated comment and enqueue it; retries (same body) return the original.

    Raises :class:`Invalid` for a reused Idempotency-Key with a different body and
    :class:`Conflict` for a known ``external_id`` with a different body.
    """
    fingerprint = body_fingerprint(payload)
    existing = _existing(session, site, idempotency_key, payload.external_id)
    if existing is not None:
        return _replay(session, existing, fingerprint)

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
        body_fingerprint=fingerprint,
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
        return _replay(session, existing, fingerprint)

    enqueued = try_enqueue(enqueue, comment_id, request_id)
    return Submission(comment_id, "pending", created=True, enqueued=enqueued)


class EnqueueSkipped(RuntimeError):
    """The broker missed its budget recently; this enqueue was not attempted."""


def try_enqueue(enqueue: Enqueue, comment_id: int, request_id: str | None,
                what: str = "comment") -> bool:
    """Hand a committed comment to the queue; on failure leave it pending for the sweeper.

    The comment is already durable, so a failure costs latency, not data. It is logged
    as one line (the broker's error, no traceback: during an outage every request
    fails the same way) and counted; a skip during the broker's cooldown is not even a
    warning, since the miss that started the cooldown was.
    """
    try:
        enqueue(comment_id, request_id)
        return True
    except EnqueueSkipped:
        log.debug("enqueue skipped (broker cooling down); %s %s stays pending for the sweeper",
                  what, comment_id)
    except Exception as exc:  # the broker is down or hung: the sweeper will pick it up
        log.warning("enqueue failed (%s: %s); %s %s stays pending for the sweeper",
                    type(exc).__name__, exc, what, comment_id)
        log.debug("enqueue failure for %s %s", what, comment_id, exc_info=True)
    ENQUEUE_FAILURES.inc()
    return False
