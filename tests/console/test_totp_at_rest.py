"""TOTP secrets are encrypted at rest with a key from the settings (never the database);
people_0001 encrypts the secrets stored before it and sign-in keeps working; recovery
codes are stored hashed; production refuses to start without the key."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from moderation import create_app
from moderation.accounts import passwords
from moderation.settings import ConfigurationError, load_settings
from moderation.store import encrypted
from moderation.store.migrate import alembic_config
from tests.console.conftest import PASSWORD, Person, create_person, sign_in
from tests.support.postgres import PostgresServer, admin_execute

_counter = itertools.count()


def _raw(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def test_secrets_and_recovery_codes_are_not_stored_in_the_clear(app: Flask, client: FlaskClient) -> None:
    person = create_person(app, "root-admin", role="admin")
    sign_in(client, person)  # the admin role enrols on the first sign-in
    assert person.totp_secret
    url = app.extensions["settings"].database_url
    [(stored,)] = _raw(url, f"SELECT totp_secret FROM users WHERE id = {person.id}")
    assert isinstance(stored, str) and stored.startswith("enc1:") and person.totp_secret not in stored
    assert encrypted.decrypt(stored, "users.totp_secret",
                             app.extensions["settings"].totp_key_bytes()) == person.totp_secret
    # with another key it doesn't open (the key is not in the database)
    with pytest.raises(encrypted.UndecryptableSecret):
        encrypted.decrypt(stored, "users.totp_secret", load_settings(totp_key="another-key").totp_key_bytes())
    codes = _raw(url, f"SELECT code_hash FROM recovery_codes WHERE user_id = {person.id}")
    assert len(codes) == 10 and all(len(str(c)) == 64 for (c,) in codes)  # SHA-256 hex digests
    # and signing in again still works with the same authenticator
    client.post("/console/logout", data={"csrf_token": _csrf(client)})
    with app.extensions["db"].session() as session:
        from moderation.store import User

        user = session.get(User, person.id)
        assert user is not None and user.totp_secret == person.totp_secret
        user.totp_last_step = None
        session.commit()
    sign_in(client, person)
    assert client.get("/console/queue").status_code == 200


def _csrf(client: FlaskClient) -> str:
    from tests.console.conftest import csrf_token

    return csrf_token(client.get("/console/account").get_data(as_text=True))


def test_production_refuses_to_start_without_the_totp_key() -> None:
    production = dict(env="production", secret_key="a-private-session-secret-0123",
                      pseudonym_key="a-private-pseudonym-key-4567",
                      database_url="postgresql+psycopg://m:pw-private@db/m", redis_url="redis://redis:6379/0",
                      audit_key="a-private-audit-chain-key-89ab", export_key="a-private-export-key-cdef",
                      integration_key="a-private-integration-key-2a3b")
    with pytest.raises(ConfigurationError, match="MODERATION_TOTP_KEY"):
        load_settings(**production)
    assert load_settings(**production, totp_key="a-private-totp-key-0f1e").totp_key_bytes() \
        != load_settings().totp_key_bytes()
    assert len(load_settings(env="test").totp_key_bytes()) == 32  # development: a dev key


@pytest.fixture(params=["sqlite", "postgres"])
def blank_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"moderation_people_{os.getpid()}_{next(_counter)}"
    admin_execute(server, f"CREATE DATABASE {name}")
    yield server.database_url(name)
    admin_execute(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_the_migration_encrypts_stored_secrets_and_sign_in_keeps_working(
        blank_url: str, redis_url: str) -> None:
    key = load_settings(totp_key="the-deployments-totp-key").totp_key_bytes()
    command.upgrade(alembic_config(blank_url), "disclose_0001")
    secret = pyotp.random_base32()
    engine = create_engine(blank_url)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (username, display_name, role, all_sites, password_hash, "
            "password_changed_at, created_at, totp_secret, totp_enabled_at) VALUES ('old-admin', "
            "'Old Admin', 'admin', :yes, :hash, '2026-11-01 00:00:00', '2026-11-01 00:00:00', :secret, "
            "'2026-11-01 00:00:00')"), {"yes": True, "hash": passwords.hash_password(PASSWORD),
                                        "secret": secret})
        [(user_id,)] = connection.execute(text("SELECT id FROM users")).all()
    engine.dispose()

    config = alembic_config(blank_url)
    config.attributes["totp_key"] = key
    command.upgrade(config, "people_0001")
    [(stored,)] = _raw(blank_url, "SELECT totp_secret FROM users")
    assert isinstance(stored, str) and stored.startswith("enc1:") and secret not in stored
    assert encrypted.decrypt(stored, "users.totp_secret", key) == secret

    command.upgrade(alembic_config(blank_url), "head")
    app = create_app({"database_url": blank_url, "redis_url": redis_url, "env": "test",
                      "secret_key": "test-secret-key-0123456789", "totp_key": "the-deployments-totp-key"})
    try:
        client = app.test_client()
        sign_in(client, Person(int(str(user_id)), "old-admin", "Old Admin", "admin", totp_secret=secret))
        assert client.get("/console/admin/users").status_code == 200  # fully signed in
    finally:
        app.extensions["db"].dispose()
        encrypted.configure(load_settings().totp_key_bytes())  # the other tests' key

    config = alembic_config(blank_url)
    config.attributes["totp_key"] = key
    command.downgrade(config, "disclose_0001")
    assert _raw(blank_url, "SELECT totp_secret FROM users") == [(secret,)]
