"""Compliance commands: ``compliance …`` (cases, exports, holds), ``retention run``,
``senders erase``.

``compliance`` subcommands act as a compliance API key (``--key`` or
``MODERATION_COMPLIANCE_KEY``) under exactly the API's rules: site scoping,
the two-person rule and auditing. The others are operator commands, audited
with the operating-system user as the actor.
"""

from __future__ import annotations

import getpass
import ipaddress
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation import keys as key_service
from moderation.services import disclosure, exports, holds, retention
from moderation.services.access import Actor, ComplianceError, actor_for_key
from moderation.services.scopes import Scope, build_scope
from moderation.services.sender_records import count_candidates, iso
from moderation.settings import Settings, load_settings
from moderation.store import Site
from moderation.store.database import Database

KEY_ENV = "MODERATION_COMPLIANCE_KEY"
key_option = click.option("--key", "token", envvar=KEY_ENV, required=True, show_envvar=True,
                          help="A compliance API key to act as.")


def _setup() -> tuple[Settings, Database]:
    settings = load_settings()
    return settings, Database.from_settings(settings)


def _operator() -> Actor:
    return Actor.system("cli", f"command line ({getpass.getuser()})")


def _compliance_actor(db: Database, token: str) -> Actor:
    with db.session() as session:
        key = key_service.find_active_key(session, token.strip())
        if key is None or key.role != "compliance":
            raise click.ClickException("the key is unknown, revoked or not a compliance key")
        return actor_for_key(key)


def _fail(error: ComplianceError) -> click.ClickException:
    return click.ClickException(error.message)


@click.group("compliance")
def compliance() -> None:
    """Lawful disclosure: export, approve, download and verify case exports."""


@compliance.command("export")
@click.option("--request", "case_id", type=int, required=True, help="The disclosure request id.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the file once it may be downloaded.")
@key_option
def export_command(case_id: int, fmt: str, output: Path, token: str) -> None:
    """Produce a case's export (stored server-side, with its SHA-256), showing progress.

    With the two-person rule on, OUTPUT is written by ``compliance download``
    once a second compliance key has approved the export.
    """
    settings, db = _setup()
    actor = _compliance_actor(db, token)
    options = exports.ExportOptions(export_dir=settings.export_dir,
                                    two_person_rule=settings.two_person_rule,
                                    key=settings.export_key_bytes())
    with db.session() as session:
        try:
            case = disclosure.visible_request(session, case_id, actor)
            total = count_candidates(session, Scope.from_json(case.scope, case.site_id))
            with click.progressbar(length=total, label=f"exporting request {case_id}",
                                   file=sys.stderr, show_pos=True) as bar:
                export = exports.create_export(session, case_id, fmt, actor, options,
                                               progress=bar.update)
        except ComplianceError as exc:
            raise _fail(exc) from None
        click.echo(f"export {export.id}: {export.record_count} records, sha256 {export.sha256}")
        for warning in exports.describe(session, export)["warnings"]:
            click.echo(f"warning: {warning}", err=True)
        if export.status != "ready":
            click.echo(f"awaiting approval by a second compliance key: "
                       f"python -m moderation compliance approve --export {export.id}, then "
                       f"python -m moderation compliance download --export {export.id} -o {output}")
            return
        _download(session, export.id, actor, settings, output)


def _download(session: Session, export_id: int, actor: Actor, settings: Settings, output: Path) -> None:
    try:
        key = settings.export_key_bytes()
        export, path = exports.open_download(session, export_id, actor, settings.export_dir, key=key)
    except ComplianceError as exc:
        raise _fail(exc) from None
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("wb") as handle:  # decrypted on the way out
        for chunk in exports.plaintext(export, path, key):
            handle.write(chunk)
    if exports.file_digest(output) != export.sha256:
        raise click.ClickException(f"{output} does not match the recorded SHA-256")
    click.echo(f"wrote {output} ({export.record_count} records, sha256 {export.sha256}, verified)")


@compliance.command("approve")
@click.option("--export", "export_id", type=int, required=True)
@key_option
def approve_command(export_id: int, token: str) -> None:
    """Approve an export (the two-person rule: not the key that created it)."""
    _settings, db = _setup()
    actor = _compliance_actor(db, token)
    with db.session() as session:
        try:
            export = exports.approve_export(session, export_id, actor)
        except ComplianceError as exc:
            raise _fail(exc) from None
        click.echo(f"export {export.id} is {export.status} (sha256 {export.sha256})")


@compliance.command("download")
@click.option("--export", "export_id", type=int, required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@key_option
def download_command(export_id: int, output: Path, token: str) -> None:
    """Copy an approved export to OUTPUT and check it against its SHA-256."""
    settings, db = _setup()
    actor = _compliance_actor(db, token)
    with db.session() as session:
        _download(session, export_id, actor, settings, output)


@compliance.command("verify")
@click.option("--export", "export_id", type=int, required=True)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@key_option
def verify_command(export_id: int, file: Path, token: str) -> None:
    """Check that FILE is exactly the recorded export (SHA-256); exit 1 if not."""
    _settings, db = _setup()
    actor = _compliance_actor(db, token)
    with db.session() as session:
        try:
            export = exports.visible_export(session, export_id, actor)
        except ComplianceError as exc:
            raise _fail(exc) from None
        actual = exports.file_digest(file)
        if actual != export.sha256:
            click.echo(f"MISMATCH: {file} has sha256 {actual}; export {export_id} recorded {export.sha256}")
            sys.exit(1)
        click.echo(f"OK: {file} matches export {export_id} (sha256 {actual}, "
                   f"{export.record_count} records, status {export.status})")


@compliance.command("due")
@key_option
def due_command(token: str) -> None:
    """List open cases that are overdue or due soon."""
    settings, db = _setup()
    actor = _compliance_actor(db, token)
    with db.session() as session:
        hours = settings.disclosure_due_soon_hours
        for case in disclosure.due_requests(session, actor, within_hours=hours):
            state = disclosure.due_state(case, within_hours=hours)
            click.echo(f"#{case.id}\t{state}\tdue {iso(case.due_at)}\t"
                       f"{case.authority}\t{case.legal_reference}")


def _exit_for(error: ComplianceError) -> None:
    """The service's refusal as one line on stderr, exit 2 for bad input, 1 otherwise."""
    details = "; ".join(d.get("message", "") for d in error.details if d.get("message"))
    click.echo(f"Error: {error.message}" + (f" ({details})" if details else ""), err=True)
    sys.exit(error.exit_code)


def _when(value: str | None, name: str) -> datetime | None:
    """An ISO 8601 time from the command line (UTC when it names no zone)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter("use ISO 8601, e.g. 2026-11-01T09:00Z", param_hint=name) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _scope_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The case/hold scope, as the API's: every option given must match."""
    options = [
        click.option("--site", "site", default=None, help="Site name or id (a site key: its own)."),
        click.option("--comment-ids", default=None, help="Comma-separated comment ids."),
        click.option("--article", "article_id", default=None, help="Article id."),
        click.option("--email", "sender_email", default=None, help="Sender email address."),
        click.option("--ip", "sender_ip", default=None, help="Sender IP address or CIDR block."),
        click.option("--since", default=None, help="Submitted at or after (ISO 8601)."),
        click.option("--until", default=None, help="Submitted at or before (ISO 8601)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _scope(session: Session, actor: Actor, site: str | None, comment_ids: str | None,
           article_id: str | None, sender_email: str | None, sender_ip: str | None,
           since: str | None, until: str | None) -> Scope:
    ids: list[int] | None = None
    if comment_ids is not None:
        try:
            ids = [int(part) for part in comment_ids.replace(" ", "").split(",") if part]
        except ValueError:
            raise click.BadParameter("comma-separated ids, e.g. 101,102",
                                     param_hint="--comment-ids") from None
        if not ids or any(i <= 0 for i in ids):
            raise click.BadParameter("comma-separated positive ids", param_hint="--comment-ids")
    if sender_ip is not None:
        try:
            ipaddress.ip_network(sender_ip.strip(), strict=False)
        except ValueError:
            raise click.BadParameter("an IP address or CIDR block", param_hint="--ip") from None
    site_ref: str | int | None = int(site) if site is not None and site.isdigit() else site
    scope = build_scope(session, actor, site=site_ref, comment_ids=ids, article_id=article_id,
                        sender_email=sender_email, sender_ip=sender_ip, since=_when(since, "--since"),
                        until=_when(until, "--until"))
    disclosure.require_narrow(scope)
    return scope


def _who(session: Session, actor_id: str | None) -> str:
    person = disclosure.person_record(session, actor_id)
    return f"{person['name']} ({person['id']})"


@compliance.command("open-case")
@click.option("--authority", required=True, help="Who sent the order.")
@click.option("--reference", "legal_reference", required=True, help="The order's reference.")
@click.option("--basis", "legal_basis", required=True, help="The legal basis it cites.")
@click.option("--received-at", default=None, help="When it arrived (ISO 8601; default now).")
@click.option("--due-at", default=None, help="Deadline (default: received + 72 h).")
@click.option("--notes", default="", help="Free-text notes.")
@_scope_options
@key_option
def open_case_command(authority: str, legal_reference: str, legal_basis: str, received_at: str | None,
                      due_at: str | None, notes: str, token: str, **scope: str | None) -> None:
    """Open a disclosure case for an order (audited; it holds its scope until closed)."""
    settings, db = _setup()
    actor = _compliance_actor(db, token)
    for name, value, limit in (("--authority", authority, 300), ("--reference", legal_reference, 300),
                               ("--basis", legal_basis, 1000)):
        if not value.strip() or len(value) > limit:
            raise click.BadParameter(f"1 to {limit} characters", param_hint=name)
    received = _when(received_at, "--received-at") or datetime.now(UTC)
    if received > datetime.now(UTC):
        raise click.BadParameter("can't be in the future", param_hint="--received-at")
    with db.session() as session:
        try:
            case = disclosure.create_request(
                session, disclosure.CaseInput(authority.strip(), legal_reference.strip(),
                                              legal_basis.strip(), received, _when(due_at, "--due-at"),
                                              notes),
                _scope(session, actor, **scope), actor,
                default_due_hours=settings.disclosure_default_due_hours)
        except ComplianceError as exc:
            _exit_for(exc)
            return
        preview = disclosure.preview_scope(session, Scope.from_json(case.scope, case.site_id))
        click.echo(f"case {case.id} opened by {_who(session, case.created_by)}: due {iso(case.due_at)}; "
                   f"{preview.comments} comment(s) from {preview.senders} sender(s) in scope")


@compliance.command("cases")
@click.option("--status", type=click.Choice(["open", "exported", "closed"]), default=None)
@key_option
def cases_command(status: str | None, token: str) -> None:
    """List cases with their deadline state and who opened them."""
    settings, db = _setup()
    actor = _compliance_actor(db, token)
    with db.session() as session:
        for case in disclosure.list_requests(session, actor, status=status):
            state = disclosure.due_state(case, within_hours=settings.disclosure_due_soon_hours)
            click.echo(f"#{case.id}\t{case.status}\t{state}\tdue {iso(case.due_at)}\t"
                       f"{case.legal_reference}\topened by {_who(session, case.created_by)}")


@compliance.group("hold")
def hold_group() -> None:
    """Legal holds: keep records from retention and erasure."""


@hold_group.command("create")
@click.option("--reference", required=True, help="The order or matter the hold is for.")
@click.option("--expires-at", default=None, help="When it lapses (ISO 8601; default: never).")
@click.option("--notes", default="")
@_scope_options
@key_option
def hold_create_command(reference: str, expires_at: str | None, notes: str, token: str,
                        **scope: str | None) -> None:
    """Place a legal hold on a scope (audited)."""
    _settings, db = _setup()
    actor = _compliance_actor(db, token)
    if not reference.strip() or len(reference) > 300:
        raise click.BadParameter("1 to 300 characters", param_hint="--reference")
    expires = _when(expires_at, "--expires-at")
    if expires is not None and expires <= datetime.now(UTC):
        raise click.BadParameter("a hold that has already expired would hold nothing",
                                 param_hint="--expires-at")
    with db.session() as session:
        try:
            hold = holds.create_hold(session, scope=_scope(session, actor, **scope),
                                     reference=reference.strip(), notes=notes, expires_at=expires,
                                     actor=actor)
        except ComplianceError as exc:
            _exit_for(exc)
            return
        preview = disclosure.preview_scope(session, Scope.from_json(hold.scope, hold.site_id))
        click.echo(f"hold {hold.id} placed by {_who(session, hold.created_by)}: "
                   f"{preview.comments} comment(s) from {preview.senders} sender(s), "
                   f"expires {iso(hold.expires_at) or 'never'}")


@hold_group.command("release")
@click.option("--hold", "hold_id", type=int, required=True)
@key_option
def hold_release_command(hold_id: int, token: str) -> None:
    """Release a legal hold (audited)."""
    _settings, db = _setup()
    actor = _compliance_actor(db, token)
    with db.session() as session:
        try:
            hold = holds.release_hold(session, hold_id, actor)
        except ComplianceError as exc:
            _exit_for(exc)
            return
        click.echo(f"hold {hold.id} released at {iso(hold.released_at)}")


@hold_group.command("list")
@click.option("--all", "include_inactive", is_flag=True, help="Also released and expired holds.")
@key_option
def hold_list_command(include_inactive: bool, token: str) -> None:
    """List holds: what each covers, until when, who placed it."""
    _settings, db = _setup()
    actor = _compliance_actor(db, token)
    now = datetime.now(UTC)
    with db.session() as session:
        for hold in holds.list_holds(session, actor, include_inactive=include_inactive, now=now):
            state = "active" if holds.is_active(hold, now) else (
                "released" if hold.released_at else "expired")
            click.echo(f"#{hold.id}\t{state}\t{hold.reference}\tscope {hold.scope}\t"
                       f"expires {iso(hold.expires_at) or 'never'}\tby {_who(session, hold.created_by)}")


@click.group("retention")
def retention_group() -> None:
    """Retention of sender personal data."""


@retention_group.command("run")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Override MODERATION_RETENTION_DAYS for this run.")
@click.option("--dry-run", is_flag=True, help="Count what would be erased; change nothing.")
def retention_run(days: int | None, dry_run: bool) -> None:
    """Anonymise sender details older than the retention period, skipping held records,
    and delete export files past their lifetime or holding erased senders."""
    settings, db = _setup()
    with db.session() as session:
        report = retention.run_retention(session, retention_days=days or settings.retention_days,
                                         actor=_operator(), export_dir=settings.export_dir,
                                         export_lifetime_days=settings.export_retention_days,
                                         dry_run=dry_run)
    verb = "would erase" if dry_run else "erased"
    click.echo(f"retention: {verb} {report.erased}, kept {report.skipped_held} under hold "
               f"(cutoff {iso(report.cutoff)}, {report.holds} active holds)"
               + ("" if dry_run else f"; deleted {report.exports_deleted} export file(s), "
                                     f"kept {report.exports_kept_held} under hold"))


@click.group("senders")
def senders() -> None:
    """Reader requests about their own personal data."""


def _kept_lines(result: retention.ErasureResult) -> list[str]:
    return [f"  kept under {label}: comment{'s' if len(ids) > 1 else ''} {', '.join(map(str, ids))}"
            for label, ids in result.kept.items()]


@senders.command("erase")
@click.option("--email", required=True, help="The reader's email address.")
@click.option("--site", "site_name", default=None, help="Only this site's records.")
def senders_erase(email: str, site_name: str | None) -> None:
    """Erase a reader's personal data, except records under a legal hold (audited).

    Exit 0: every record found was erased. Exit 1: nothing was erased (no record of
    that address, or every record is held). Exit 3: some were erased, the held ones
    kept (named with their holds). Exit 2: not an email address.
    """
    settings, db = _setup()
    try:
        retention.valid_email(email)
    except ComplianceError as exc:
        raise click.BadParameter(exc.details[0]["message"], param_hint="--email") from None
    with db.session() as session:
        site_id = None
        if site_name is not None:
            site_id = session.scalars(select(Site.id).where(Site.name == site_name)).one_or_none()
            if site_id is None:
                raise click.ClickException(f"no site named {site_name!r}")
        result = retention.erase_sender(session, email=email, pseudonym_key=settings.pseudonym_key,
                                        actor=_operator(), site_id=site_id,
                                        export_dir=settings.export_dir,
                                        export_lifetime_days=settings.export_retention_days)
    where = f" on site {site_name!r}" if site_name else ""
    if result.outcome == "not_found":
        click.echo(f"NOT FOUND: no stored record of that email address{where} (sender {result.sender}); "
                   "nothing was erased.", err=True)
        sys.exit(1)
    if result.outcome == "refused":
        click.echo(f"REFUSED: all {result.found} record(s) of sender {result.sender} are under legal hold; "
                   "nothing was erased (recorded in the audit log):", err=True)
        click.echo("\n".join(_kept_lines(result)), err=True)
        sys.exit(1)
    click.echo(f"erased the personal data of {result.erased} record(s) of sender {result.sender}")
    if result.outcome == "partial":
        click.echo(f"KEPT {result.kept_count} record(s) under legal hold (erase them once released):",
                   err=True)
        click.echo("\n".join(_kept_lines(result)), err=True)
        sys.exit(3)


COMMANDS: list[click.Command] = [compliance, retention_group, senders]
