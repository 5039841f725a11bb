"""Withdrawals: a site takes a comment back (the reader deleted it).

A withdrawn comment leaves the moderation queue and the moderators' default list,
is never moderated again and can't be edited; its status becomes ``withdrawn`` and
``withdrawn_at`` is stamped. Nothing is deleted: the comment, its revisions,
verdicts, decisions, sender details and audit events stay, and the sender details
are anonymised by retention like any others (legal holds apply as usual). The
status it had is kept in the ``comment.withdraw`` audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from moderation import audit
from moderation.domain.actors import Actor
from moderation.services import webhooks
from moderation.services.revisions import locked_comment
from moderation.store import Comment


@dataclass(frozen=True)
class WithdrawResult:
    comment: Comment
    #: False: it was already withdrawn (a repeated DELETE changes nothing).
    changed: bool


def withdraw_comment(
    session: Session, *, comment_id: int, actor: Actor, request_id: str | None
) -> WithdrawResult:
    """Withdraw the comment if ``actor`` may see it (:class:`NotFound` otherwise). Commits."""
    comment = locked_comment(session, comment_id, actor)
    if comment.withdrawn_at is not None:
        session.rollback()
        return WithdrawResult(comment, changed=False)
    now = datetime.now(UTC)
    before = {"status": comment.status, "revision": comment.revision,
              "last_decision": comment.last_decision}
    comment.status = "withdrawn"
    comment.withdrawn_at = now
    comment.updated_at = now
    comment.claimed_until = comment.claimed_by = None
    audit.record(session, actor=actor, action="comment.withdraw", target_type="comment",
                 target_id=comment_id, site_id=comment.site_id, before=before,
                 after={"status": "withdrawn"}, request_id=request_id)
    webhooks.record_comment_events(session, "comment.withdrawn", [comment_id], actor=actor)
    session.commit()
    return WithdrawResult(comment, changed=True)
