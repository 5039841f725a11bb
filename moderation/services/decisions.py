"""Moderator decisions: approve or reject a comment, one at a time or in bulk.

A decision appends a ``decisions`` row (with the actor's id, display name and time),
updates the comment's current status and appends a ``comment.decide`` audit
event, all in one transaction. A comment that already has a decision is claimed
only with ``override``: the claim is a conditional UPDATE on
``decided_at IS NULL``, so two moderators racing on the same comment can't both
win — the loser gets a conflict. A decision may name the revision it was made on
(what the moderator read); if the site edited the comment since, the claim fails
with ``stale_revision`` instead of deciding text nobody has read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from moderation import audit
from moderation.domain.actors import Actor
from moderation.domain.errors import NotFound
from moderation.store import Comment, Decision

Outcome = Literal["decided", "not_found", "conflict"]
MAX_BULK = 500


@dataclass(frozen=True)
class DecisionResult:
    comment_id: int
    outcome: Outcome
    status: str | None = None  # the comment's status afterwards (or its current one on conflict)
    decision: Decision | None = None
    previous: str | None = None  # the latest decision on a conflict
    #: on a conflict: the comment's current revision, when the decision named an older one
    stale_revision: int | None = None


def visible_comment(session: Session, comment_id: int, actor: Actor) -> Comment:
    """The comment if it exists within the actor's sites; :class:`NotFound` otherwise."""
    comment = session.get(Comment, comment_id) if 0 < comment_id <= 2**31 - 1 else None
    if comment is None or not actor.may_see(comment.site_id):
        raise NotFound.of("comment")
    return comment


def decide(
    session: Session, *, comment_id: int, decision: str, reason: str, override: bool,
    actor: Actor, request_id: str | None, revision: int | None = None,
) -> DecisionResult:
    """Record one decision, within the actor's sites (others are ``not_found``). Commits.

    With ``revision``, only that revision of the comment is decided: if the comment was
    edited since, nothing changes and the result is a conflict with ``stale_revision``.
    """
    comment = session.get(Comment, comment_id) if 0 < comment_id <= 2**31 - 1 else None
    if comment is None or not actor.may_see(comment.site_id):
        session.rollback()
        return DecisionResult(comment_id, "not_found")
    before = {"status": comment.status, "last_decision": comment.last_decision}
    now = datetime.now(UTC)
    claim = (
        update(Comment)
        .where(Comment.id == comment_id)
        .values(status=decision, last_decision=decision, decided_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    # a comment its site withdrew can't be decided (it would lose its withdrawn status)
    claim = claim.where(Comment.status != "withdrawn")
    if not override:
        claim = claim.where(Comment.decided_at.is_(None))
    if revision is not None:
        claim = claim.where(Comment.revision == revision)
    if session.execute(claim).rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        session.refresh(comment)
        stale = comment.revision if revision is not None and comment.revision != revision else None
        return DecisionResult(comment_id, "conflict", status=comment.status,
                              previous=comment.last_decision, stale_revision=stale)
    row = Decision(comment_id=comment_id, decision=decision, reason=reason, actor=actor.display_name,
                   actor_id=actor.id, actor_key_id=actor.key_id, override=override, created_at=now,
                   revision=comment.revision)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="comment.decide", target_type="comment",
                 target_id=comment_id, site_id=comment.site_id, before=before,
                 after={"status": decision, "reason": reason, "override": override,
                        "decision_id": row.id},
                 request_id=request_id)
    session.commit()
    return DecisionResult(comment_id, "decided", status=decision, decision=row)


def decide_many(
    session: Session, *, comment_ids: Sequence[int], decision: str, reason: str, override: bool,
    actor: Actor, request_id: str | None,
) -> list[DecisionResult]:
    """Decide each id independently (each in its own transaction), in the order given."""
    results = []
    for comment_id in dict.fromkeys(comment_ids):  # de-duplicated, order kept
        results.append(decide(session, comment_id=comment_id, decision=decision, reason=reason,
                              override=override, actor=actor, request_id=request_id))
    return results


def history(session: Session, comment_id: int) -> list[Decision]:
    return list(session.scalars(
        select(Decision).where(Decision.comment_id == comment_id).order_by(Decision.id)))
