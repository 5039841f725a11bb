"""``coral-secret add|list|revoke``: the signing secrets of a site's Coral external moderation phase.

Coral makes the secret (``empsec_…``) when the phase is created or rotated; paste it on
standard input to ``add`` (never on the command line, where the shell history and
``ps`` would keep it). ``--expires-in`` matches Coral's rotation window: the old secret
keeps verifying that long. Changes are audited with the operator (``system:cli``).
"""

from __future__ import annotations

import getpass
import sys
from datetime import timedelta

import click
from sqlalchemy.orm import Session

from moderation.domain.actors import Actor
from moderation.domain.errors import DomainError
from moderation.services import coral_secrets
from moderation.services import sites as site_service
from moderation.settings import load_settings
from moderation.store import Site
from moderation.store.base import utcnow
from moderation.store.database import Database


def _operator() -> Actor:
    return Actor.system("cli", f"command line ({getpass.getuser()})")


def _site(session: Session, name: str) -> Site:
    site = site_service.find_site(session, name)
    if site is None and name.isdigit():
        site = session.get(Site, int(name))
    if site is None:
        raise click.ClickException(f"no site {name!r}")
    return site


def _failed(error: DomainError) -> click.ClickException:
    problems = "; ".join(f"{d['field']}: {d['message']}" for d in error.details)
    message = f"{error.message} {problems}".strip()
    return click.UsageError(message) if error.exit_code == 2 else click.ClickException(message)


@click.group("coral-secret")
def coral_secret() -> None:
    """Coral Talk signing secrets (X-Coral-Signature) of a site."""


@coral_secret.command("add")
@click.argument("site")
@click.option("--name", default=None, help="A label to tell secrets apart.")
@click.option("--expires-in", "expires_in", type=click.IntRange(min=1), default=None,
              help="Stop accepting it after this many seconds (Coral's rotation window).")
def add(site: str, name: str | None, expires_in: int | None) -> None:
    """Register Coral's signing secret for SITE, read from standard input."""
    if sys.stdin.isatty():
        secret = click.prompt("Coral signing secret (empsec_…)", hide_input=True)
    else:
        secret = sys.stdin.readline().strip()
    if not secret:
        raise click.UsageError("no secret on standard input")
    settings = load_settings()
    expires_at = utcnow() + timedelta(seconds=expires_in) if expires_in else None
    with Database.from_settings(settings).session() as session:
        found = _site(session, site)
        try:
            row = coral_secrets.add_secret(session, site=found, secret=secret,
                                           key=settings.integration_key_bytes(), actor=_operator(),
                                           name=name, expires_at=expires_at)
        except DomainError as exc:
            raise _failed(exc) from None
        click.echo(f"registered secret {row.id} ({row.prefix}…) for site {found.name}; "
                   f"Coral's phase endpoint: http://HOST/v1/integrations/coral/{found.id}")


@coral_secret.command("list")
@click.argument("site")
@click.option("--all", "include_revoked", is_flag=True, help="Include revoked secrets.")
def list_secrets(site: str, include_revoked: bool) -> None:
    """The secrets of SITE (prefixes only: a secret is never shown again)."""
    with Database.from_settings(load_settings()).session() as session:
        found = _site(session, site)
        rows = coral_secrets.list_secrets(session, found, include_revoked=include_revoked)
        for row in rows:
            record = coral_secrets.secret_record(row)
            state = "active" if record["active"] else ("revoked" if row.revoked_at else "expired")
            expires = f" expires {record['expires_at']}" if record["expires_at"] else ""
            click.echo(f"{row.id}\t{row.prefix}…\t{state}\t{row.name or ''}\t"
                       f"added {record['created_at']} by {row.created_by}{expires}")
        if not rows:
            click.echo(f"site {found.name} has no Coral signing secret")


@coral_secret.command("revoke")
@click.argument("site")
@click.argument("secret_id", type=int)
def revoke(site: str, secret_id: int) -> None:
    """Stop accepting secret SECRET_ID of SITE."""
    with Database.from_settings(load_settings()).session() as session:
        found = _site(session, site)
        try:
            row = coral_secrets.revoke_secret(session, site=found, secret_id=secret_id,
                                              actor=_operator())
        except DomainError as exc:
            raise _failed(exc) from None
        click.echo(f"revoked secret {row.id} ({row.prefix}…) of site {found.name}")


COMMANDS: list[click.Command] = [coral_secret]
