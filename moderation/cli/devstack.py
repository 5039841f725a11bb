"""``python -m moderation dev``: the whole stack on embedded defaults (``make run``).

Starts the embedded Redis (unless ``REDIS_URL`` is set), applies migrations,
creates a development site and key and two console accounts (an admin, with TOTP
set up, and a moderator of the development site; kept in var/dev-accounts.json),
then runs one Celery worker, Celery beat and gunicorn on 127.0.0.1, and stops all
of them on Ctrl-C.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import click
from sqlalchemy.orm import Session

from moderation import keys as key_service
from moderation.accounts import passwords
from moderation.domain.actors import Actor
from moderation.embedded_redis import free_port, start_redis
from moderation.services import api_keys
from moderation.services import sites as site_service
from moderation.services import users as user_service
from moderation.settings import load_settings
from moderation.store import User
from moderation.store.database import Database
from moderation.store.migrate import upgrade

DEV_SITE = "dev-site"
#: ``make run`` sets up the development site and key as this actor (audited like any change).
DEV_ACTOR = Actor.system("dev", "make run")
VAR = Path("var")


def _dev_key(db: Database) -> str:
    """Reuse the development site key kept in var/, or create one."""
    key_file = VAR / "dev-site-key"
    with db.session() as session:
        site = site_service.find_site(session, DEV_SITE)
        if site is None:
            site = site_service.create_site(session, DEV_SITE, actor=DEV_ACTOR)
        if key_file.exists():
            token = key_file.read_text().strip()
            if key_service.find_active_key(session, token) is not None:
                return token
        _key, token = api_keys.create_key(session, role="site", site=site, name="dev-site-key",
                                          actor=DEV_ACTOR)
    key_file.write_text(token + "\n")
    key_file.chmod(0o600)
    return token


DEV_ACCOUNTS = (("dev-admin", "Dev Admin", "admin"), ("dev-moderator", "Dev Moderator", "moderator"))


def _dev_accounts(db: Database, min_length: int) -> list[dict[str, str]]:
    """Reuse the development accounts kept in var/, or create (or repair) them.

    The admin gets a TOTP secret right away (its role requires one); the file keeps it so
    a developer can add it to an authenticator app once.
    """
    accounts_file = VAR / "dev-accounts.json"
    try:
        known = {a["username"]: a for a in json.loads(accounts_file.read_text())}
    except (OSError, ValueError, KeyError, TypeError):
        known = {}
    actor = DEV_ACTOR
    result: list[dict[str, str]] = []
    with db.session() as session:
        site = site_service.find_site(session, DEV_SITE)
        assert site is not None, "_dev_key creates the development site first"
        for username, name, role in DEV_ACCOUNTS:
            entry = dict(known.get(username) or {})
            user = user_service.find_user(session, username)
            password = entry.get("password") or passwords.generate_password()
            if user is None:
                user = user_service.create_user(
                    session, username=username, display_name=name, role=role, password=password,
                    site_ids=[] if role == "admin" else [site.id], min_length=min_length, actor=actor)
            elif not passwords.verify_password(user.password_hash, password) or not user.is_active:
                user_service.enable_user(session, user, actor=actor)
                password = passwords.generate_password()
                user_service.set_password(session, user, password, min_length=min_length, actor=actor)
            entry.update(username=username, password=password, role=role)
            if role == "admin":
                _dev_totp(session, user, entry, actor)
            result.append(entry)
    accounts_file.write_text(json.dumps(result, indent=2) + "\n")
    accounts_file.chmod(0o600)
    return result


def _dev_totp(session: Session, user: User, entry: dict[str, str], actor: Actor) -> None:
    import pyotp

    if user.totp_enabled and user.totp_secret == entry.get("totp_secret"):
        return
    secret = pyotp.random_base32()
    user_service.confirm_enrolment(session, user, secret, pyotp.TOTP(secret).now(), actor=actor)
    user.totp_last_step = None  # the code used to confirm it may sign in once more
    session.commit()
    entry["totp_secret"] = secret


def _accounts_text(port: int, accounts: list[dict[str, str]]) -> str:
    lines = [f"Console: http://127.0.0.1:{port}/console/ — development accounts "
             "(also in var/dev-accounts.json):"]
    for account in accounts:
        lines.append(f"  {account['role']:<10} username {account['username']:<14} "
                     f"password {account['password']}")
        if account.get("totp_secret"):
            lines.append(f"  {'':<10} TOTP secret {account['totp_secret']} (add it to an authenticator "
                         "app, or get the current code with:")
            lines.append(f"  {'':<10}   {sys.executable} -c \"import pyotp; "
                         f"print(pyotp.TOTP('{account['totp_secret']}').now())\")")
    return "\n".join(lines)


def _wait_ready(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise click.ClickException(f"the service did not become ready at {url}")


def _curl_example(port: int, token: str) -> str:
    body = {
        "article_id": "welcome-article",
        "title": "First!",
        "comment": "Thanks for this thoughtful piece on the city budget.",
        "author": {"name": "Asha Rao", "email": "asha@example.com"},
        "sender": {"ip": "203.0.113.7", "user_agent": "curl"},
    }
    return (
        f"curl -s -X POST http://127.0.0.1:{port}/v1/comments \\\n"
        f"  -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' \\\n"
        f"  -d '{json.dumps(body)}'\n"
        f"# then read the verdict (use the id from the answer):\n"
        f"curl -s -H 'Authorization: Bearer {token}' http://127.0.0.1:{port}/v1/comments/ID"
    )


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@click.command("dev")
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", "8000")),
              show_default="$PORT or 8000")
@click.option("--web-workers", type=int, default=2, show_default=True)
@click.option("--worker-concurrency", type=int, default=1, show_default=True)
def dev(port: int, web_workers: int, worker_concurrency: int) -> None:
    """Run web server, Celery worker, beat and (embedded) Redis in the foreground."""
    # Ctrl-C, SIGTERM and a closed terminal all stop the whole stack. SIGINT is set
    # explicitly because a shell that starts us in the background leaves it ignored.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)
    VAR.mkdir(exist_ok=True)
    env = dict(os.environ)
    # One metrics directory shared by every gunicorn and Celery process (see /metrics).
    metrics_dir = VAR / "prometheus"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir()
    env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir.resolve()))
    # Local receivers (a webhook endpoint on this machine) are fine in development.
    env.setdefault("MODERATION_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")
    processes: list[tuple[str, subprocess.Popen[bytes]]] = []

    def stop_all(*_args: object) -> None:
        for _name, process in reversed(processes):
            if process.poll() is None:
                process.terminate()
        for _name, process in reversed(processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()

    try:
        if "REDIS_URL" not in env:
            redis_port = free_port()
            processes.append(("redis", start_redis(redis_port, VAR / "redis")))
            env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
            click.echo(f"embedded Redis on 127.0.0.1:{redis_port}")
        os.environ.update(env)
        settings = load_settings()
        upgrade(settings.database_url)
        database = Database.from_settings(settings)
        token = _dev_key(database)
        accounts = _dev_accounts(database, settings.password_min_length)
        python = sys.executable
        processes.append(("worker", subprocess.Popen(
            [python, "-m", "celery", "-A", "workers.worker", "worker", "--pool", "prefork",
             "--concurrency", str(worker_concurrency), "--loglevel", "INFO"], env=env)))
        processes.append(("beat", subprocess.Popen(
            [python, "-m", "celery", "-A", "workers.worker", "beat", "--loglevel", "WARNING",
             "--schedule", str(VAR / "celerybeat-schedule")], env=env)))
        processes.append(("web", subprocess.Popen(
            [python, "-m", "gunicorn", "--workers", str(web_workers), "--bind",
             f"127.0.0.1:{port}", "--graceful-timeout", "20", "moderation.wsgi:app"], env=env)))
        _wait_ready(f"http://127.0.0.1:{port}/readyz")
        click.echo(f"\nThe moderation service is running on http://127.0.0.1:{port}")
        click.echo("Submit a comment with the development site key:\n")
        click.echo(_curl_example(port, token))
        click.echo("\n" + _accounts_text(port, accounts))
        click.echo("\nPress Ctrl-C to stop.")
        while all(process.poll() is None for _name, process in processes):
            time.sleep(0.5)
        dead = [name for name, process in processes if process.poll() is not None]
        raise click.ClickException(f"{', '.join(dead)} stopped unexpectedly")
    except KeyboardInterrupt:
        click.echo("\nstopping…")
    finally:
        stop_all()


COMMANDS: list[click.Command] = [dev]
