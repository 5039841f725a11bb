"""Moderate a stored comment: run the pipeline and append a verdict.

Idempotent: a comment is claimed with a conditional UPDATE (``status = 'pending'``),
so a duplicate delivery, a sweeper re-enqueue or a redelivered task after a worker
crash finds nothing to do and writes nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from moderation.pipeline.policy import Policy, policy_from_dict
from moderation.pipeline.run import ClassifierLike, PipelineResult, default_policy, moderate
from moderation.store import Comment, Site, Verdict

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    comment_id: int
    verdict_id: int | None  # None: nothing to do (already moderated, or unknown id)
    result: PipelineResult | None = None
    pipeline_seconds: float = 0.0


def site_policy(site: Site, classifier: ClassifierLike) -> Policy:
    return policy_from_dict(site.policy or {}, version=site.policy_version,
                            base=default_policy(classifier))


def moderate_comment(session: Session, comment_id: int, classifier: ClassifierLike) -> Outcome:
    comment = session.get(Comment, comment_id)
    if comment is None:
        log.warning("comment %s does not exist; nothing to moderate", comment_id)
        return Outcome(comment_id, None)
    if comment.status != "pending":
        return Outcome(comment_id, None)
    site = session.get(Site, comment.site_id)
    assert site is not None  # foreign key
    started = time.perf_counter()
    result = moderate(comment.text, title=comment.title, classifier=classifier,
                      policy=site_policy(site, classifier))
    elapsed = time.perf_counter() - started
    session.rollback()  # end the read transaction before the claiming write
    now = datetime.now(UTC)
    claimed = session.execute(
        update(Comment)
        .where(Comment.id == comment_id, Comment.status == "pending")
        .values(status=result.decision, toxicity=result.scores["toxicity"], moderated_at=now,
                updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        return Outcome(comment_id, None)
    verdict = Verdict(
        comment_id=comment_id,
        decision=result.decision,
        scores=result.scores,
        reasons=[reason.as_dict() for reason in result.reasons],
        model_version=result.model_version,
        policy_version=result.policy_version,
        created_at=now,
    )
    session.add(verdict)
    session.commit()
    return Outcome(comment_id, verdict.id, result, elapsed)


def mark_error(session: Session, comment_id: int, reason: str) -> bool:
    """Record a permanent failure so the comment is visible to moderators, not stuck."""
    now = datetime.now(UTC)
    changed = session.execute(
        update(Comment)
        .where(Comment.id == comment_id, Comment.status == "pending")
        .values(status="error", error_reason=reason[:2000], updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(changed.rowcount)  # type: ignore[attr-defined]
