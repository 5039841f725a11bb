"""Every change made from the command line or by ``make run`` is audited as one named actor."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from moderation.cli import build_cli, devstack
from moderation.store import AuditEvent
from moderation.store.database import Database


def _events(app: Flask) -> list[AuditEvent]:
    with app.extensions["db"].session() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_sites_create_from_the_cli_is_audited_as_the_cli(
    app: Flask, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    runner = CliRunner()
    assert runner.invoke(build_cli(), ["sites", "create", "gazette"]).exit_code == 0
    again = runner.invoke(build_cli(), ["sites", "create", "gazette"])
    assert again.exit_code != 0 and "already exists" in again.output
    events = [e for e in _events(app) if e.action == "site.create"]
    assert [(e.actor, e.actor_name, e.after["name"]) for e in events] == [
        ("system:cli", "command line", "gazette")]


def test_the_development_site_and_key_are_audited(
    app: Flask, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(devstack, "VAR", tmp_path)
    db = Database(database_url)
    token = devstack._dev_key(db)
    assert devstack._dev_key(db) == token  # reused, not re-created or re-audited
    db.dispose()
    events = [(e.action, e.actor) for e in _events(app)]
    assert events == [("site.create", "system:dev"), ("key.create", "system:dev")]
