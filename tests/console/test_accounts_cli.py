"""``python -m moderation users ...`` and the development accounts ``make run`` prints."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from moderation.cli import build_cli, devstack
from moderation.store import AuditEvent
from moderation.store.database import Database
from tests.support.console import sign_in
from tests.support.factories import make_site

Invoke = Callable[..., Result]


@pytest.fixture
def invoke(database_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("REDIS_URL", redis_url)

    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(build_cli(), list(args), input=input, catch_exceptions=False)

    return run


def test_create_list_disable_and_reset_password(app: Flask, invoke: Invoke) -> None:
    make_site(app, "news-one")
    created = invoke("users", "create", "asha", "--name", "Asha Rao", "--role", "moderator",
                     "--site", "news-one")
    assert created.exit_code == 0, created.output
    password = created.output.strip().splitlines()[-1]
    assert sign_in(app.test_client(), "asha", password).status_code == 302

    piped = invoke("users", "create", "ravi", "--name", "Ravi", "--role", "admin", "--password-stdin",
                   input="a chosen admin passphrase\n")
    assert piped.exit_code == 0 and "a chosen admin passphrase" not in piped.output
    assert "two-step sign-in" in piped.output

    listing = invoke("users", "list").output
    assert "asha\tAsha Rao\tmoderator\tnews-one\ttotp off\tactive" in listing
    assert "ravi\tRavi\tadmin\t*" in listing

    assert invoke("users", "disable", "asha").exit_code == 0
    assert "disabled" in invoke("users", "list").output.splitlines()[0]
    assert sign_in(app.test_client(), "asha", password).status_code == 401
    assert "asha" not in invoke("users", "list", "--active").output

    invoke("users", "enable", "asha")
    reset = invoke("users", "reset-password", "asha")
    assert reset.exit_code == 0
    new_password = reset.output.strip().splitlines()[-1]
    assert new_password != password
    assert sign_in(app.test_client(), "asha", new_password).status_code == 302
    with app.extensions["db"].session() as session:
        actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        actors = {e.actor for e in session.scalars(select(AuditEvent).where(
            AuditEvent.action.like("user.%")))}
    assert actions.count("user.create") == 2 and "user.password_reset" in actions
    assert actors == {"system:cli"}


def test_bad_input_is_a_message_and_a_nonzero_exit(app: Flask, invoke: Invoke) -> None:
    weak = invoke("users", "create", "asha", "--name", "A", "--role", "moderator", "--all-sites",
                  "--password-stdin", input="password1234\n")
    assert weak.exit_code == 2 and "too common" in weak.output
    unknown = invoke("users", "create", "asha", "--name", "A", "--role", "moderator", "--site", "nope")
    assert unknown.exit_code == 2 and "no site named 'nope'" in unknown.output
    no_scope = invoke("users", "create", "asha", "--name", "A", "--role", "moderator")
    assert no_scope.exit_code == 2 and "at least one site" in no_scope.output
    ok = invoke("users", "create", "asha", "--name", "A", "--role", "moderator", "--all-sites")
    assert ok.exit_code == 0
    again = invoke("users", "create", "ASHA", "--name", "A", "--role", "moderator", "--all-sites")
    assert again.exit_code == 1 and "already exists" in again.output
    missing = invoke("users", "disable", "nobody")
    assert missing.exit_code == 1 and "no user named 'nobody'" in missing.output


def test_dev_accounts_are_created_once_and_sign_in(app: Flask, client: FlaskClient, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devstack, "VAR", tmp_path)
    db = Database(app.extensions["settings"].database_url)
    devstack._dev_key(db)
    first = devstack._dev_accounts(db, 12)
    again = devstack._dev_accounts(db, 12)
    db.dispose()
    assert first == again  # kept in var/dev-accounts.json and reused
    assert json.loads((tmp_path / "dev-accounts.json").read_text()) == first
    assert (tmp_path / "dev-accounts.json").stat().st_mode & 0o077 == 0
    admin, moderator = first
    assert (admin["username"], admin["role"], moderator["role"]) == ("dev-admin", "admin", "moderator")
    text = devstack._accounts_text(8000, first)
    assert admin["password"] in text and moderator["password"] in text and admin["totp_secret"] in text
    assert sign_in(client, "dev-admin", admin["password"], totp_secret=admin["totp_secret"]
                   ).status_code == 302
    assert client.get("/console/admin/users").status_code == 200
    other = app.test_client()
    assert sign_in(other, "dev-moderator", moderator["password"]).status_code == 302
