"""Read helpers for the console's pages: queue overview, cards, a comment's story, the dashboard.

Views never run SQL; they call these. Everything here reads, scoped by ``site_ids``
(None = every site), and reuses the moderators' read side (``services/review.py``)
and the statistics (``services/stats.py``) rather than repeating them. Nothing here
returns a full IP address or email: callers get only masked forms.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from moderation.pipeline.policy import Policy, Thresholds, decide, policy_from_dict
from moderation.pipeline.types import Reason
from moderation.senders import mask_email, mask_ip
from moderation.services import review
from moderation.services.audit_log import AuditQuery, list_events
from moderation.services.decisions import history
from moderation.services.stats import moderation_stats
from moderation.store import AuditEvent, Ban, Comment, Decision, SenderDetails, Site, Verdict

#: Statuses counted as "pending" in a sender's history (not yet settled by anyone).
OPEN_STATUSES = ("pending", "needs_review")


@dataclass(frozen=True)
class SiteQueue:
    site_id: int
    site_name: str
    waiting: int
    oldest_at: datetime | None


@dataclass(frozen=True)
class SenderHistory:
    approved: int = 0
    rejected: int = 0
    pending: int = 0


@dataclass(frozen=True)
class Card:
    """One comment as a moderator sees it: never the full IP or email."""

    comment: Comment
    verdict: Verdict | None
    site_name: str
    author_name: str | None
    ip_prefix: str | None
    email_masked: str | None
    history: SenderHistory


def site_names(session: Session, site_ids: Sequence[int] | None = None) -> dict[int, str]:
    stmt = select(Site.id, Site.name).order_by(Site.id)
    if site_ids is not None:
        stmt = stmt.where(Site.id.in_(list(site_ids)))
    return {site_id: name for site_id, name in session.execute(stmt)}


def queue_overview(session: Session, site_ids: Sequence[int] | None) -> list[SiteQueue]:
    """Per visible site: how many comments wait for review and when the oldest arrived.

    Counts and the oldest id come from the (site_id, status, id) index alone; only the
    oldest row per site is then read for its time.
    """
    names = site_names(session, site_ids)
    stmt = (select(Comment.site_id, func.count(), func.min(Comment.id))
            .where(Comment.status == "needs_review").group_by(Comment.site_id))
    if site_ids is not None:
        stmt = stmt.where(Comment.site_id.in_(list(site_ids)))
    found = {site_id: (int(count), oldest_id) for site_id, count, oldest_id in session.execute(stmt)}
    oldest_ids = [oldest for _count, oldest in found.values() if oldest is not None]
    times: dict[int, datetime] = {}
    if oldest_ids:
        times = {cid: at for cid, at in session.execute(
            select(Comment.id, Comment.created_at).where(Comment.id.in_(oldest_ids)))}
    out = []
    for site_id, name in names.items():
        count, oldest = found.get(site_id, (0, None))
        out.append(SiteQueue(site_id, name, count, times.get(oldest) if oldest is not None else None))
    return out


def sender_histories(
    session: Session, pairs: Iterable[tuple[int, str]]
) -> dict[tuple[int, str], SenderHistory]:
    """(site, pseudonym) → how many of that sender's comments on that site are in each state."""
    wanted = set(pairs)
    if not wanted:
        return {}
    counts: dict[tuple[int, str], dict[str, int]] = {pair: {} for pair in wanted}
    stmt = (select(Comment.site_id, Comment.sender_pseudonym, Comment.status, func.count())
            .where(Comment.sender_pseudonym.in_(sorted({p for _s, p in wanted})),
                   Comment.site_id.in_(sorted({s for s, _p in wanted})))
            .group_by(Comment.site_id, Comment.sender_pseudonym, Comment.status))
    for site_id, pseudonym, status, count in session.execute(stmt):
        if (site_id, pseudonym) in counts:
            counts[(site_id, pseudonym)][status] = int(count)
    return {pair: SenderHistory(approved=c.get("approved", 0), rejected=c.get("rejected", 0),
                                pending=sum(c.get(s, 0) for s in OPEN_STATUSES))
            for pair, c in counts.items()}


def cards(session: Session, rows: Sequence[review.Row]) -> list[Card]:
    """Cards for a page of the moderators' read side (three small queries for the whole page)."""
    if not rows:
        return []
    ids = [row.comment.id for row in rows]
    names = {cid: name for cid, name in session.execute(
        select(SenderDetails.comment_id, SenderDetails.name).where(SenderDetails.comment_id.in_(ids)))}
    sites = site_names(session, sorted({row.comment.site_id for row in rows}))
    histories = sender_histories(session, {(r.comment.site_id, r.comment.sender_pseudonym) for r in rows})
    return [Card(comment=row.comment, verdict=row.verdict, site_name=sites.get(row.comment.site_id, "?"),
                 author_name=names.get(row.comment.id), ip_prefix=mask_ip(row.ip),
                 email_masked=mask_email(row.email),
                 history=histories.get((row.comment.site_id, row.comment.sender_pseudonym),
                                       SenderHistory()))
            for row in rows]


def queue_cards(
    session: Session, *, site_ids: Sequence[int] | None, limit: int, after_id: int | None = None,
) -> tuple[list[Card], str | None]:
    """The next ``limit`` cards of the review queue (oldest first) after comment ``after_id``."""
    cursor = review.encode_cursor({"s": "queue", "id": after_id}) if after_id else None
    page = review.review_queue(session, site_ids=site_ids, limit=limit, cursor=cursor)
    return cards(session, page.rows), page.next_cursor


def visible_comment(session: Session, comment_id: int, site_ids: Sequence[int] | None) -> Comment | None:
    """The comment if it exists and is in scope; None otherwise (the caller answers 404)."""
    if not 0 < comment_id <= 2_147_483_647:
        return None
    comment = session.get(Comment, comment_id)
    if comment is None or (site_ids is not None and comment.site_id not in site_ids):
        return None
    return comment


def visible_ban(session: Session, ban_id: int, site_ids: Sequence[int] | None) -> Ban | None:
    """The ban if it exists on a site in scope; None otherwise (the caller answers 404)."""
    ban = session.get(Ban, ban_id) if 0 < ban_id <= 2_147_483_647 else None
    if ban is None or (site_ids is not None and ban.site_id not in site_ids):
        return None
    return ban


def card_for(session: Session, comment: Comment) -> Card:
    ip, email = review.sender_of(session, comment.id)
    verdict = review.latest_verdicts(session, [comment.id]).get(comment.id)
    return cards(session, [review.Row(comment, ip, email, verdict)])[0]


@dataclass(frozen=True)
class CommentStory:
    card: Card
    verdicts: list[Verdict]
    decisions: list[Decision]
    events: list[AuditEvent]


def comment_story(session: Session, comment: Comment) -> CommentStory:
    """Everything the comment page shows: verdict history, decisions, the audit trail."""
    verdicts = list(session.scalars(select(Verdict).where(Verdict.comment_id == comment.id)
                                    .order_by(Verdict.id)))
    events, _next = list_events(session, AuditQuery(target_type="comment", target_id=str(comment.id),
                                                    limit=200))
    return CommentStory(card=card_for(session, comment), verdicts=verdicts,
                        decisions=history(session, comment.id), events=events)


def open_from_sender(session: Session, site_id: int, pseudonym: str, limit: int = 500) -> list[Comment]:
    """That sender's comments on that site no moderator has decided yet, oldest first."""
    return list(session.scalars(
        select(Comment).where(Comment.site_id == site_id, Comment.sender_pseudonym == pseudonym,
                              Comment.status.in_(OPEN_STATUSES), Comment.decided_at.is_(None))
        .order_by(Comment.id).limit(limit)))


# --- dashboard -------------------------------------------------------------------------


@dataclass(frozen=True)
class ModeratorLine:
    name: str
    approved: int
    rejected: int
    median_seconds: float | None


@dataclass(frozen=True)
class Dashboard:
    since: datetime
    until: datetime
    per_day: list[tuple[str, int, int]]  # (day, approved, rejected) of moderator decisions
    queue: list[SiteQueue]
    moderators: list[ModeratorLine]
    categories: list[tuple[str, int]]
    machine_decided: int
    machine_overridden: int
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def waiting(self) -> int:
        return sum(q.waiting for q in self.queue)

    @property
    def oldest_at(self) -> datetime | None:
        times = [q.oldest_at for q in self.queue if q.oldest_at is not None]
        return min(times) if times else None

    @property
    def overridden_share(self) -> float | None:
        return self.machine_overridden / self.machine_decided if self.machine_decided else None


def dashboard(session: Session, *, site_ids: Sequence[int] | None, since: datetime,
              until: datetime) -> Dashboard:
    stats = moderation_stats(session, site_ids=site_ids, since=since, until=until)
    decisions = (select(Decision.decision, Decision.actor, Decision.comment_id, Decision.created_at,
                        Comment.moderated_at, Comment.created_at)
                 .join(Comment, Comment.id == Decision.comment_id)
                 .where(Decision.created_at >= since, Decision.created_at < until)
                 .order_by(Decision.id))
    if site_ids is not None:
        decisions = decisions.where(Comment.site_id.in_(list(site_ids)))
    days: dict[str, list[int]] = {}
    counts: dict[str, list[int]] = {}
    waits: dict[str, list[float]] = {}
    seen: set[int] = set()
    for decision, actor, comment_id, decided_at, moderated_at, created_at in session.execute(decisions):
        day = decided_at.astimezone(UTC).date().isoformat()
        slot = 0 if decision == "approved" else 1
        days.setdefault(day, [0, 0])[slot] += 1
        counts.setdefault(actor, [0, 0])[slot] += 1
        if comment_id not in seen:  # the first decision on a comment ends its wait
            seen.add(comment_id)
            entered = moderated_at or created_at
            waits.setdefault(actor, []).append(max(0.0, (decided_at - entered).total_seconds()))
    per_day: list[tuple[str, int, int]] = []
    current = since.astimezone(UTC).date()
    last = (until - timedelta(microseconds=1)).astimezone(UTC).date()
    while current <= last and len(per_day) < 400:
        approved, rejected = days.get(current.isoformat(), [0, 0])
        per_day.append((current.isoformat(), approved, rejected))
        current += timedelta(days=1)
    moderators = sorted(
        (ModeratorLine(name, a, r, statistics.median(waits[name]) if waits.get(name) else None)
         for name, (a, r) in counts.items()), key=lambda m: -(m.approved + m.rejected))

    machine = (select(Verdict.comment_id, Verdict.decision, Comment.last_decision)
               .join(Comment, Comment.id == Verdict.comment_id)
               .where(Verdict.decision.in_(("approved", "rejected")),
                      Verdict.created_at >= since, Verdict.created_at < until))
    if site_ids is not None:
        machine = machine.where(Comment.site_id.in_(list(site_ids)))
    machine_by_comment: dict[int, tuple[str, str | None]] = {}
    for comment_id, verdict, last_decision in session.execute(machine):
        machine_by_comment[comment_id] = (verdict, last_decision)  # the latest verdict wins
    overridden = sum(1 for v, d in machine_by_comment.values() if d is not None and d != v)
    categories = sorted(((name, n) for name, n in stats["comments"]["by_category"].items() if n),
                        key=lambda item: -item[1])
    return Dashboard(since=since, until=until, per_day=per_day,
                     queue=queue_overview(session, site_ids), moderators=moderators,
                     categories=categories, machine_decided=len(machine_by_comment),
                     machine_overridden=overridden, stats=stats)


# --- policy preview --------------------------------------------------------------------

#: Check reasons that reject on their own (see the pipeline's checks); others only hold.
_HARD_PREFIXES = ("personal_information:phone_number", "personal_information:email",
                  "personal_information:aadhaar", "personal_information:pan",
                  "personal_information:payment_card", "blocklist:sender", "blocklist:banned_term",
                  "too_long", "missing_field:", "invalid_text")


@dataclass(frozen=True)
class PolicyPreview:
    days: int
    total: int
    approved: int
    held: int
    rejected: int

    def share(self, count: int) -> float:
        return count / self.total if self.total else 0.0


def policy_preview(session: Session, site: Site, thresholds: dict[str, Thresholds], *,
                   days: int = 7, now: datetime | None = None) -> PolicyPreview:
    """What ``thresholds`` would have done to the site's last ``days`` days of scored comments.

    Replays the decision policy on each comment's stored scores and its stored check
    reasons (classifier reasons are re-derived from the scores by the thresholds).
    """
    now = now or datetime.now(UTC)
    policy = policy_from_dict(site.policy or {}, version=site.policy_version, base=Policy())
    policy = policy.with_thresholds(thresholds)
    stmt = (select(Comment.scores, Comment.reason_codes)
            .where(Comment.site_id == site.id, Comment.created_at >= now - timedelta(days=days),
                   Comment.scores.is_not(None)))
    tally = {"approved": 0, "needs_review": 0, "rejected": 0}
    for scores, codes in session.execute(stmt):
        reasons = [Reason(code, code, hard=code.startswith(_HARD_PREFIXES))
                   for code in (codes or "").split() if not code.startswith("classifier:")]
        numeric = {name: float(value) for name, value in (scores or {}).items()
                   if isinstance(value, int | float)}
        tally[decide(numeric, reasons, policy)] += 1
    return PolicyPreview(days=days, total=sum(tally.values()), approved=tally["approved"],
                         held=tally["needs_review"], rejected=tally["rejected"])
