"""Database, site and key commands: ``init-db``, ``sites create``, ``keys create``."""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from moderation import keys as key_service
from moderation.settings import load_settings
from moderation.store import Site
from moderation.store.database import Database
from moderation.store.migrate import upgrade


def _database() -> Database:
    return Database(load_settings().database_url)


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
    db = _database()
    with db.session() as session:
        session.add(Site(name=name, policy={}))
        try:
            session.commit()
        except IntegrityError:
            raise click.ClickException(f"a site named {name!r} already exists") from None
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
            site = session.scalars(select(Site).where(Site.name == site_name)).one_or_none()
            if site is None:
                raise click.ClickException(f"no site named {site_name!r}; create it first")
        try:
            key, token = key_service.create_key(session, role=role, site=site, name=name)
        except key_service.KeyRequestError as exc:
            raise click.UsageError(str(exc)) from None
        session.commit()
        click.echo(f"created {role} key {key.name!r} (shown once; store it now):", err=False)
    click.echo(token)


COMMANDS: list[click.Command] = [init_db, sites, keys]
