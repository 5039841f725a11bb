"""Database, site and key commands: ``init-db``, ``sites create``, ``sites policy show|set``,
``keys create|list|revoke``. Every change goes through a service and is audited with the
actor ``system:cli``."""

from __future__ import annotations

import json
import sys
from typing import TextIO

import click
from sqlalchemy.orm import Session

from moderation import keys as key_service
from moderation.domain.actors import CLI
from moderation.services import api_keys, policies
from moderation.services import sites as site_service
from moderation.settings import load_settings
from moderation.store import Site
from moderation.store.database import Database
from moderation.store.migrate import upgrade


def _database() -> Database:
    return Database.from_settings(load_settings())


@click.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    url = load_settings().database_url
    upgrade(url)
    click.echo(f"database is at the latest schema ({url.split('@')[-1]})")


@click.group("sites")
def sites() -> None:
    """Manage sites (tenants)."""


@sites.command("create")
@click.argument("name")
def create_site(name: str) -> None:
    """Create a site called NAME."""
    name = name.strip()
    if not name or len(name) > 100:
        raise click.BadParameter("a site name is 1-100 characters", param_hint="NAME")
    with _database().session() as session:
        try:
            site_service.create_site(session, name, actor=CLI)
        except site_service.SiteExists as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"created site {name}")


@click.group("keys")
def keys() -> None:
    """Manage API keys."""


@keys.command("create")
@click.option("--role", type=click.Choice(key_service.ROLES), required=True)
@click.option("--site", "site_name", help="Scope the key to this site (required for role site).")
@click.option("--name", help="A label for the key (default: derived from role and site).")
def create_key(role: str, site_name: str | None, name: str | None) -> None:
    """Create an API key; the key itself is printed alone on the last line."""
    db = _database()
    with db.session() as session:
        site = None
        if site_name is not None:
            site = site_service.find_site(session, site_name)
            if site is None:
                raise click.ClickException(f"no site named {site_name!r}; create it first")
        try:
            key, token = api_keys.create_key(session, role=role, site=site, name=name, actor=CLI)
        except key_service.KeyRequestError as exc:
            raise click.UsageError(str(exc)) from None
        click.echo(f"created {role} key {key.name!r} (shown once; store it now):", err=False)
    click.echo(token)


@keys.command("list")
@click.option("--site", "site_name", help="Only keys scoped to this site.")
def list_keys(site_name: str | None) -> None:
    """List keys: id, name, role, site, token prefix, created, last used, revoked."""
    with _database().session() as session:
        site_id = _site(session, site_name).id if site_name else None
        names = {site.id: site.name for site in site_service.list_sites(session)}
        for key in api_keys.list_keys(session, site_id=site_id):
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
            click.echo(f"{key.id}\t{key.name}\t{key.role}\t{names.get(key.site_id or 0, '*')}\t"
                       f"{key.token_prefix}…\tcreated {key.created_at:%Y-%m-%d}\tused {used}\t{state}")


@keys.command("revoke")
@click.argument("key_id", type=int)
def revoke_key(key_id: int) -> None:
    """Revoke the key with id KEY_ID (see ``keys list``)."""
    with _database().session() as session:
        key = api_keys.find_key(session, key_id)
        if key is None:
            raise click.ClickException(f"no key with id {key_id}")
        api_keys.revoke_key(session, key, actor=CLI)
    click.echo(f"revoked key {key_id}")


def _site(session: Session, name: str) -> Site:
    site = site_service.find_site(session, name)
    if site is None:
        raise click.ClickException(f"no site named {name!r}")
    return site


@sites.group("policy")
def policy() -> None:
    """Show or replace a site's moderation policy (JSON)."""


@policy.command("show")
@click.argument("name")
def show_policy(name: str) -> None:
    """Print the site's effective policy and version as JSON."""
    with _database().session() as session:
        site = _site(session, name)
        click.echo(json.dumps({"site": site.name, "policy_version": site.policy_version,
                               "policy": policies.effective_policy(site),
                               "overrides": site.policy or {}}, indent=2, ensure_ascii=False))


@policy.command("set")
@click.argument("name")
@click.argument("source", type=click.File("r"), default="-")
def set_policy(name: str, source: TextIO) -> None:
    """Replace the site's policy with the JSON document in SOURCE (default: stdin)."""
    try:
        data = json.load(source)
    except ValueError as exc:
        raise click.ClickException(f"the policy is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise click.ClickException("the policy must be a JSON object")
    with _database().session() as session:
        site = _site(session, name)
        try:
            site = policies.set_policy(session, site, data, actor=CLI, request_id=None)
        except policies.ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise click.ClickException(f"invalid policy: {problems}") from None
        click.echo(f"site {site.name} is at policy version {site.policy_version}", file=sys.stdout)


COMMANDS: list[click.Command] = [init_db, sites, keys]
