"""``audit verify``, ``audit checkpoint`` and ``audit public-key``: the tamper-evident log.

``verify`` walks the keyed chain and prints its head (event count and hash); with
``--checkpoint FILE`` it also proves that no event up to each signed checkpoint was
removed or changed. ``checkpoint`` appends a signed checkpoint of the current head
(the beat schedule does this every ``MODERATION_AUDIT_CHECKPOINT_INTERVAL_SECONDS``).
``public-key`` prints the key that verifies checkpoints, to keep with them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from moderation import audit
from moderation.domain.errors import DomainError
from moderation.services import audit_checkpoints as checkpoints
from moderation.settings import Settings, load_settings
from moderation.store.database import Database

#: Where development keeps its checkpoint signing key when none is configured.
DEV_SIGNING_KEY = Path("var/audit-signing-key.pem")


def signing_key_path(settings: Settings) -> Path:
    return Path(settings.audit_signing_key_file) if settings.audit_signing_key_file else DEV_SIGNING_KEY


def _signing_key(settings: Settings) -> checkpoints.Ed25519PrivateKey:
    path = signing_key_path(settings)
    try:
        return checkpoints.load_or_create_signing_key(
            path, create=not settings.audit_signing_key_file)
    except DomainError as exc:
        raise click.ClickException(exc.details[0]["message"] if exc.details else exc.message) from None


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command("verify")
@click.option("--checkpoint", "checkpoint_file", type=click.Path(dir_okay=False, exists=True,
              path_type=Path), help="Also check every signed checkpoint in this file.")
@click.option("--public-key", "public_key_file", type=click.Path(dir_okay=False, exists=True,
              path_type=Path), help="PEM public key for the checkpoints (default: the configured "
              "signing key's).")
def audit_verify(checkpoint_file: Path | None, public_key_file: Path | None) -> None:
    """Check the whole keyed chain; exit 1 and name the first broken link if it is broken."""
    settings = load_settings()
    db = Database.from_settings(settings)
    with db.session() as session:
        report = audit.verify_chain(session)
        results: list[checkpoints.CheckpointResult] = []
        if checkpoint_file is not None:
            public_key = (checkpoints.load_public_key(public_key_file) if public_key_file
                          else _signing_key(settings).public_key())
            lines = checkpoint_file.read_text(encoding="utf-8").splitlines()
            results = checkpoints.verify_against(session, checkpoints.parse_lines(lines, public_key))
    failed = False
    if report.ok:
        click.echo(f"audit chain OK: {report.checked} events verified")
    else:
        failed = True
        click.echo(f"audit chain BROKEN at event {report.first_broken_id}: {report.problem} "
                   f"({report.checked} events verified before it)", err=True)
    click.echo(f"head: event {report.head_id or 0}, {report.checked} events, hash {report.head_hash or '-'}")
    for result in results:
        cp = result.checkpoint
        where = f"checkpoint line {result.line}" + (f" (event {cp.event_id}, {cp.created_at})" if cp else "")
        if result.ok:
            click.echo(f"{where}: OK")
        else:
            failed = True
            click.echo(f"{where}: FAILED: {result.problem}", err=True)
    if checkpoint_file is not None and not results:
        click.echo("the checkpoint file holds no checkpoints", err=True)
        failed = True
    if failed:
        sys.exit(1)


@audit_group.command("checkpoint")
@click.option("--to", "destination", type=click.Path(dir_okay=False, path_type=Path),
              help="Append to this file (default: MODERATION_AUDIT_CHECKPOINT_FILE).")
def audit_checkpoint(destination: Path | None) -> None:
    """Verify the chain, then append a signed checkpoint of its head."""
    settings = load_settings()
    key = _signing_key(settings)
    target = destination or Path(settings.audit_checkpoint_file)
    with Database.from_settings(settings).session() as session:
        try:
            written = checkpoints.write_checkpoint(session, key, target)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
    if written is None:
        click.echo("the audit log is empty; no checkpoint written")
        return
    click.echo(f"checkpoint: event {written.event_id}, {written.count} events, hash {written.hash} "
               f"→ {target}")


@audit_group.command("public-key")
def audit_public_key() -> None:
    """Print the PEM public key that verifies checkpoints (keep it with them, elsewhere)."""
    click.echo(checkpoints.public_key_pem(_signing_key(load_settings())), nl=False)


COMMANDS: list[click.Command] = [audit_group]
