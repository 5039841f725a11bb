"""Edits: a reader changes a comment's text, and the new revision is moderated.

The comment row always holds the latest revision; the text it replaces is appended
to ``comment_revisions`` (never updated), and the verdicts and moderator decisions
already recorded keep the revision number they judged. An edit puts the comment
back to ``pending`` with no verdict or moderator decision of its own, drops any
worker's lease and enqueues it, all committed before the enqueue (as at intake, the
sweeper picks it up if the broker is down). A worker still scoring the old text
writes nothing for it (see ``moderation/services/moderation.py``).

An edit of a comment a moderator already decided is moderated again like any other:
the decision stays in the history with its revision, and the new revision needs a
new decision (no ``override`` needed, since nobody has decided it yet).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from moderation import audit
from moderation.domain.actors import Actor
from moderation.domain.errors import Conflict, NotFound
from moderation.services.intake import try_enqueue
from moderation.store import Comment, CommentRevision, Decision, Verdict

Enqueue = Callable[[int, str | None], None]
T = TypeVar("T", Verdict, Decision)


@dataclass(frozen=True)
class EditResult:
    comment: Comment
    #: False: the text and title were those of the current revision (nothing stored).
    changed: bool
    enqueued: bool = False


def locked_comment(session: Session, comment_id: int, actor: Actor) -> Comment:
    """The comment, row-locked for this transaction, if ``actor`` may see it."""
    comment = session.scalars(
        select(Comment).where(Comment.id == comment_id).with_for_update()
    ).one_or_none()
    if comment is None or not actor.may_see(comment.site_id):
        session.rollback()
        raise NotFound.of("comment")
    return comment


def edit_comment(
    session: Session,
    *,
    comment_id: int,
    actor: Actor,
    text: str,
    title: str | None,
    base_revision: int | None,
    request_id: str | None,
    enqueue: Enqueue,
) -> EditResult:
    """Store ``text`` (and ``title``, if given) as the comment's next revision and queue
    it for moderation. Commits.

    Raises :class:`NotFound` outside the actor's sites, :class:`Conflict` for a
    withdrawn comment or when ``base_revision`` is no longer the current one.
    Sending the current text again changes nothing (a retried PUT is harmless).
    """
    comment = locked_comment(session, comment_id, actor)
    if comment.withdrawn_at is not None:
        session.rollback()
        raise Conflict(f"Comment {comment_id} was withdrawn and can't be edited.",
                       code="comment_withdrawn")
    if base_revision is not None and base_revision != comment.revision:
        current = comment.revision
        session.rollback()
        raise Conflict(
            f"Comment {comment_id} is at revision {current}, not {base_revision}.",
            code="revision_conflict",
            details=[{"field": "base_revision", "code": "not_current",
                      "message": f"The current revision is {current}."}])
    new_title = comment.title if title is None else title
    if text == comment.text and new_title == comment.title:
        session.rollback()
        return EditResult(comment, changed=False)

    now = datetime.now(UTC)
    previous_edit = session.scalar(
        select(func.max(CommentRevision.superseded_at)).where(CommentRevision.comment_id == comment_id))
    session.add(CommentRevision(
        comment_id=comment_id, revision=comment.revision, title=comment.title, text=comment.text,
        submitted_at=previous_edit or comment.created_at, superseded_at=now,
        request_id=comment.request_id))
    before = {"revision": comment.revision, "status": comment.status,
              "last_decision": comment.last_decision}
    comment.revision += 1
    comment.title, comment.text = new_title, text
    comment.status = "pending"
    comment.request_id = request_id
    comment.updated_at = now
    # The current-revision summary starts over; the history tables keep the old ones.
    comment.toxicity = comment.scores = comment.reason_codes = comment.error_reason = None
    comment.moderated_at = comment.decided_at = comment.last_decision = None
    comment.claimed_until = comment.claimed_by = None
    audit.record(session, actor=actor, action="comment.edit", target_type="comment",
                 target_id=comment_id, site_id=comment.site_id, before=before,
                 after={"revision": comment.revision, "status": "pending"},
                 request_id=request_id)
    session.commit()

    enqueued = try_enqueue(enqueue, comment_id, request_id, what="edited comment")
    return EditResult(comment, changed=True, enqueued=enqueued)


@dataclass(frozen=True)
class Revision:
    """One revision of a comment with what was decided about it."""

    number: int
    title: str
    text: str
    submitted_at: datetime
    superseded_at: datetime | None  # None: the current revision
    verdicts: list[Verdict]
    decisions: list[Decision]


def revision_history(session: Session, comment: Comment) -> list[Revision]:
    """Every revision, oldest first, each with its verdicts and moderator decisions."""
    stored = list(session.scalars(
        select(CommentRevision).where(CommentRevision.comment_id == comment.id)
        .order_by(CommentRevision.revision)))
    verdicts = _by_revision(session.scalars(
        select(Verdict).where(Verdict.comment_id == comment.id).order_by(Verdict.id)).all())
    decisions = _by_revision(session.scalars(
        select(Decision).where(Decision.comment_id == comment.id).order_by(Decision.id)).all())
    history = [Revision(r.revision, r.title, r.text, r.submitted_at, r.superseded_at,
                        verdicts.get(r.revision, []), decisions.get(r.revision, []))
               for r in stored]
    current_since = stored[-1].superseded_at if stored else comment.created_at
    history.append(Revision(comment.revision, comment.title, comment.text, current_since, None,
                            verdicts.get(comment.revision, []),
                            decisions.get(comment.revision, [])))
    return history


def _by_revision(rows: Sequence[T]) -> dict[int, list[T]]:
    grouped: dict[int, list[T]] = {}
    for row in rows:
        grouped.setdefault(row.revision, []).append(row)
    return grouped
