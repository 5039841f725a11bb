"""The compliance CLI's case and hold commands: ``compliance open-case``, ``compliance cases``,
``compliance hold create|release|list`` and ``retention run --dry-run``, through the services
(audited, people named), with clear errors and non-zero exits on bad input."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner, Result
from flask import Flask

from moderation.cli import build_cli
from moderation.store import DisclosureRequest, LegalHold
from tests.support.compliance_data import (  # noqa: F401 (fixture)
    SECRET,
    audit_actions,
    audit_events,
    export_dir,
    seed_comment,
    sender,
)
from tests.support.factories import make_key, make_site

Invoke = Callable[..., Result]
CASE = ("--authority", "Cyber Cell", "--reference", "Notice 7/2026", "--basis", "IT Rules r.3")


@pytest.fixture
def invoke(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MODERATION_SECRET_KEY", SECRET)
    monkeypatch.delenv("MODERATION_COMPLIANCE_KEY", raising=False)

    def run(*args: str) -> Result:
        return CliRunner().invoke(build_cli(), list(args), catch_exceptions=False)

    return run


def test_open_case_previews_its_scope_and_is_audited(app: Flask, invoke: Invoke) -> None:
    site = make_site(app)
    seed_comment(app, site, email="reader@example.com")
    seed_comment(app, site, email="reader@example.com")
    officer = make_key(app, "compliance", name="desk laptop")
    result = invoke("compliance", "open-case", *CASE, "--received-at", "2026-11-01T09:00Z",
                    "--site", "news-one", "--email", "reader@example.com", "--key", officer)
    assert result.exit_code == 0, result.output
    assert "2 comment(s) from 1 sender(s)" in result.output
    assert "desk laptop (key:" in result.output
    assert "due 2026-11-04T09:00:00+00:00" in result.output
    case_id = int(re.search(r"case (\d+) opened", result.output).group(1))  # type: ignore[union-attr]
    with app.extensions["db"].session() as session:
        case = session.get(DisclosureRequest, case_id)
        assert case is not None and case.scope["sender_email"] == "reader@example.com"
    assert audit_actions(app)[-1] == "compliance.request.create"
    listed = invoke("compliance", "cases", "--key", officer)
    assert f"#{case_id}\topen\toverdue" in listed.output and "desk laptop" in listed.output


@pytest.mark.parametrize("args, message", [
    (("--site", "news-one", "--ip", "not-an-ip"), "--ip"),
    (("--site", "news-one", "--comment-ids", "1,x"), "--comment-ids"),
    (("--since", "yesterday", "--site", "news-one"), "--since"),
    (("--received-at", "2999-01-01T00:00Z", "--site", "news-one"), "future"),
])
def test_open_case_refuses_bad_input_with_exit_2(app: Flask, invoke: Invoke, args: tuple[str, ...],
                                                 message: str) -> None:
    make_site(app)
    officer = make_key(app, "compliance")
    result = invoke("compliance", "open-case", *CASE, *args, "--key", officer)
    assert result.exit_code == 2 and message in result.output
    assert "compliance.request.create" not in audit_actions(app)


def test_open_case_refusals_from_the_service(app: Flask, invoke: Invoke) -> None:
    make_site(app, "news-one")
    two = make_site(app, "news-two")
    scoped = make_key(app, "compliance", two)
    too_broad = invoke("compliance", "open-case", *CASE, "--key", make_key(app, "compliance"))
    assert too_broad.exit_code == 2 and "Name at least one of" in too_broad.output
    other_site = invoke("compliance", "open-case", *CASE, "--site", "news-one", "--key", scoped)
    assert other_site.exit_code == 1 and "No such site" in other_site.output
    moderator = invoke("compliance", "open-case", *CASE, "--site", "news-one",
                       "--key", make_key(app, "moderator"))
    assert moderator.exit_code == 1 and "not a compliance key" in moderator.output


def test_hold_create_list_release_and_erasure_respects_it(app: Flask, invoke: Invoke) -> None:
    site = make_site(app)
    comment = seed_comment(app, site, email="reader@example.com")
    officer = make_key(app, "compliance", name="holds desk")
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    placed = invoke("compliance", "hold", "create", "--reference", "Matter 12", "--site", str(site),
                    "--email", "reader@example.com", "--expires-at", expires, "--key", officer)
    assert placed.exit_code == 0, placed.output
    assert "1 comment(s) from 1 sender(s)" in placed.output and "holds desk (key:" in placed.output
    hold_id = int(re.search(r"hold (\d+) placed", placed.output).group(1))  # type: ignore[union-attr]
    listed = invoke("compliance", "hold", "list", "--key", officer)
    assert f"#{hold_id}\tactive\tMatter 12" in listed.output

    assert invoke("senders", "erase", "--email", "reader@example.com").exit_code == 1  # held
    assert sender(app, comment).email == "reader@example.com"

    released = invoke("compliance", "hold", "release", "--hold", str(hold_id), "--key", officer)
    assert released.exit_code == 0 and f"hold {hold_id} released" in released.output
    again = invoke("compliance", "hold", "release", "--hold", str(hold_id), "--key", officer)
    assert again.exit_code == 1 and "already released" in again.output
    missing = invoke("compliance", "hold", "release", "--hold", "999", "--key", officer)
    assert missing.exit_code == 1 and "No such hold" in missing.output
    with app.extensions["db"].session() as session:
        hold = session.get(LegalHold, hold_id)
        assert hold is not None and hold.released_at is not None
    assert [e["target_id"] for e in audit_events(app, "compliance.hold.release")] == [str(hold_id)]
    assert invoke("senders", "erase", "--email", "reader@example.com").exit_code == 0


def test_hold_create_refuses_an_expired_hold(app: Flask, invoke: Invoke) -> None:
    make_site(app)
    officer = make_key(app, "compliance")
    result = invoke("compliance", "hold", "create", "--reference", "x", "--site", "news-one",
                    "--expires-at", "2020-01-01T00:00Z", "--key", officer)
    assert result.exit_code == 2 and "already expired" in result.output


def test_retention_dry_run_counts_and_changes_nothing(app: Flask, invoke: Invoke) -> None:
    site = make_site(app)
    comment = seed_comment(app, site, created_at=datetime.now(UTC) - timedelta(days=400))
    result = invoke("retention", "run", "--dry-run")
    assert result.exit_code == 0 and "would erase 1" in result.output
    assert sender(app, comment).email is not None
    assert "retention.purge" not in audit_actions(app)
