"""Compliance commands: ``compliance …`` (exports), ``retention run``, ``senders erase``.

``compliance`` subcommands act as a compliance API key (``--key`` or
``MODERATION_COMPLIANCE_KEY``) under exactly the API's rules: site scoping,
the two-person rule and auditing. The others are operator commands, audited
with the operating-system user as the actor.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation import keys as key_service
from moderation.services import disclosure, exports, retention
from moderation.services.access import Actor, ComplianceError, actor_for_key
from moderation.services.scopes import Scope
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
