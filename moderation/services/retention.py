"""Retention and reader erasure of sender personal data.

Anonymising a sender record clears its name, email, IP, user agent and the
submitting address and stamps ``erased_at``; the comment, its pseudonym, its
verdicts and decisions stay. Records under a legal hold (explicit, or implied by
a case that isn't closed) are skipped by retention and by erasure, which erases
the rest and names what it kept and why.

Export files have a lifetime too: retention deletes them a configurable number
of days after their case closed (kept while a hold covers them), and an erasure
or retention run that clears a sender's details deletes every export holding
them; each deletion is audited with its reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from moderation import audit
from moderation.domain.errors import Invalid
from moderation.senders import ALL_SITES, normalise_email, pseudonym
from moderation.services.access import Actor
from moderation.services.holds import ActiveHold, active_holds, holds_on
from moderation.services.scopes import Record, Scope
from moderation.store import AuditEvent, Comment, DisclosureRequest, Export, SenderDetails

BATCH_SIZE = 1000
ERASED_VALUES: dict[str, Any] = {"name": None, "email": None, "ip": None, "user_agent": None,
                                 "submitted_from": None}


@dataclass(frozen=True)
class RetentionReport:
    cutoff: datetime
    erased: int
    skipped_held: int
    holds: int
    exports_deleted: int = 0
    exports_kept_held: int = 0


@dataclass(frozen=True)
class ExportSweep:
    deleted: int
    kept_held: int


def _delete_export(session: Session, export: Export, export_dir: Path, reason: str, actor: Actor,
                   now: datetime, **details: Any) -> None:
    (export_dir / export.file_name).unlink(missing_ok=True)
    export.status = "deleted"
    export.deleted_at = now
    export.deleted_reason = reason
    audit.record(session, actor=actor, action="compliance.export.delete", target_type="export",
                 target_id=export.id, site_id=export.site_id,
                 after={"request_id": export.request_id, "reason": reason, **details})


def _scope_ids(session: Session, export: Export, case: DisclosureRequest,
               only: list[int] | None = None) -> Iterator[Record]:
    scope = Scope.from_json(case.scope, case.site_id)
    query = (select(Comment.id, Comment.site_id, Comment.article_id, SenderDetails.email,
                    SenderDetails.ip, Comment.created_at)
             .outerjoin(SenderDetails, SenderDetails.comment_id == Comment.id)
             .where(*scope.conditions()))
    if only is not None:
        query = query.where(Comment.id.in_(only))
    for row in session.execute(query):
        yield Record(*row)


def sweep_exports(session: Session, export_dir: Path | str, *, lifetime_days: int, actor: Actor,
                  erased_ids: list[int] | None = None, now: datetime | None = None) -> ExportSweep:
    """Delete export files past their lifetime, and those holding just-erased senders.

    An export lives until ``lifetime_days`` after its case closed, unless an active
    legal hold covers a record in it. An export whose scope covers a sender whose
    details were just erased (``erased_ids``) is deleted at once, whatever its age:
    it would otherwise keep the erased email and IP. Each deletion is audited with
    its reason. Caller commits.
    """
    now = now or datetime.now(UTC)
    directory = Path(export_dir)
    holds = active_holds(session, now)
    deleted = kept = 0
    live = session.execute(select(Export, DisclosureRequest)
                           .join(DisclosureRequest, DisclosureRequest.id == Export.request_id)
                           .where(Export.deleted_at.is_(None))).all()
    for export, case in live:
        if erased_ids:
            hits = sum(1 for start in range(0, len(erased_ids), BATCH_SIZE)
                       for _ in _scope_ids(session, export, case, erased_ids[start:start + BATCH_SIZE]))
            if hits:
                _delete_export(session, export, directory, "sender_erased", actor, now,
                               erased_records=hits)
                deleted += 1
                continue
        if case.closed_at is None or case.closed_at > now - timedelta(days=lifetime_days):
            continue
        if any(holds_on(holds, record) for record in _scope_ids(session, export, case)):
            kept += 1
            continue
        _delete_export(session, export, directory, "lifetime_expired", actor, now,
                       closed_at=case.closed_at.isoformat(), lifetime_days=lifetime_days)
        deleted += 1
    return ExportSweep(deleted, kept)


def next_daily_run(hour: int, minute: int, now: datetime | None = None) -> datetime:
    """The next time a job scheduled daily at ``hour:minute`` UTC runs."""
    now = now or datetime.now(UTC)
    candidate = now.astimezone(UTC).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return candidate if candidate > now else candidate + timedelta(days=1)


@dataclass(frozen=True)
class LastRun:
    """The newest audited retention run: when, by whom, and its counts."""

    at: datetime
    actor: str
    actor_name: str | None
    counts: dict[str, Any]


def last_run(session: Session) -> LastRun | None:
    """The newest ``retention.purge`` audit event (dry runs change nothing and aren't audited)."""
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.purge")
                            .order_by(AuditEvent.id.desc()).limit(1)).first()
    if event is None:
        return None
    return LastRun(event.created_at, event.actor, event.actor_name, dict(event.after or {}))


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
                  now: datetime | None = None, request_id: str | None = None,
                  export_dir: Path | str | None = None, export_lifetime_days: int = 30,
                  dry_run: bool = False) -> RetentionReport:
    """Anonymise sender details of comments at least ``retention_days`` old, except held ones.

    Runs in one transaction and is audited with its counts; running it twice is harmless.
    """
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=retention_days)
    holds = active_holds(session, now)
    erased = skipped = 0
    erased_ids: list[int] = []
    for batch in _records(session, Comment.created_at <= cutoff):
        free = [r.comment_id for r in batch if not holds_on(holds, r)]
        erased_ids.extend(free)
        erased += len(free)
        skipped += len(batch) - len(free)
    sweep = ExportSweep(0, 0)
    if not dry_run:
        # Exports are matched to the senders before their details go (a scope by email
        # or IP can't find them afterwards).
        if export_dir is not None:
            sweep = sweep_exports(session, export_dir, lifetime_days=export_lifetime_days,
                                  actor=actor, erased_ids=erased_ids, now=now)
        for start in range(0, len(erased_ids), BATCH_SIZE):
            _erase(session, erased_ids[start:start + BATCH_SIZE], now)
    report = RetentionReport(cutoff=cutoff, erased=erased, skipped_held=skipped, holds=len(holds),
                             exports_deleted=sweep.deleted, exports_kept_held=sweep.kept_held)
    if dry_run:
        session.rollback()
        return report
    audit.record(session, actor=actor, action="retention.purge", target_type="sender_details",
                 after={"cutoff": cutoff.isoformat(), "retention_days": retention_days,
                        "erased": erased, "skipped_held": skipped, "active_holds": len(holds),
                        "exports_deleted": sweep.deleted, "exports_kept_held": sweep.kept_held},
                 request_id=request_id)
    session.commit()
    return report


@dataclass(frozen=True)
class ErasureResult:
    """One reader's erasure: what was found, what was erased, and what holds kept."""

    sender: str  # the keyed pseudonym: the audit log never stores the email itself
    found: int
    erased: int
    held_by: list[ActiveHold] = field(default_factory=list)
    #: Hold label → the comment ids it kept (a record under two holds is under both).
    kept: dict[str, list[int]] = field(default_factory=dict)

    @property
    def kept_count(self) -> int:
        return self.found - self.erased

    @property
    def refused(self) -> bool:
        """Records were found and every one of them is held: nothing was erased."""
        return self.found > 0 and self.erased == 0

    @property
    def outcome(self) -> str:
        """``not_found``, ``erased`` (everything), ``partial`` (some kept) or ``refused`` (all kept)."""
        if self.found == 0:
            return "not_found"
        if self.erased == self.found:
            return "erased"
        return "refused" if self.erased == 0 else "partial"

    def as_dict(self) -> dict[str, Any]:
        return {"sender": self.sender, "outcome": self.outcome, "found": self.found,
                "erased": self.erased, "kept": self.kept_count,
                "kept_by": [{"hold": label, "comment_ids": ids} for label, ids in self.kept.items()]}


def valid_email(email: str) -> str:
    """``email`` stripped, or :class:`Invalid` naming the field when it isn't an address."""
    try:
        validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise Invalid("The request is invalid.", details=[
            {"field": "email", "code": "invalid_email",
             "message": f"Value is not a valid email address: {exc}"}]) from None
    return email.strip()


def erase_sender(session: Session, *, email: str, pseudonym_key: str, actor: Actor,
                 site_id: int | None = None, now: datetime | None = None,
                 request_id: str | None = None, export_dir: Path | str | None = None,
                 export_lifetime_days: int = 30) -> ErasureResult:
    """Erase every record of one sender except those under a hold, and audit it.

    Held records are kept and named with the holds that keep them; if every record
    is held the attempt is audited as ``sender.erase_refused``. The audit log names
    the sender by the site's pseudonym, or for an erasure on every site by a
    pseudonym keyed to "all sites" (never by the email). Raises :class:`Invalid`
    for a malformed address.
    """
    email = valid_email(email)
    now = now or datetime.now(UTC)
    sender = pseudonym(pseudonym_key, ALL_SITES if site_id is None else site_id, email)
    conditions: list[Any] = [func.lower(SenderDetails.email) == normalise_email(email)]
    if site_id is not None:
        conditions.append(Comment.site_id == site_id)
    holds = active_holds(session, now)
    free: list[int] = []
    found = 0
    held: dict[tuple[str, int], ActiveHold] = {}
    kept: dict[tuple[str, int], list[int]] = {}
    for batch in _records(session, *conditions):
        for record in batch:
            found += 1
            covering = holds_on(holds, record)
            if not covering:
                free.append(record.comment_id)
            for hold in covering:
                held[(hold.kind, hold.id)] = hold
                kept.setdefault((hold.kind, hold.id), []).append(record.comment_id)
    sweep = ExportSweep(0, 0)
    if export_dir is not None and free:  # matched before the details are cleared
        sweep = sweep_exports(session, export_dir, lifetime_days=export_lifetime_days, actor=actor,
                              erased_ids=free, now=now)
    for start in range(0, len(free), BATCH_SIZE):
        _erase(session, free[start:start + BATCH_SIZE], now)
    order = sorted(held)
    result = ErasureResult(sender, found, len(free), [held[k] for k in order],
                           {held[k].label: kept[k] for k in order})
    after: dict[str, Any] = {"erased": result.erased}
    if result.kept_count:
        after.update(records=found, kept=result.kept_count, held_by=[h.label for h in result.held_by])
    if sweep.deleted:
        after["exports_deleted"] = sweep.deleted
    audit.record(session, actor=actor, action="sender.erase_refused" if result.refused else "sender.erase",
                 target_type="sender", target_id=sender, site_id=site_id, after=after,
                 request_id=request_id)
    session.commit()
    return result
