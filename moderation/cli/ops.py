"""Database, site and key commands: ``init-db``, ``sites create``, ``sites policy show|set``,
``keys create|list|revoke``. Every change goes through a service and is audited with the
actor ``system:cli``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TextIO, TypeVar

import click
from sqlalchemy.orm import Session

from moderation import keys as key_service
from moderation.domain.actors import CLI
from moderation.domain.errors import DomainError
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
    """Show, replace or change part of a site's moderation policy (JSON)."""


@policy.command("show")
@click.argument("name")
def show_policy(name: str) -> None:
    """Print the site's effective policy (the thresholds the workers apply), its overrides
    and version as JSON."""
    with _database().session() as session:
        site = _site(session, name)
        record = _or_fail(lambda: policies.policy_record(site, load_settings()))
        click.echo(json.dumps({"site": site.name, **record}, indent=2, ensure_ascii=False))


def _document(source: TextIO) -> dict[str, Any]:
    try:
        data = json.load(source)
    except ValueError as exc:
        raise click.ClickException(f"the policy is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise click.ClickException("the policy must be a JSON object")
    return data


T = TypeVar("T")


def _or_fail(action: Callable[[], T]) -> T:
    """Run a policy service call; its domain errors become a message and a non-zero exit."""
    try:
        return action()
    except DomainError as exc:
        problems = "; ".join(f"{d['field']}: {d['message']}" for d in exc.details)
        message = f"invalid policy: {problems}" if problems else exc.message
        raise (_BadInput if exc.exit_code == 2 else click.ClickException)(message) from None


class _BadInput(click.ClickException):
    exit_code = 2


_IF_VERSION = click.option("--if-version", type=click.IntRange(min=1), default=None,
                           help="Refuse the change unless the policy is still at this version.")


def _change(name: str, source: TextIO, if_version: int | None, patch: bool) -> None:
    data = _document(source)
    settings = load_settings()
    with _database().session() as session:
        site = _site(session, name)
        change = policies.patch_policy if patch else policies.set_policy
        site = _or_fail(lambda: change(
            session, site, data, actor=CLI, request_id=None,
            thresholds=policies.model_thresholds(settings).thresholds,
            if_match=None if if_version is None else {if_version}))
        click.echo(f"site {site.name} is at policy version {site.policy_version}", file=sys.stdout)


@policy.command("set")
@click.argument("name")
@click.argument("source", type=click.File("r"), default="-")
@_IF_VERSION
def set_policy(name: str, source: TextIO, if_version: int | None) -> None:
    """Replace the site's policy overrides with the JSON document in SOURCE (default: stdin)."""
    _change(name, source, if_version, patch=False)


@policy.command("patch")
@click.argument("name")
@click.argument("source", type=click.File("r"), default="-")
@_IF_VERSION
def patch_policy(name: str, source: TextIO, if_version: int | None) -> None:
    """Change part of the site's policy overrides: SOURCE (default: stdin) is a JSON merge
    patch (RFC 7396): members left out keep their values, null removes an override."""
    _change(name, source, if_version, patch=True)


COMMANDS: list[click.Command] = [init_db, sites, keys]
