"""Migrations: ``upgrade head`` builds exactly the schema the models declare, and
settings_0001 re-keys sender pseudonyms per site without breaking pseudonym bans
(both databases)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from moderation.senders import pseudonym
from moderation.store import Base
from moderation.store.migrate import alembic_config
from tests.support.postgres import PostgresServer, admin_execute

SECRET = "old-secret-key-0123456789"
PSEUDONYM_KEY = "new-pseudonym-key-0123456789"
EMAIL = "Reader@Example.com"
_counter = itertools.count()


def test_upgrade_head_matches_the_models(database_url: str) -> None:
    """The ``database_url`` fixture is a database migrated with ``upgrade head``."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


@pytest.fixture(params=["sqlite", "postgres"])
def blank_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"moderation_migrations_{os.getpid()}_{next(_counter)}"
    admin_execute(server, f"CREATE DATABASE {name}")
    yield server.database_url(name)
    admin_execute(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def legacy_pseudonym(key: str, email: str) -> str:
    """What the service stored before settings_0001: one pseudonym for every site."""
    digest = hmac.new(key.encode(), email.strip().casefold().encode(), hashlib.sha256)
    return "snd_" + digest.hexdigest()[:20]


def _previous_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revision = script.get_revision("settings_0001")
    assert revision is not None and isinstance(revision.down_revision, str)
    return revision.down_revision


def _seed(url: str) -> None:
    old = legacy_pseudonym(SECRET, EMAIL)
    when = "2026-01-01 00:00:00"
    engine = create_engine(url)
    with engine.begin() as connection:
        for site in (1, 2):
            connection.execute(text(
                "INSERT INTO sites (id, name, policy, policy_version, created_at) "
                "VALUES (:id, :name, '{}', 1, :when)"), {"id": site, "name": f"site-{site}", "when": when})
        # the reader on both sites, and one comment of theirs on site 1 already erased
        for comment, site, email in ((1, 1, EMAIL), (2, 2, EMAIL.lower()), (3, 1, None),
                                     (4, 1, "other@example.com")):
            stored = legacy_pseudonym(SECRET, email) if email else old
            connection.execute(text(
                "INSERT INTO comments (id, site_id, article_id, title, text, sender_pseudonym, status, "
                "created_at, updated_at) VALUES (:id, :site, 'a', 't', 'x', :p, 'approved', :when, :when)"),
                {"id": comment, "site": site, "p": stored, "when": when})
            connection.execute(text(
                "INSERT INTO sender_details (comment_id, email) VALUES (:id, :email)"),
                {"id": comment, "email": email})
        for ban, site, kind, value in ((1, 1, "pseudonym", old), (2, 2, "pseudonym", old),
                                       (3, 1, "pseudonym", "snd_00000000000000000000"),
                                       (4, 1, "email", "reader@example.com")):
            connection.execute(text(
                "INSERT INTO bans (id, site_id, kind, value, reason, created_by, created_at) "
                "VALUES (:id, :site, :kind, :value, '', 'key:1', :when)"),
                {"id": ban, "site": site, "kind": kind, "value": value, "when": when})
    engine.dispose()


def _stored(url: str) -> tuple[dict[int, str], dict[int, str]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        comments = dict(connection.execute(text("SELECT id, sender_pseudonym FROM comments")).all())
        bans = dict(connection.execute(text("SELECT id, value FROM bans")).all())
    engine.dispose()
    return comments, bans  # type: ignore[return-value]


def test_pseudonyms_are_rekeyed_per_site_and_bans_keep_matching(
    blank_database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = blank_database_url
    previous = _previous_revision()
    command.upgrade(alembic_config(url), previous)
    _seed(url)
    before_comments, before_bans = _stored(url)

    config = alembic_config(url)
    config.attributes["pseudonym_key"] = PSEUDONYM_KEY
    with caplog.at_level(logging.WARNING):
        command.upgrade(config, "settings_0001")
    comments, bans = _stored(url)
    # what intake now computes for this reader's next comment on each site
    on_one, on_two = (pseudonym(PSEUDONYM_KEY, site, EMAIL) for site in (1, 2))
    assert on_one != on_two
    assert comments == {1: on_one, 2: on_two, 3: on_one,
                        4: pseudonym(PSEUDONYM_KEY, 1, "other@example.com")}
    assert bans == {1: on_one, 2: on_two, 3: "snd_00000000000000000000", 4: "reader@example.com"}
    assert "pseudonym bans [3]" in caplog.text  # no stored email to map it through

    config = alembic_config(url)
    config.attributes["secret_key"] = SECRET
    command.downgrade(config, previous)
    assert _stored(url) == (before_comments, before_bans)
