"""``users create|list|disable|enable|reset-password|reset-totp``: personal console accounts.

Passwords never go on the command line: ``--password-stdin`` reads one from standard
input, otherwise a random one is generated and printed once. Changes are audited with
the operator (``system:cli``) as the actor.
"""

from __future__ import annotations

import getpass
import sys

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.accounts import passwords
from moderation.domain.actors import Actor
from moderation.domain.errors import DomainError
from moderation.services import users as user_service
from moderation.settings import Settings, load_settings
from moderation.store import Site, User
from moderation.store.database import Database
from moderation.store.users import USER_ROLES


def _setup() -> tuple[Settings, Database]:
    settings = load_settings()
    return settings, Database(settings.database_url)


def _operator() -> Actor:
    return Actor.system("cli", f"command line ({getpass.getuser()})")


def _Failed(error: DomainError) -> click.ClickException:  # noqa: N802 (reads like the class it returns)
    """The CLI's answer to a service's refusal: bad input exits 2, anything else 1."""
    problems = "; ".join(f"{d['field']}: {d['message']}" for d in error.details)
    message = f"{error.message} {problems}".strip()
    return click.UsageError(message) if error.exit_code == 2 else click.ClickException(message)


def _password(from_stdin: bool, generate: bool = True) -> tuple[str, bool]:
    """(password, generated)."""
    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            raise click.UsageError("--password-stdin: no password on standard input")
        return value, False
    if not generate:
        raise click.UsageError("give --password-stdin")
    return passwords.generate_password(), True


def _sites(session: Session, names: tuple[str, ...]) -> list[int]:
    ids = []
    for name in names:
        site = session.scalars(select(Site).where(Site.name == name)).one_or_none()
        if site is None and name.isdigit():
            site = session.get(Site, int(name))
        if site is None:
            raise click.UsageError(f"no site named {name!r}")
        ids.append(site.id)
    return ids


def _user(session: Session, username: str) -> User:
    user = user_service.find_user(session, username)
    if user is None:
        raise click.ClickException(f"no user named {username!r}")
    return user


@click.group("users")
def users() -> None:
    """Manage personal console accounts."""


@users.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="The name shown on decisions and history.")
@click.option("--role", type=click.Choice(USER_ROLES), required=True)
@click.option("--site", "site_names", multiple=True, help="A site the user may act on (repeatable).")
@click.option("--all-sites", is_flag=True, help="The user may act on every site (admins always do).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input "
              "(default: generate one and print it once).")
def create(username: str, display_name: str, role: str, site_names: tuple[str, ...], all_sites: bool,
           password_stdin: bool) -> None:
    """Create the account USERNAME."""
    settings, db = _setup()
    password, generated = _password(password_stdin)
    with db.session() as session:
        try:
            user = user_service.create_user(
                session, username=username, display_name=display_name, role=role, password=password,
                all_sites=all_sites, site_ids=_sites(session, site_names),
                min_length=settings.password_min_length, actor=_operator())
        except DomainError as error:
            raise _Failed(error) from None
        click.echo(f"created {user.role} {user.username} ({user.display_name})")
        if role in settings.totp_roles:
            click.echo("they set up two-step sign-in (TOTP) at their first sign-in")
    if generated:
        click.echo("password (shown once; give it to them through a safe channel):")
        click.echo(password)


@users.command("list")
@click.option("--active", is_flag=True, help="Leave out disabled accounts.")
def list_users(active: bool) -> None:
    """List accounts: id, username, name, role, sites, two-step sign-in, state."""
    _settings, db = _setup()
    with db.session() as session:
        names = {site.id: site.name for site in session.scalars(select(Site))}
        for user in user_service.list_users(session, include_disabled=not active):
            site_ids = user_service.user_site_ids(session, user)
            scope = "*" if site_ids is None else ",".join(names.get(s, str(s)) for s in site_ids)
            state = f"disabled {user.disabled_at:%Y-%m-%d}" if user.disabled_at else "active"
            click.echo(f"{user.id}\t{user.username}\t{user.display_name}\t{user.role}\t{scope}\t"
                       f"totp {'on' if user.totp_enabled else 'off'}\t{state}")


@users.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Disable USERNAME and end every console session of theirs."""
    _settings, db = _setup()
    with db.session() as session:
        user_service.disable_user(session, _user(session, username), actor=_operator())
    click.echo(f"disabled {username}")


@users.command("enable")
@click.argument("username")
def enable(username: str) -> None:
    """Enable a disabled account again."""
    _settings, db = _setup()
    with db.session() as session:
        user_service.enable_user(session, _user(session, username), actor=_operator())
    click.echo(f"enabled {username}")


@users.command("reset-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input "
              "(default: generate one and print it once).")
@click.option("--reset-totp", is_flag=True, help="Also remove their second factor and recovery codes.")
def reset_password(username: str, password_stdin: bool, reset_totp: bool) -> None:
    """Set a new password for USERNAME; their sessions end and a sign-in lockout is lifted."""
    settings, db = _setup()
    password, generated = _password(password_stdin)
    with db.session() as session:
        user = _user(session, username)
        try:
            user_service.set_password(session, user, password, min_length=settings.password_min_length,
                                      actor=_operator(), reset_totp=reset_totp)
        except DomainError as error:
            raise _Failed(error) from None
    _unlock(settings, user.username)
    click.echo(f"new password set for {user.username}" + (" (two-step sign-in reset)" if reset_totp else ""))
    if generated:
        click.echo("password (shown once):")
        click.echo(password)


@users.command("reset-totp")
@click.argument("username")
def reset_totp(username: str) -> None:
    """Remove USERNAME's second factor; they set it up again at their next sign-in."""
    _settings, db = _setup()
    with db.session() as session:
        user_service.reset_totp(session, _user(session, username), actor=_operator())
    click.echo(f"two-step sign-in reset for {username}")


def _unlock(settings: Settings, username: str) -> None:
    import redis

    from moderation.services.sign_in_throttle import Limits, SignInThrottle

    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=0.5, socket_timeout=0.5)
    limits = Limits(settings.console_max_failures_account, settings.console_max_failures_ip,
                    settings.console_failure_window_seconds, settings.console_lockout_seconds)
    SignInThrottle(client, limits, settings.database_url).unlock(username)


COMMANDS: list[click.Command] = [users]
