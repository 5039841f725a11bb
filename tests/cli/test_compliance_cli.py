"""The compliance command line: export → approve → download → verify, erasure, retention, audit verify."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from moderation.cli import build_cli
from tests.support.compliance_data import (  # noqa: F401 (fixture)
    SECRET,
    audit_actions,
    audit_events,
    export_dir,
    open_case,
    seed_comment,
    sender,
)
from tests.support.factories import auth, make_key, make_site

Invoke = Callable[..., Result]


@pytest.fixture
def invoke(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MODERATION_SECRET_KEY", SECRET)
    monkeypatch.delenv("MODERATION_COMPLIANCE_KEY", raising=False)

    def run(*args: str) -> Result:
        return CliRunner().invoke(build_cli(), list(args), catch_exceptions=False)

    return run


def test_cli_export_needs_a_second_key_then_downloads_a_verified_file(
    app: Flask, client: FlaskClient, invoke: Invoke, tmp_path: Path
) -> None:
    site = make_site(app)
    for _ in range(3):
        seed_comment(app, site, name="=EVIL()")
    officer, second = make_key(app, "compliance"), make_key(app, "compliance")
    case = open_case(client, officer, {"site": site})
    out = tmp_path / "answer.csv"

    result = invoke("compliance", "export", "--request", str(case["id"]), "--format", "csv",
                    "-o", str(out), "--key", officer)
    assert result.exit_code == 0, result.output
    assert "exporting request" in result.output  # the progress bar
    assert "3 records" in result.output and "awaiting approval" in result.output
    assert not out.exists()
    export_id = int(result.output.split("export ")[1].split(":")[0])

    refused = invoke("compliance", "approve", "--export", str(export_id), "--key", officer)
    assert refused.exit_code == 1 and "different person" in refused.output
    assert invoke("compliance", "download", "--export", str(export_id), "-o", str(out),
                  "--key", officer).exit_code == 1
    assert invoke("compliance", "approve", "--export", str(export_id), "--key", second).exit_code == 0
    done = invoke("compliance", "download", "--export", str(export_id), "-o", str(out), "--key", officer)
    assert done.exit_code == 0 and "verified" in done.output
    assert "'=EVIL()" in out.read_text()

    meta = client.get(f"/v1/compliance/exports/{export_id}", headers=auth(officer)).get_json()
    assert hashlib.sha256(out.read_bytes()).hexdigest() == meta["sha256"]
    verify = ("compliance", "verify", "--export", str(export_id), str(out), "--key", second)
    assert invoke(*verify).exit_code == 0
    out.write_text(out.read_text() + "extra\r\n")
    assert invoke(*verify).exit_code == 1

    moderator = make_key(app, "moderator")
    assert invoke("compliance", "approve", "--export", str(export_id), "--key", moderator).exit_code == 1
    assert audit_actions(app).count("compliance.export.download") == 1


def test_cli_export_writes_the_file_at_once_without_the_two_person_rule(
    app: Flask, client: FlaskClient, invoke: Invoke, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MODERATION_TWO_PERSON_RULE", "false")
    site = make_site(app)
    seed_comment(app, site)
    officer = make_key(app, "compliance")
    case = open_case(client, officer, {"site": site})
    out = tmp_path / "answer.json"
    result = invoke("compliance", "export", "--request", str(case["id"]), "--format", "json",
                    "-o", str(out), "--key", officer)
    assert result.exit_code == 0, result.output
    assert '"record_count": 1' in out.read_text()


def test_senders_erase_refuses_under_hold_then_erases_after_release(
    app: Flask, client: FlaskClient, invoke: Invoke
) -> None:
    site = make_site(app)
    comment = seed_comment(app, site, email="reader@example.com")
    officer = make_key(app, "compliance")
    case = open_case(client, officer, {"sender_email": "reader@example.com"})

    refused = invoke("senders", "erase", "--email", "reader@example.com")
    assert refused.exit_code == 1
    assert "REFUSED" in refused.output and "Notice 91/2026" in refused.output
    assert sender(app, comment).email == "reader@example.com"
    assert len(audit_events(app, "sender.erase_refused")) == 1

    client.post(f"/v1/compliance/requests/{case['id']}/close", json={"reason": "answered by letter"},
                headers=auth(officer))
    erased = invoke("senders", "erase", "--email", "reader@example.com")
    assert erased.exit_code == 0 and "1 record" in erased.output
    assert sender(app, comment).email is None
    assert audit_events(app, "sender.erase")[0]["after"] == {"erased": 1}


def test_retention_run_command(app: Flask, invoke: Invoke) -> None:
    site = make_site(app)
    comment = seed_comment(app, site, created_at=datetime.now(UTC) - timedelta(days=181))
    result = invoke("retention", "run")
    assert result.exit_code == 0 and "erased 1" in result.output
    assert sender(app, comment).ip is None
    assert audit_events(app, "retention.purge")[0]["actor"] == "system:cli"


def test_audit_verify_passes_then_detects_a_row_tampered_in_the_database(
    app: Flask, client: FlaskClient, invoke: Invoke
) -> None:
    site = make_site(app)
    comment = seed_comment(app, site)
    officer = make_key(app, "compliance")
    case = open_case(client, officer, {"comment_ids": [comment]})
    for _ in range(3):  # refused before an approved export, and audited as such
        client.get(f"/v1/compliance/comments/{comment}/sender?case_id={case['id']}", headers=auth(officer))
    ok = invoke("audit", "verify")
    assert ok.exit_code == 0 and "4 events verified" in ok.output

    with app.extensions["db"].engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'nobody' WHERE id = 3"))
    broken = invoke("audit", "verify")
    assert broken.exit_code == 1
    assert "BROKEN at event 3" in broken.output
