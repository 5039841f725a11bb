"""An insider with database access can't rewrite or truncate the audit log unnoticed.

The chain is keyed (HMAC under a key outside the database), and signed checkpoints
kept outside the database catch the one thing a valid chain can't: its newest
events removed together with the head row moved back.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select, text

from moderation import audit
from moderation.cli import build_cli
from moderation.domain.actors import Actor
from moderation.services import audit_checkpoints as checkpoints
from moderation.store import AuditEvent
from moderation.store.database import Database
from moderation.store.migrate import upgrade


def _append(app: Flask, n: int) -> None:
    with app.extensions["db"].session() as session:
        for i in range(n):
            audit.record(session, actor=Actor.system("test"), action="site.update", target_type="site",
                         target_id=i, after={"n": i})
        session.commit()


def _rewrite(app: Flask, rehash: object) -> None:
    """What an insider would do: edit event 2, then recompute every hash and the head."""
    db = app.extensions["db"]
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'someone-else' WHERE id = 2"))
    with db.session() as session:
        previous = audit.GENESIS
        for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
            event.prev_hash = previous
            event.hash = rehash(event)  # type: ignore[operator]
            previous = event.hash
        session.execute(text("UPDATE audit_chain_head SET last_hash = :h"), {"h": previous})
        session.commit()


def test_recomputing_the_plain_hashes_after_an_edit_is_detected(app: Flask) -> None:
    _append(app, 4)
    _rewrite(app, audit.legacy_event_hash)
    with app.extensions["db"].session() as session:
        report = audit.verify_chain(session)
    assert report.first_broken_id == 1  # not one event carries a hash under the real key


def test_recomputing_with_another_key_is_detected(app: Flask) -> None:
    _append(app, 4)
    _rewrite(app, lambda event: audit.event_hash(event, b"a-guessed-key"))
    with app.extensions["db"].session() as session:
        assert not audit.verify_chain(session).ok


def test_the_chain_is_keyed_by_the_configured_key(database_url: str) -> None:
    keyed = Database(database_url, audit_key=b"k" * 32)
    with keyed.session() as session:
        audit.record(session, actor=Actor.system("test"), action="x", target_type="site")
        session.commit()
        assert audit.verify_chain(session).ok
    with Database(database_url).session() as session:  # the development key: not the same chain
        assert not audit.verify_chain(session).ok
    keyed.dispose()


def test_truncation_passes_the_chain_but_not_a_checkpoint(app: Flask, tmp_path: Path) -> None:
    _append(app, 5)
    key = checkpoints.load_or_create_signing_key(tmp_path / "signing.pem", create=True)
    target = tmp_path / "checkpoints.jsonl"
    with app.extensions["db"].session() as session:
        written = checkpoints.write_checkpoint(session, key, target)
    assert written is not None and written.count == 5
    db = app.extensions["db"]
    with db.engine.begin() as conn:  # delete the newest events and move the head back
        conn.execute(text("DELETE FROM audit_events WHERE id > 3"))
        head = conn.execute(text("SELECT hash FROM audit_events WHERE id = 3")).scalar_one()
        conn.execute(text("UPDATE audit_chain_head SET last_hash = :h, last_event_id = 3"), {"h": head})
    with db.session() as session:
        assert audit.verify_chain(session).ok  # the shorter chain is valid on its own...
        parsed = checkpoints.parse_lines(target.read_text().splitlines(), key.public_key())
        results = checkpoints.verify_against(session, parsed)
    assert [r.problem for r in results] == ["event 5 of this checkpoint was removed"]  # ...not here


def test_a_forged_checkpoint_line_is_refused(app: Flask, tmp_path: Path) -> None:
    _append(app, 2)
    key = checkpoints.load_or_create_signing_key(tmp_path / "signing.pem", create=True)
    target = tmp_path / "checkpoints.jsonl"
    with app.extensions["db"].session() as session:
        checkpoints.write_checkpoint(session, key, target)
    line = json.loads(target.read_text())
    line["count"] = 1
    parsed = checkpoints.parse_lines([json.dumps(line)], key.public_key())
    assert parsed[0].problem == "its signature does not verify"
    other = checkpoints.load_or_create_signing_key(tmp_path / "other.pem", create=True)
    assert not checkpoints.parse_lines(target.read_text().splitlines(), other.public_key())[0].ok


def test_cli_prints_the_head_and_checks_checkpoints(
    app: Flask, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MODERATION_AUDIT_SIGNING_KEY_FILE", str(tmp_path / "signing.pem"))
    runner = CliRunner()
    _append(app, 3)
    missing = runner.invoke(build_cli(), ["audit", "checkpoint", "--to", str(tmp_path / "cp")])
    assert missing.exit_code != 0 and "does not exist" in missing.output  # a configured key must exist
    checkpoints.load_or_create_signing_key(tmp_path / "signing.pem", create=True)
    made = runner.invoke(build_cli(), ["audit", "checkpoint", "--to", str(tmp_path / "cp")])
    assert made.exit_code == 0, made.output
    verified = runner.invoke(build_cli(), ["audit", "verify", "--checkpoint", str(tmp_path / "cp")])
    assert verified.exit_code == 0, verified.output
    assert "head: event 3, 3 events, hash " in verified.output and "checkpoint line 1" in verified.output
    with app.extensions["db"].engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = 3"))
        head = conn.execute(text("SELECT hash FROM audit_events WHERE id = 2")).scalar_one()
        conn.execute(text("UPDATE audit_chain_head SET last_hash = :h, last_event_id = 2"), {"h": head})
    truncated = runner.invoke(build_cli(), ["audit", "verify", "--checkpoint", str(tmp_path / "cp")])
    assert truncated.exit_code == 1 and "event 3 of this checkpoint was removed" in truncated.output


def test_the_keying_migration_keeps_an_intact_legacy_chain_verifiable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'legacy.db'}"
    upgrade(url, "main_0001")
    db = Database(url)
    with db.session() as session:
        for i in range(3):
            audit.record(session, actor=Actor.system("test"), action="x", target_type="site",
                         target_id=i)
        session.commit()
    _relegacy(db)
    with db.session() as session:
        assert not audit.verify_chain(session).ok  # plain SHA-256: not valid under the key
    db.dispose()
    upgrade(url)
    db = Database(url)
    with db.session() as session:
        report = audit.verify_chain(session)
    assert report.ok and report.checked == 3
    db.dispose()


def _relegacy(db: Database) -> None:
    with db.session() as session:
        previous = audit.GENESIS
        for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
            event.prev_hash = previous
            event.hash = hashlib.sha256(audit._canonical(event)).hexdigest()
            previous = event.hash
        session.execute(text("UPDATE audit_chain_head SET last_hash = :h"), {"h": previous})
        session.commit()
