"""Retention and the audit log in the console, and the TOTP step-up form.

- Retention: when the next scheduled run is, what the last run did, what is kept under
  hold now; a dry run counts what a run would erase and changes nothing.
- Audit: the head (event count and hash) and the last signed checkpoint; "verify now"
  walks the keyed chain and checks the checkpoint, naming the first broken event.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from moderation import audit
from moderation.api.context import settings
from moderation.celery_setup import RETENTION_HOUR, RETENTION_MINUTE
from moderation.console import auth
from moderation.console.auth import login_required, safe_next
from moderation.domain.errors import DomainError
from moderation.services import audit_checkpoints as checkpoints
from moderation.services import holds, retention, users
from moderation.store import AuditEvent

from .common import actor, session
from .compliance_common import OFFICERS, STEP_UP_WINDOW, console_row, request_id, step_up_prompt

log = logging.getLogger(__name__)


# --- step-up ----------------------------------------------------------------------------


@login_required(*OFFICERS)
def step_up() -> ResponseReturnValue:
    """Prove a TOTP (or recovery) code again; good for :data:`STEP_UP_WINDOW` in this session.

    Wrong codes count towards the same per-account and per-address lockout as sign-in.
    """
    next_url = safe_next(request.values.get("next")) or url_for("console.compliance_cases")
    if request.method == "GET":
        return step_up_prompt("continue", next_url)
    user = auth.current_user()
    if not user.totp_enabled:
        return step_up_prompt("continue", next_url, error="Set up two-step sign-in on your account "
                              "page first.", status=403)
    throttle = auth.throttle()
    locked = throttle.locked(user.username, auth.client_ip())
    if locked is not None:
        return step_up_prompt("continue", next_url, error=locked.message, status=429)
    db = session()
    method = users.verify_second_factor(db, user, (request.form.get("totp") or "")[:64],
                                        request_id=request_id())
    if method is None:
        db.rollback()
        started = throttle.failed(user.username, auth.client_ip())
        auth._audit_lockouts(started, user.username, user)
        message = started[0].message if started else "That code is not valid; try again."
        return step_up_prompt("continue", next_url, error=message, status=429 if started else 401)
    throttle.succeeded(user.username)
    row = console_row()
    row.stepped_up_at = datetime.now(UTC)
    audit.record(db, actor=actor(), action="auth.step_up", target_type="user", target_id=user.id,
                 after={"method": method, "minutes": int(STEP_UP_WINDOW.total_seconds() // 60)},
                 request_id=request_id())
    db.commit()
    return redirect(next_url, 303)


# --- retention --------------------------------------------------------------------------


@login_required(*OFFICERS)
def retention_page() -> ResponseReturnValue:
    return _retention(None)


def _retention(dry: retention.RetentionReport | None) -> ResponseReturnValue:
    conf = settings()
    db = session()
    now = datetime.now(UTC)
    return render_template(
        "pages/compliance/retention.html", dry=dry, last=retention.last_run(db),
        next_run=retention.next_daily_run(RETENTION_HOUR, RETENTION_MINUTE, now),
        retention_days=conf.retention_days, export_days=conf.export_retention_days,
        active_holds=holds.active_holds(db, now), dry_at=now)


@login_required(*OFFICERS)
def retention_dry_run() -> ResponseReturnValue:
    """Count what a retention run would erase now and what holds would keep (nothing changes,
    nothing is audited)."""
    conf = settings()
    report = retention.run_retention(session(), retention_days=conf.retention_days, actor=actor(),
                                     export_dir=conf.export_dir,
                                     export_lifetime_days=conf.export_retention_days, dry_run=True)
    return _retention(report)


# --- audit ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointState:
    """The newest line of the checkpoint file, and what checking it found."""

    path: Path
    checkpoint: checkpoints.Checkpoint | None
    problem: str | None
    verified: bool


def _public_key() -> checkpoints.Ed25519PublicKey | None:
    """The checkpoint signing key's public half, if the key is there (never created here)."""
    configured = settings().audit_signing_key_file
    path = Path(configured) if configured else checkpoints.DEV_SIGNING_KEY
    try:
        return checkpoints.load_or_create_signing_key(path, create=False).public_key()
    except (DomainError, ValueError, OSError):
        return None


def _last_checkpoint(check: bool) -> CheckpointState | None:
    path = Path(settings().audit_checkpoint_file)
    try:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except OSError:
        return None
    if not lines:
        return None
    key = _public_key()
    if key is None:
        return CheckpointState(path, None, "the signing key is not on this server; verify the file "
                               "with `audit verify --checkpoint` and the public key", False)
    [result] = checkpoints.parse_lines(lines[-1:], key)
    if check and result.ok:
        [result] = checkpoints.verify_against(session(), [result])
    return CheckpointState(path, result.checkpoint, result.problem, check and result.ok)


@login_required(*OFFICERS)
def audit_page() -> ResponseReturnValue:
    db = session()
    verify = request.args.get("verify") == "1"
    report = audit.verify_chain(db) if verify else None
    newest = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).first()
    count = int(db.scalar(select(func.count()).select_from(AuditEvent)) or 0)
    if verify and report is not None:
        g.audit_verified = report.ok
    return render_template("pages/compliance/audit.html", report=report, newest=newest, count=count,
                           checkpoint=_last_checkpoint(verify), verify=verify)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/compliance/step-up", "compliance_step_up", step_up, methods=["GET", "POST"])
    bp.add_url_rule("/compliance/retention", "compliance_retention", retention_page)
    bp.add_url_rule("/compliance/retention/dry-run", "compliance_retention_dry_run", retention_dry_run,
                    methods=["POST"])
    bp.add_url_rule("/compliance/audit", "compliance_audit", audit_page)
