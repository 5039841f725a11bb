"""Retention and reader erasure of sender personal data.

Anonymising a sender record clears its name, email, IP, user agent and the
submitting address and stamps ``erased_at``; the comment, its pseudonym, its
verdicts and decisions stay. Records under a legal hold (explicit, or implied by
a case that isn't closed) are skipped by retention and make erasure refuse.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from moderation import audit
from moderation.senders import normalise_email, pseudonym
from moderation.services.access import Actor
from moderation.services.holds import ActiveHold, active_holds, holds_on
from moderation.services.scopes import Record
from moderation.store import Comment, SenderDetails

BATCH_SIZE = 1000
ERASED_VALUES: dict[str, Any] = {"name": None, "email": None, "ip": None, "user_agent": None,
                                 "submitted_from": None}


@dataclass(frozen=True)
class RetentionReport:
    cutoff: datetime
    erased: int
    skipped_held: int
    holds: int


def _records(session: Session, *conditions: Any) -> Iterator[list[Record]]:
    last_id = 0
    while True:
        rows = session.execute(
            select(Comment.id, Comment.site_id, Comment.article_id, SenderDetails.email,
                   SenderDetails.ip, Comment.created_at)
            .join(SenderDetails, SenderDetails.comment_id == Comment.id)
            .where(SenderDetails.erased_at.is_(None), Comment.id > last_id, *conditions)
            .order_by(Comment.id).limit(BATCH_SIZE)
        ).all()
        if not rows:
            return
        last_id = rows[-1][0]
        yield [Record(*row) for row in rows]


def _erase(session: Session, ids: list[int], now: datetime) -> None:
    if ids:
        session.execute(update(SenderDetails).where(SenderDetails.comment_id.in_(ids))
                        .values(**ERASED_VALUES, erased_at=now))


def run_retention(session: Session, *, retention_days: int, actor: Actor,
                  now: datetime | None = None, request_id: str | None = None) -> RetentionReport:
    """Anonymise sender details of comments at least ``retention_days`` old, except held ones.

    Runs in one transaction and is audited with its counts; running it twice is harmless.
    """
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=retention_days)
    holds = active_holds(session, now)
    erased = skipped = 0
    for batch in _records(session, Comment.created_at <= cutoff):
        free = [r.comment_id for r in batch if not holds_on(holds, r)]
        _erase(session, free, now)
        erased += len(free)
        skipped += len(batch) - len(free)
    report = RetentionReport(cutoff=cutoff, erased=erased, skipped_held=skipped, holds=len(holds))
    audit.record(session, actor=actor, action="retention.purge", target_type="sender_details",
                 after={"cutoff": cutoff.isoformat(), "retention_days": retention_days,
                        "erased": erased, "skipped_held": skipped, "active_holds": len(holds)},
                 request_id=request_id)
    session.commit()
    return report


@dataclass(frozen=True)
class ErasureResult:
    sender: str  # the keyed pseudonym: the audit log never stores the email itself
    found: int
    erased: int
    held_by: list[ActiveHold] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.held_by)


def erase_sender(session: Session, *, email: str, secret_key: str, actor: Actor,
                 site_id: int | None = None, now: datetime | None = None) -> ErasureResult:
    """Erase every record of one sender, or none if any is held (the refusal is audited)."""
    now = now or datetime.now(UTC)
    sender = pseudonym(secret_key, email)
    conditions: list[Any] = [func.lower(SenderDetails.email) == normalise_email(email)]
    if site_id is not None:
        conditions.append(Comment.site_id == site_id)
    holds = active_holds(session, now)
    ids: list[int] = []
    held: dict[tuple[str, int], ActiveHold] = {}
    for batch in _records(session, *conditions):
        for record in batch:
            ids.append(record.comment_id)
            for hold in holds_on(holds, record):
                held[(hold.kind, hold.id)] = hold
    if held:
        result = ErasureResult(sender, len(ids), 0, sorted(held.values(), key=lambda h: (h.kind, h.id)))
        audit.record(session, actor=actor, action="sender.erase_refused",
                     target_type="sender", target_id=sender, site_id=site_id,
                     after={"records": len(ids), "held_by": [h.label for h in result.held_by]})
        session.commit()
        return result
    for start in range(0, len(ids), BATCH_SIZE):
        _erase(session, ids[start:start + BATCH_SIZE], now)
    audit.record(session, actor=actor, action="sender.erase", target_type="sender",
                 target_id=sender, site_id=site_id, after={"erased": len(ids)})
    session.commit()
    return ErasureResult(sender, len(ids), len(ids))
