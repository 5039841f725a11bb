"""Whether a comment is settled: its current revision is no longer ``pending``.

A request that waits for the verdict (``Prefer: wait``, ``moderation/api/comments.py``)
asks this each time it is woken; the answer is read in the caller's short session,
which it closes before waiting again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.store import Comment, Verdict


@dataclass(frozen=True)
class Settled:
    comment: Comment
    #: the current revision's verdict; None when it settled without one (``error``, a
    #: moderator's decision before the worker's, a withdrawal)
    verdict: Verdict | None


def settled(session: Session, comment_id: int) -> Settled | None:
    """The comment and its current revision's verdict once that revision is settled;
    None while it is pending (or when there is no such comment)."""
    comment = session.get(Comment, comment_id)
    if comment is None or comment.status == "pending":
        return None
    verdict = session.scalars(
        select(Verdict).where(Verdict.comment_id == comment_id, Verdict.revision == comment.revision)
        .order_by(Verdict.id.desc()).limit(1)
    ).first()
    return Settled(comment, verdict)
