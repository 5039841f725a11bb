"""Moderate a stored comment: run the pipeline and append a verdict.

Idempotent: a comment is claimed with a conditional UPDATE (``status = 'pending'``),
so a duplicate delivery, a sweeper re-enqueue or a redelivered task after a worker
crash finds nothing to do and writes nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from moderation.pipeline.blocklists import BanRule, SenderFacts, sender_check, word_check
from moderation.pipeline.policy import Policy, policy_from_dict
from moderation.pipeline.run import ClassifierLike, PipelineResult, default_policy, moderate
from moderation.pipeline.types import CheckResult
from moderation.services.bans import active_at
from moderation.store import Ban, Comment, SenderDetails, Site, Verdict

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


def active_bans(session: Session, site_id: int, now: datetime | None = None) -> list[BanRule]:
    now = now or datetime.now(UTC)
    rows = session.execute(select(Ban.kind, Ban.value).where(Ban.site_id == site_id, active_at(now)))
    return [BanRule(kind, value) for kind, value in rows]


def site_checks(
    session: Session, comment: Comment, details: SenderDetails | None, policy: Policy
) -> list[Callable[[str], CheckResult]]:
    """The site's own rules as extra pipeline checks: word lists, sender blocklists and bans."""
    facts = SenderFacts(
        pseudonym=comment.sender_pseudonym,
        ip=details.ip if details is not None else None,
        email=details.email if details is not None else None,
    )
    checks = [sender_check(facts, policy.blocklists, active_bans(session, comment.site_id))]
    if policy.blocklists.words:
        checks.append(word_check(policy.blocklists.words))
    return checks


def reason_codes(result: PipelineResult) -> str:
    """`` code1 code2 ``: space-padded so a LIKE '% code %' filter matches whole codes."""
    return " " + " ".join(sorted({reason.code for reason in result.reasons})) + " "


def moderate_comment(session: Session, comment_id: int, classifier: ClassifierLike) -> Outcome:
    # Read phase: everything the pipeline needs, in one short transaction.
    row = session.execute(
        select(Comment, Site, SenderDetails)
        .join(Site, Site.id == Comment.site_id)
        .outerjoin(SenderDetails, SenderDetails.comment_id == Comment.id)
        .where(Comment.id == comment_id)
    ).one_or_none()
    if row is None:
        log.warning("comment %s does not exist; nothing to moderate", comment_id)
        session.rollback()
        return Outcome(comment_id, None)
    comment, site, details = row
    if comment.status != "pending":
        session.rollback()
        return Outcome(comment_id, None)
    policy = site_policy(site, classifier)
    checks = site_checks(session, comment, details, policy)
    text, title = comment.text, comment.title
    # No transaction (and on SQLite no lock) is held while the pipeline runs.
    session.rollback()
    started = time.perf_counter()
    result = moderate(text, title=title, classifier=classifier, policy=policy, extra_checks=checks)
    elapsed = time.perf_counter() - started
    now = datetime.now(UTC)
    claimed = session.execute(
        update(Comment)
        .where(Comment.id == comment_id, Comment.status == "pending")
        .values(status=result.decision, toxicity=result.scores["toxicity"], moderated_at=now,
                updated_at=now, scores=result.scores, reason_codes=reason_codes(result))
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
