"""Moderate stored comments in batches: claim, run the pipeline, append verdicts.

A task for comment X claims X and up to ``size - 1`` other pending comments (oldest
first) with a short lease, reads everything the pipeline needs in a few bulk queries,
commits (no transaction or lock is held while the pipeline runs), scores them all with
one classifier call, and writes every verdict in one transaction.

Idempotent, whatever happens to the lease: each verdict is written in the same
transaction as a conditional UPDATE of its comment from ``pending``, on rows locked
for that transaction, so a duplicate delivery, a sweeper re-enqueue, a second worker
whose lease expired or a task redelivered after a crash writes nothing twice. The
lease only keeps concurrent workers from repeating each other's work; a comment
claimed by a worker that died is taken back by that task's redelivery or retry (same
task id) at once, or by anyone after the lease expires (the sweeper re-enqueues it).

Edits and withdrawals: the claim reads the comment's current revision, and a
verdict is written only if the comment is still at that revision when the batch
finishes. An edit committed while the pipeline ran (``moderation/services/revisions.py``
puts the comment back to ``pending``, drops the lease and enqueues it again) is
therefore never answered with the old text's verdict. A withdrawn comment is no
longer ``pending``, so no claim takes it and no verdict is written for it.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from moderation.classifier.language_model import load_latin_model
from moderation.pipeline.blocklists import BanRule, SenderFacts, sender_check, word_check
from moderation.pipeline.policy import Policy, PolicyDefaults
from moderation.pipeline.run import ClassifierLike, PipelineInput, PipelineResult, moderate_many
from moderation.pipeline.types import CheckResult
from moderation.services import policies, webhooks
from moderation.services.bans import active_at
from moderation.services.site_serving import SiteClassifiers
from moderation.settings import load_settings
from moderation.store import Ban, Comment, SenderDetails, Site, Verdict

log = logging.getLogger(__name__)

#: What a claim returns: the comment fields the pipeline and the task's logs need.
CLAIMED_COLUMNS = (Comment.id, Comment.site_id, Comment.text, Comment.title,
                   Comment.sender_pseudonym, Comment.request_id, Comment.revision)


@dataclass(frozen=True)
class Outcome:
    comment_id: int
    verdict_id: int | None  # None: nothing to do (already moderated, claimed elsewhere, unknown id)
    result: PipelineResult | None = None
    pipeline_seconds: float = 0.0
    request_id: str | None = None


@dataclass(frozen=True)
class BatchOutcome:
    """The task's own comment, and every verdict this batch wrote (the own one included)."""

    own: Outcome
    moderated: list[Outcome] = field(default_factory=list)
    #: Other comments of the batch whose pipeline failed; released for their own tasks.
    released: list[int] = field(default_factory=list)


def site_policy(site: Site, classifier: ClassifierLike, defaults: PolicyDefaults) -> Policy:
    """The site's policy as the worker applies it: the one resolver, with the loaded
    classifier's thresholds (the admin API shows the same, read from the artifact)."""
    return policies.site_policy(site, classifier.thresholds, defaults)


def site_checks(
    facts: SenderFacts, policy: Policy, bans: Sequence[BanRule]
) -> list[Callable[[str], CheckResult]]:
    """The site's own rules as extra pipeline checks: word lists, sender blocklists and bans."""
    checks = [sender_check(facts, policy.blocklists, list(bans))]
    if policy.blocklists.words:
        checks.append(word_check(policy.blocklists.words))
    return checks


def reason_codes(result: PipelineResult) -> str:
    """`` code1 code2 ``: space-padded so a LIKE '% code %' filter matches whole codes."""
    return " " + " ".join(sorted({reason.code for reason in result.reasons})) + " "


def _claimable() -> ColumnElement[bool]:
    """Pending and not leased by anyone else; ``now`` and ``claimer`` are bound parameters."""
    return and_(Comment.status == "pending",
                or_(Comment.claimed_until.is_(None),
                    Comment.claimed_until < bindparam("now", type_=Comment.claimed_until.type),
                    Comment.claimed_by == bindparam("claimer", type_=Comment.claimed_by.type)))


#: The own-comment claim, built once (it runs for every task, most of them no-ops).
_CLAIM_OWN = (
    update(Comment)
    .where(Comment.id == bindparam("own"), _claimable())
    .values(claimed_until=bindparam("until", type_=Comment.claimed_until.type),
            claimed_by=bindparam("claimer", type_=Comment.claimed_by.type))
    .returning(*CLAIMED_COLUMNS)
    .execution_options(synchronize_session=False)
)


def claim_batch(
    session: Session, comment_id: int, *, size: int, claimer: str, lease_seconds: float,
    now: datetime,
) -> list[Row[Any]]:
    """Lease ``comment_id`` if it is still pending and not leased by someone else, and
    then up to ``size`` pending comments in all, oldest first; nothing if it is not.

    A task whose own comment is already decided or leased claims nothing else: tasks run
    roughly in queue order, so the comments after its own belong to batches already
    taken or to tasks still queued, and such no-op tasks (most of them, when batches are
    full) stay one cheap statement. Rows leased by another live claim are skipped (on
    PostgreSQL without waiting for their locks; SQLite serialises writers).
    """
    until = now + timedelta(seconds=lease_seconds)
    lease = {"now": now, "claimer": claimer}
    rows: list[Row[Any]] = list(session.execute(_CLAIM_OWN, {**lease, "own": comment_id,
                                                               "until": until}))
    if rows and size > 1:
        # Pick and lock first, then update by id: an UPDATE ... WHERE id IN (SELECT ...
        # LIMIT n FOR UPDATE) may re-run its subquery on PostgreSQL and take more than n.
        others = list(session.scalars(
            select(Comment.id)
            .where(_claimable(), Comment.id != comment_id)
            .order_by(Comment.id)
            .limit(size - 1)
            .with_for_update(skip_locked=True),
            lease,
        ))
        if others:
            rows.extend(session.execute(
                update(Comment).where(Comment.id.in_(others), _claimable())
                .values(claimed_until=until, claimed_by=claimer).returning(*CLAIMED_COLUMNS)
                .execution_options(synchronize_session=False),
                lease,
            ))
    return rows


def _pipeline_inputs(
    session: Session, rows: Sequence[Row[Any]], classifier: ClassifierLike, now: datetime,
    defaults: PolicyDefaults, per_site: dict[int, Any] | None = None,
) -> list[PipelineInput]:
    """Sites, sender details and bans for the claimed comments, in two bulk queries."""
    ids = [row.id for row in rows]
    site_ids = sorted({row.site_id for row in rows})
    details: dict[int, tuple[str | None, str | None]] = {}
    site_policies: dict[int, Policy] = {}
    for comment_id, ip, email, site in session.execute(
        select(Comment.id, SenderDetails.ip, SenderDetails.email, Site)
        .join(Site, Site.id == Comment.site_id)
        .outerjoin(SenderDetails, SenderDetails.comment_id == Comment.id)
        .where(Comment.id.in_(ids))
    ):
        details[comment_id] = (ip, email)
        if site.id not in site_policies:
            site_policies[site.id] = site_policy(site, (per_site or {}).get(site.id, classifier),
                                                 defaults)
    bans: dict[int, list[BanRule]] = defaultdict(list)
    for site_id, kind, value in session.execute(
        select(Ban.site_id, Ban.kind, Ban.value).where(Ban.site_id.in_(site_ids), active_at(now))
    ):
        bans[site_id].append(BanRule(kind, value))
    inputs = []
    for row in rows:
        ip, email = details.get(row.id, (None, None))
        policy = site_policies[row.site_id]
        facts = SenderFacts(pseudonym=row.sender_pseudonym, ip=ip, email=email)
        inputs.append(PipelineInput(row.text, row.title, policy,
                                    site_checks(facts, policy, bans[row.site_id])))
    return inputs


def _run_pipeline(
    inputs: Sequence[PipelineInput], classifier: ClassifierLike,
    fatal: tuple[type[BaseException], ...],
) -> list[PipelineResult | Exception]:
    """One classifier call for the batch; if anything in it fails, one comment at a time,
    so a poison comment fails alone."""
    try:
        return list(moderate_many(inputs, classifier=classifier, language_model=load_latin_model()))
    except fatal:
        raise
    except Exception:
        if len(inputs) == 1:
            raise
    results: list[PipelineResult | Exception] = []
    for item in inputs:
        try:
            results.append(moderate_many([item], classifier=classifier,
                                         language_model=load_latin_model())[0])
        except fatal:
            raise
        except Exception as exc:
            results.append(exc)
    return results


def _run_per_site(
    rows: Sequence[Row[Any]], inputs: Sequence[PipelineInput], classifier: ClassifierLike,
    per_site: dict[int, Any], fatal: tuple[type[BaseException], ...],
) -> list[PipelineResult | Exception]:
    """:func:`_run_pipeline` once per classifier: the base for sites without a site
    model, each site's own for the others (results in the order of ``rows``)."""
    if not per_site:
        return _run_pipeline(inputs, classifier, fatal)
    groups: dict[int | None, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        groups[row.site_id if row.site_id in per_site else None].append(i)
    results: list[PipelineResult | Exception | None] = [None] * len(rows)
    for site_id, idx in groups.items():
        clf = classifier if site_id is None else per_site[site_id]
        for i, result in zip(idx, _run_pipeline([inputs[i] for i in idx], clf, fatal), strict=True):
            results[i] = result
    return [r for r in results if r is not None]


def moderate_batch(
    session: Session,
    comment_id: int,
    classifier: ClassifierLike,
    *,
    size: int = 1,
    claimer: str | None = None,
    lease_seconds: float = 10.0,
    fatal: tuple[type[BaseException], ...] = (),
    defaults: PolicyDefaults | None = None,
    site_classifiers: SiteClassifiers | None = None,
) -> BatchOutcome:
    """Moderate ``comment_id`` and up to ``size - 1`` other pending comments (only when
    ``comment_id`` itself is still there to moderate: see :func:`claim_batch`).

    ``defaults``: what the settings contribute to every site's policy (the length limit);
    None reads them from the environment, as the web process does.

    ``site_classifiers``: the sites' own models (``services/site_serving.py``); a site
    with an active one is scored by it, and its verdicts record its version.

    Raises the task's own comment's pipeline error (after committing the others'
    verdicts) so the task can retry or mark it; ``fatal`` exceptions (a time limit)
    propagate at once, leaving the batch to its lease.
    """
    claimer = claimer or uuid.uuid4().hex
    now = datetime.now(UTC)
    rows = claim_batch(session, comment_id, size=size, claimer=claimer,
                       lease_seconds=lease_seconds, now=now)
    if not rows:
        session.rollback()
        return BatchOutcome(Outcome(comment_id, None))
    if defaults is None:
        defaults = policies.policy_defaults(load_settings())
    per_site = (site_classifiers.for_sites(session, {row.site_id for row in rows})
                if site_classifiers is not None else {})
    inputs = _pipeline_inputs(session, rows, classifier, now, defaults, per_site)
    # The lease is durable; no transaction (and on SQLite no lock) is held while the
    # pipeline runs.
    session.commit()
    started = time.perf_counter()
    results = _run_per_site(rows, inputs, classifier, per_site, fatal)
    per_comment = (time.perf_counter() - started) / len(rows)

    done = {row.id: result for row, result in zip(rows, results, strict=True)
            if isinstance(result, PipelineResult)}
    failed = {row.id: result for row, result in zip(rows, results, strict=True)
              if isinstance(result, Exception)}
    revisions = {row.id: row.revision for row in rows}
    written = write_verdicts(session, done, revisions)
    released = [i for i in failed if i != comment_id]
    if released:  # their own tasks (or the sweeper) retry them, and mark them if they fail
        session.execute(
            update(Comment).where(Comment.id.in_(released), Comment.claimed_by == claimer)
            .values(claimed_until=None, claimed_by=None)
            .execution_options(synchronize_session=False))
    session.commit()

    request_ids = {row.id: row.request_id for row in rows}
    moderated = [Outcome(i, verdict_id, done[i], per_comment, request_ids[i])
                 for i, verdict_id in written.items()]
    for other in released:
        log.warning("comment %s failed in a batch; left for its own task: %r", other, failed[other])
    if comment_id in failed:
        raise failed[comment_id]
    own = next((o for o in moderated if o.comment_id == comment_id), Outcome(comment_id, None))
    return BatchOutcome(own, moderated, released)


def write_verdicts(
    session: Session, done: dict[int, PipelineResult], revisions: dict[int, int] | None = None
) -> dict[int, int]:
    """Decide every comment of ``done`` still pending at the revision that was scored
    (``revisions``), append its verdict; ids by comment.

    The rows are locked first (ordered, so two writers can't deadlock) and only those
    still pending at that revision are written: exactly one verdict per comment
    revision whoever else ran it. A comment edited meanwhile is left pending for the
    task its edit enqueued. ``revisions`` None accepts the current revision.
    """
    if not done:
        return {}
    current = {comment_id: revision for comment_id, revision in session.execute(
        select(Comment.id, Comment.revision)
        .where(Comment.id.in_(list(done)), Comment.status == "pending")
        .order_by(Comment.id).with_for_update())}
    revisions = revisions if revisions is not None else current  # None: whatever is current
    pending = [i for i, revision in current.items() if revision == revisions[i]]
    if not pending:
        return {}
    now = datetime.now(UTC)
    session.execute(update(Comment), [
        {"id": i, "status": done[i].decision, "toxicity": done[i].scores["toxicity"],
         "moderated_at": now, "updated_at": now, "scores": done[i].scores,
         "reason_codes": reason_codes(done[i]), "claimed_until": None, "claimed_by": None,
         "language": done[i].language.language}
        for i in pending
    ])
    inserted = session.execute(
        insert(Verdict).returning(Verdict.id, Verdict.comment_id, sort_by_parameter_order=True),
        [{"comment_id": i, "decision": done[i].decision, "scores": done[i].scores,
          "reasons": [reason.as_dict() for reason in done[i].reasons],
          "model_version": done[i].model_version, "policy_version": done[i].policy_version,
          "language": done[i].language.as_dict(), "created_at": now, "revision": revisions[i]}
         for i in pending],
    )
    written = {comment_id: verdict_id for verdict_id, comment_id in inserted}
    webhooks.record_comment_events(session, "comment.moderated", pending)  # the outbox, same transaction
    return written


def moderate_comment(
    session: Session, comment_id: int, classifier: ClassifierLike,
    defaults: PolicyDefaults | None = None,
) -> Outcome:
    """Moderate one comment on its own (a batch of one)."""
    return moderate_batch(session, comment_id, classifier, defaults=defaults).own


def mark_error(session: Session, comment_id: int, reason: str) -> bool:
    """Record a permanent failure so the comment is visible to moderators, not stuck."""
    now = datetime.now(UTC)
    changed = session.execute(
        update(Comment)
        .where(Comment.id == comment_id, Comment.status == "pending")
        .values(status="error", error_reason=reason[:2000], updated_at=now,
                claimed_until=None, claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount:  # type: ignore[attr-defined]
        webhooks.record_comment_events(session, "comment.error", [comment_id])
    session.commit()
    return bool(changed.rowcount)  # type: ignore[attr-defined]
